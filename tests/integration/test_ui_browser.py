"""The Dagster UI in a real browser: each source's raw assets are drawn connected to its marts.

Starts dagster-webserver on 127.0.0.1 in its own process group (stopped at the end) and drives
Debian's headless Chromium against it. A screenshot of the lineage is kept in test-artifacts/.
"""

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, copy_sample, free_port, stop_process_group

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = REPO_ROOT / "test-artifacts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1600,1000",
    "--virtual-time-budget=30000",
]

# mart -> raw assets that must be drawn in its upstream lineage
LINEAGE = {
    "marts/latest_inspection_outcomes": ["ofsted_workbook_rows", "ofsted_judgement_records", "reference_la_codes"],
    "marts/inspection_judgements": ["ofsted_workbook_rows", "ofsted_judgement_records"],
    "marts/dim_statistical_neighbours": ["reference_statistical_neighbours"],
    "marts/indicator_values": [
        "ofsted_workbook_rows",
        "ofsted_judgement_records",
        "case_audit_rows",
        "case_audit_action_rows",
        "school_absence_values",
        "school_exclusions_values",
    ],
    "marts/case_audit_actions": ["case_audit_action_rows", "case_audit_rows"],
    "marts/school_absence": ["school_absence_values"],
    "marts/adoption_scorecard": [
        "ssda903_episodes",
        "ssda903_ad1",
        "ssda903_placed_adoption",
        "adoption_scorecards_published",
    ],
    "marts/school_exclusions": ["school_exclusions_values"],
}


@pytest.fixture(scope="module")
def webserver(tmp_path_factory):
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (make test installs Debian's chromium package when run as root)")
    home = tmp_path_factory.mktemp("dagster_home")
    shutil.copy(REPO_ROOT / "config" / "dagster.yaml", home / "dagster.yaml")
    port = free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "CSW_DATA_DIR": str(home / "data"),
        "CSW_RAW_DIR": str(home / "raw"),
    }
    env.pop("CSW_PSEUDONYM_KEY", None)
    # The sample case audits (last audited in 2012: a stale source) loaded and checked, into the UI's instance.
    copy_sample(home / "raw", "case_audits")
    loaded = subprocess.run(
        [
            str(Path(sys.executable).parent / "dagster"),
            "asset",
            "materialize",
            "-m",
            "pipelines.definitions",
            "--select",
            'tag:"csw/landing"=case_audits',
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    log = (home / "webserver.log").open("w")
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "dagster-webserver"),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-w",
            "workspace.yaml",
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"{base}/server_info", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("dagster-webserver did not answer within 60 s: " + (home / "webserver.log").read_text()[-2000:])
        yield base, port
    finally:
        stop_process_group(server, 20)
        log.close()


def chromium(*args: str, profile: Path) -> str:
    result = subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=120
    )
    return result.stdout


def drawn_labels(dom: str) -> list[str]:
    """Asset names as the lineage graph draws them: full nodes carry the name as a tooltip; when zoomed out,
    minimal nodes show it shortened with an ellipsis."""
    minimal = re.findall(r'class="AssetNode_assetName[^"]*"[^>]*>([^<]+)<', dom)
    full = re.findall(r'<div data-tooltip="([^"]+)"', dom)
    return [label for label in minimal + full if label.strip()]


def drawn(name: str, labels: list[str]) -> bool:
    for label in labels:
        if label == name:
            return True
        if "…" in label:
            head, tail = label.split("…", 1)
            if name.startswith(head) and name.endswith(tail) and len(head) + len(tail) < len(name):
                return True
    return False


def lineage_url(base: str, mart: str) -> str:
    return f"{base}/assets/{mart}?view=lineage&lineageScope=upstream&lineageDepth=10"


def test_the_ui_listens_on_loopback_only(webserver):
    _base, port = webserver
    listening = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True).stdout
    sockets = [line.split()[3] for line in listening.splitlines() if line.split()[3].endswith(f":{port}")]
    assert sockets and all(s.startswith("127.0.0.1:") for s in sockets)


@pytest.mark.parametrize("mart", sorted(LINEAGE))
def test_each_raw_asset_is_drawn_upstream_of_its_mart(webserver, mart, tmp_path):
    base, _port = webserver
    labels = drawn_labels(chromium("--dump-dom", lineage_url(base, mart), profile=tmp_path / "profile"))
    assert drawn(mart.split("/")[-1], labels), f"{mart} not drawn; labels: {labels}"
    missing = [raw for raw in LINEAGE[mart] if not drawn(raw, labels)]
    assert not missing, f"raw assets not drawn upstream of {mart}: {missing}; drawn: {labels}"


def test_lineage_screenshot_is_kept(webserver, tmp_path):
    base, _port = webserver
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "ui-lineage-indicator_values.png"
    shot.unlink(missing_ok=True)
    chromium(f"--screenshot={shot}", lineage_url(base, "marts/indicator_values"), profile=tmp_path / "profile")
    assert shot.exists() and shot.stat().st_size > 20_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_label_matching_understands_shortened_names():
    assert drawn("ofsted_workbook_rows", ["ofsted_workb…_rows"])
    assert not drawn("ofsted_judgement_records", ["ofsted_workb…_rows"])
    assert drawn("ref_la_codes", ["ref_la_codes"])


def page_dom(base: str, path: str, profile: Path) -> str:
    return chromium("--dump-dom", f"{base}{path}", profile=profile)


def test_descriptions_are_shown_as_written(webserver, tmp_path):
    base, _port = webserver
    dom = page_dom(base, "/assets/raw/ssda903_episodes", tmp_path / "profile")
    # as the browser holds the text: <YYYY> kept (serialised &lt;YYYY&gt;), not swallowed as a tag
    assert "From raw/ssda903/&lt;YYYY&gt;/ (home LA) and raw/ssda903/&lt;la_code&gt;/&lt;YYYY&gt;/." in dom


def test_dbt_test_checks_say_what_they_test(webserver, tmp_path):
    base, _port = webserver
    check = "accepted_values_inspection_judgements_framework__SLAC__CP__TLAC__SIF__ILACS"
    dom = page_dom(base, f"/assets/marts/inspection_judgements?view=checks&checkDetail={check}", tmp_path / "p")
    assert "framework of marts/inspection_judgements is always one of: SLAC, CP, TLAC, SIF, ILACS (nulls pass)." in dom


def test_a_stale_source_is_shown_as_a_warning_not_an_error(webserver, tmp_path):
    base, _port = webserver
    dom = page_dom(
        base, "/assets/raw/case_audit_rows?view=checks&checkDetail=freshness_case_audits", tmp_path / "profile"
    )
    assert "Warning (the warehouse is still published): stale: newest data" in dom
    icons = re.findall(r'aria-label="(warning_outline|cancel)"', dom)
    assert "warning_outline" in icons and "cancel" not in icons, icons
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "ui-stale-source-warning.png"
    shot.unlink(missing_ok=True)
    chromium(
        f"--screenshot={shot}",
        f"{base}/assets/raw/case_audit_rows?view=checks&checkDetail=freshness_case_audits",
        profile=tmp_path / "profile",
    )
    assert shot.exists() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
