"""A new user's first `make run`, as the README has it: the refresh command in its own process, without
CSW_PSEUDONYM_KEY, on the bundled sample (Ofsted and case audits) plus a file with bad rows and one that cannot
be used. Then what the summary tells them to do: its example query through a shell, as printed; the
development-key warning on the terminal; and the data-quality page, opened offline in headless Chromium.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys

import duckdb
import pytest

from tests.conftest import REPO_ROOT, copy_sample

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = REPO_ROOT / "test-artifacts"
HEADER = (
    "la_code,framework,inspection_type,inspection_start_date,inspection_end_date,publication_date,"
    "service_area,judgement_area,grade"
)
BAD_ROWS = [
    "865,SIF,Single inspection,10/02/2014,06/03/2014,15/04/2014,Overall,Overall effectiveness,Requires improvement",
    "865,SIF,Single inspection,10/02/2014,06/03/2014,15/04/2014,Children looked after,Overall effectiveness,Brilliant",
    "865,SIF,Single inspection,31/02/2014,06/03/2014,15/04/2014,Adoption,Overall effectiveness,Good",
]


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """(stdout, data folder) of `python -m pipelines.cli run` (what `make run` runs) on a fresh data folder."""
    root = tmp_path_factory.mktemp("fresh")
    raw, data = root / "raw", root / "data"
    raw.mkdir()
    copy_sample(raw, "ofsted", "case_audits")
    (raw / "ofsted" / "sif_by_hand.csv").write_text("\n".join([HEADER, *BAD_ROWS]) + "\n")
    (raw / "ofsted" / "not_a_return.csv").write_text("team,notes\nA,nothing to see\n")
    env = {**os.environ, "CSW_RAW_DIR": str(raw), "CSW_DATA_DIR": str(data), "CSW_HOME_LA": "865"}
    for name in ("DAGSTER_HOME", "CSW_PSEUDONYM_KEY", "CSW_TEST_FIXTURES"):
        env.pop(name, None)
    run = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return run.stdout, data


def test_the_example_query_runs_exactly_as_printed(first_run, tmp_path):
    stdout, _data = first_run
    command = next(line for line in stdout.splitlines() if line.startswith("Example query: ")).split(": ", 1)[1]
    # a shell of a machine with no duckdb on its PATH, in another folder
    result = subprocess.run(
        command,
        shell=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "ILACS" in result.stdout and "Outstanding" in result.stdout and "865" in result.stdout


def test_the_development_key_warning_is_in_the_summary(first_run):
    stdout, _data = first_run
    warning = (
        "WARNING: CSW_PSEUDONYM_KEY is not set: child identifiers of the bundled sample data are "
        "pseudonymised with the fixed development key. Set CSW_PSEUDONYM_KEY for real returns."
    )
    assert warning in stdout.splitlines()


def test_a_stale_source_is_named_in_the_summary_as_a_warning(first_run):
    stdout, _data = first_run
    lines = stdout.splitlines()
    stale = next(line for line in lines if line.startswith("Stale sources: "))
    assert "case_audits" in stale.split(": ", 1)[1].split(", ")  # the sample's audits end in 2012
    assert any(line.startswith("  case_audits: stale: newest data 2012-") for line in lines)
    checks = next(line for line in lines if line.startswith("Checks: "))
    assert re.fullmatch(r"Checks: \d+ passed, 0 failed, [1-9]\d* warning\(s\)", checks), checks


def quality_page(data) -> str:
    return (data / "quality" / "index.html").read_text(encoding="utf-8")


def test_the_quality_page_lists_every_check_rejected_file_and_reason(first_run):
    _stdout, data = first_run
    page = quality_page(data)
    con = duckdb.connect(str(data / "children_services.duckdb"), read_only=True)
    try:
        checks = con.execute("select distinct asset, check_name from quality.check_results").fetchall()
        rejected = con.execute("select file_path, reason from quality.load_log where status = 'rejected'").fetchall()
        reasons = con.execute("select reason, count(*) from quality.rejected_rows group by 1").fetchall()
    finally:
        con.close()
    listed = re.findall(r"<tr class='check'><td>([^<]*)</td><td class='check-name'>([^<]*)</td>", page)
    assert sorted((html.unescape(a), html.unescape(n)) for a, n in listed) == sorted(checks) and len(checks) > 30
    assert [path for path, _ in rejected] == [str(data.parent / "raw" / "ofsted" / "not_a_return.csv")]
    assert html.escape(rejected[0][1]) in page
    assert len(reasons) == 2 and sum(n for _, n in reasons) == 2
    for reason, n in reasons:
        assert f"<td>{html.escape(reason)}</td><td class='num'>{n}</td>" in page
    assert f">{sum(n for _, n in reasons)} quarantined row(s) and cell(s)<" in page
    assert not re.search(r"(src|href)\s*=\s*['\"]?(https?:)?//", page) and "<script" not in page


def offline(command: list[str]) -> list[str]:
    """The command in a network namespace of its own: no network at all, not even loopback to a server."""
    unshare = ["unshare", "-n"] if os.geteuid() == 0 else ["unshare", "-rn"]
    if shutil.which("unshare") is None or subprocess.run([*unshare, "true"], capture_output=True).returncode:
        pytest.skip("cannot switch the network off here (unshare -n is not permitted)")
    return [*unshare, *command]


def test_the_quality_page_opens_offline_in_chromium_with_the_validations_listed(first_run, tmp_path):
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (make test installs Debian's chromium package when run as root)")
    _stdout, data = first_run
    url = (data / "quality" / "index.html").as_uri()
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1400,2400",
    ]
    dom = subprocess.run(
        offline([CHROMIUM, *flags, "--dump-dom", url]), capture_output=True, text=True, timeout=120
    ).stdout
    assert "gx: LA code known" in dom and "freshness: ofsted" in dom
    assert re.search(r'id="checks-passed">\d+ check\(s\) passed', dom)
    assert len(re.findall(r"<tr class=\"check\">", dom)) > 30
    assert "not_a_return.csv" in dom and "2 quarantined row(s) and cell(s)" in dom
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "quality-page.png"
    shot.unlink(missing_ok=True)
    subprocess.run(offline([CHROMIUM, *flags, f"--screenshot={shot}", url]), capture_output=True, timeout=120)
    assert shot.exists() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
