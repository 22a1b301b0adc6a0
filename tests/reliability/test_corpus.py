"""Every file of the bad-input corpus gets its outcome, the refresh survives them all, nothing leaks."""

import pytest

from pipelines.lib.config import Settings
from pipelines.lib.outputs.summary import refresh_summary
from tests.integration.pipeline import query, refresh
from tests.reliability.corpus import CASES, SECRET_CHILD_IDS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def corpus_warehouse(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("corpus")
    raw, data = root / "raw", root / "data"
    for case in CASES:
        path = raw / case.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(case.content)
    mp.setenv("CSW_RAW_DIR", str(raw))
    mp.setenv("CSW_DATA_DIR", str(data))
    mp.setenv("CSW_PSEUDONYM_KEY", "corpus-test-key")
    mp.delenv("DAGSTER_HOME", raising=False)
    status = refresh()
    yield status, raw
    mp.undo()


def test_the_corpus_is_large_and_covers_every_source():
    assert len(CASES) >= 40
    assert {c.path.split("/")[0] for c in CASES} >= {
        "ofsted",
        "case_audits",
        "ssda903",
        "school_absence",
        "school_exclusions",
        "adoption_scorecards",
        "reference",
    }


def test_the_refresh_survives_the_whole_corpus(corpus_warehouse):
    status, _raw = corpus_warehouse
    assert status == 0
    reasons = query(
        "select coalesce(reason, '') from quality.load_log union all select reason from quality.rejected_rows"
    )
    assert not [r for (r,) in reasons if "Traceback" in r or "Error:" in r]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.path)
def test_each_file_gets_its_outcome(corpus_warehouse, case):
    _status, raw = corpus_warehouse
    path = str(raw / case.path)
    log = query(
        "select status, rows_read, rows_loaded, rows_rejected, coalesce(reason, '') from quality.load_log "
        "where file_path = ?",
        [path],
    )
    assert len(log) == 1, f"{case.what}: expected one load_log row, got {log}"
    status, read, loaded, rejected, reason = log[0]
    assert status == case.status, f"{case.what}: {status} ({reason})"
    assert read == loaded + rejected
    if case.rows_loaded is not None:
        assert loaded == case.rows_loaded, f"{case.what}: loaded {loaded}"
    if case.rows_rejected is not None:
        assert rejected == case.rows_rejected, f"{case.what}: rejected {rejected}"
    every_row_quarantined = case.status == "rejected" and bool(case.rows_rejected)
    if case.status == "rejected":
        assert reason.strip(), f"{case.what}: a rejected file needs a reason"
    if every_row_quarantined:  # rejected, saying so, its rows counted, each row's reason in rejected_rows
        assert "every row of the file was quarantined" in reason and "quality.rejected_rows" in reason
        assert read == rejected > 0
    elif case.status == "rejected":
        assert case.reason.lower() in reason.lower(), f"{case.what}: reason was {reason!r}"
    if case.reason and (case.status == "loaded" or every_row_quarantined):
        row_reasons = [r for (r,) in query("select reason from quality.rejected_rows where file_path = ?", [path])]
        assert any(case.reason.lower() in r.lower() for r in row_reasons), f"{case.what}: {row_reasons}"
    quarantined = query("select row_number, column_name, reason from quality.rejected_rows where file_path = ?", [path])
    assert all(r[2] and len(r[2]) > 10 for r in quarantined)


def test_no_clear_child_identifier_or_free_text_reaches_the_published_warehouse(corpus_warehouse):
    text_columns = query(
        "select table_schema, table_name, column_name from information_schema.columns where data_type = 'VARCHAR'"
    )
    assert text_columns
    secrets = [*SECRET_CHILD_IDS, "free text about a child", "completed before the audit"]
    for schema, table, column in text_columns:
        for secret in secrets:
            hits = query(f'select count(*) from "{schema}"."{table}" where contains("{column}", ?)', [secret])
            assert hits == [(0,)], f"{secret!r} found in {schema}.{table}.{column}"


def test_quarantined_rows_and_cells_are_counted_alike_in_the_log_the_summary_and_the_quarantine(corpus_warehouse):
    per_file = query("""
        select log.file_path, log.cells_quarantined, count(rejected.file_path)
        from quality.load_log as log
        left join quality.rejected_rows as rejected using (source, file_path)
        group by all""")
    assert per_file and all(logged == held for _path, logged, held in per_file), [
        row for row in per_file if row[1] != row[2]
    ]
    (total,) = query("select count(*) from quality.rejected_rows")[0]
    partly_loaded = query(
        "select count(*) from quality.load_log where status = 'loaded' and cells_quarantined > rows_rejected"
    )[0][0]
    assert total > 20 and partly_loaded >= 1  # cells quarantined in rows that loaded are counted too
    (run_id,) = query("select distinct run_id from quality.load_log")[0]
    rows_line = next(
        line for line in refresh_summary(Settings.from_env().work_db, run_id, None) if line.startswith("Rows:")
    )
    assert f"; {total} quarantined rows and cells" in rows_line
