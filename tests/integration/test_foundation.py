"""The foundation end to end: sample Ofsted data through ingest, dbt, checks and publication."""

import datetime as dt
import shutil
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import copy_sample, fixture_path
from tests.integration.pipeline import make_ofsted_check_fail, published, query, refresh, table_counts

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sample_warehouse(tmp_path_factory):
    """The bundled Ofsted sample refreshed once into a fresh data folder."""
    mp = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("sample")
    raw, data = root / "raw", root / "data"
    raw.mkdir()
    copy_sample(raw, "ofsted")
    mp.setenv("CSW_RAW_DIR", str(raw))
    mp.setenv("CSW_DATA_DIR", str(data))
    mp.delenv("DAGSTER_HOME", raising=False)
    first = refresh()
    yield first, raw, data
    mp.undo()


def test_sample_refresh_publishes_every_la(sample_warehouse):
    status, _raw, _data = sample_warehouse
    assert status == 0
    assert published().exists()
    (count,) = query("select count(*) from marts.latest_inspection_outcomes")[0]
    assert count >= 150
    assert query(
        "select framework, overall_grade_label, overall_grade_rank, publication_date "
        "from marts.latest_inspection_outcomes where la_code = '865'"
    ) == [("ILACS", "Outstanding", 1, dt.date(2023, 12, 12))]


def test_wiltshire_2012_grades_have_their_ranks(sample_warehouse):
    rows = query(
        "select service_area, judgement_area, grade_label, grade_rank, inspection_start_date, "
        "inspection_end_date, publication_date from marts.inspection_judgements "
        "where la_code = '865' and framework = 'SLAC' order by service_area, judgement_area"
    )
    got = {(r[0], r[1]): (r[2], r[3]) for r in rows}
    assert got == {
        ("Looked after children", "Capacity for improvement"): ("Good", 2),
        ("Looked after children", "Economic well-being"): ("Good", 2),
        ("Looked after children", "Enjoying and achieving"): ("Good", 2),
        ("Looked after children", "Making a positive contribution"): ("Outstanding", 1),
        ("Looked after children", "Overall effectiveness"): ("Adequate", 3),
        ("Safeguarding", "Capacity for improvement"): ("Adequate", 3),
        ("Safeguarding", "Overall effectiveness"): ("Inadequate", 4),
    }
    assert {r[4:] for r in rows} == {(dt.date(2012, 3, 5), dt.date(2012, 3, 16), dt.date(2012, 4, 24))}


def test_sample_visits_are_dated_events_of_their_own(sample_warehouse):
    """The in-year sheet's monitoring and focused visits: marts.inspection_visits, not judgements."""
    kinds = dict(query("select visit_kind, count(*) from marts.inspection_visits group by 1"))
    assert kinds == {"Focused visit": 36, "Monitoring visit": 24}
    assert query(
        "select visit_type, visit_date, publication_date, visit_theme from marts.inspection_visits "
        "where la_code = '301' and visit_date = '2025-03-26'"
    ) == [("ILACS Focused Visit", dt.date(2025, 3, 26), dt.date(2025, 4, 29), "Children in need/subject to a plan")]
    assert query("select count(*) from marts.inspection_judgements where lower(inspection_type) like '%visit%'") == [
        (0,)
    ]


def test_published_file_opens_in_duckdb_1x_storage(sample_warehouse):
    header = published().read_bytes()[:20]
    assert header[8:12] == b"DUCK"
    assert int.from_bytes(header[12:20], "little") == 64  # the storage version every DuckDB 1.x reads
    schemas = {r[0] for r in query("select distinct schema_name from duckdb_tables()")}
    assert schemas == {"marts", "quality"}


def test_quality_schema_records_files_and_checks(sample_warehouse):
    statuses = query("select file_path, status, rows_read, rows_loaded + rows_rejected from quality.load_log")
    assert {s[1] for s in statuses} == {"loaded"}
    assert all(read == accounted for _f, _s, read, accounted in statuses)
    failed = query("select check_name from quality.check_results where not passed and severity = 'ERROR'")
    assert failed == []
    names = {r[0] for r in query("select check_name from quality.check_results")}
    assert "gx: LA code known" in names
    assert any(n.startswith("dbt: ") for n in names)


def test_loading_the_same_files_again_changes_nothing(sample_warehouse):
    before = {k: v for k, v in table_counts().items() if not k.startswith("quality.")}
    assert refresh(full=True) == 0  # a full refresh reads the landing folder again
    after = {k: v for k, v in table_counts().items() if not k.startswith("quality.")}
    assert after == before
    latest_run = query("select run_id from quality.load_log order by loaded_at desc limit 1")[0][0]
    assert {r[0] for r in query("select status from quality.load_log where run_id = ?", [latest_run])} == {"unchanged"}


GOOD_ROW = (
    "865,SIF,Single inspection,10/02/2014,06/03/2014,15/04/2014,Overall,Overall effectiveness,Requires improvement"
)
HEADER = (
    "la_code,framework,inspection_type,inspection_start_date,inspection_end_date,publication_date,"
    "service_area,judgement_area,grade"
)


def test_bad_rows_are_quarantined_and_bad_files_rejected(warehouse_dirs):
    raw, _data = warehouse_dirs
    (raw / "ofsted").mkdir()
    (raw / "ofsted" / "sif_2014.csv").write_text(
        "\n".join(
            [
                HEADER,
                GOOD_ROW,
                "865,SIF,Single inspection,10/02/2014,06/03/2014,15/04/2014,"
                "Children looked after,Overall effectiveness,Brilliant",
                "865,SIF,Single inspection,31/02/2014,06/03/2014,15/04/2014,Adoption,Overall effectiveness,Good",
                "865,SIF,Single inspection,10/02/2014,06/03/2014,15/04/2014,Leadership,Overall effectiveness,Good",
            ]
        )
        + "\n"
    )
    (raw / "ofsted" / "missing_grade.csv").write_text(
        "la_code,framework,inspection_start_date,publication_date,service_area,judgement_area\n"
        "865,SIF,10/02/2014,15/04/2014,Overall,Overall effectiveness\n"
    )
    assert refresh() == 0
    rejected = query(
        "select file_path, row_number, column_name, value, reason from quality.rejected_rows order by row_number"
    )
    assert [(r[1], r[2], r[3]) for r in rejected] == [
        (3, "grade", "Brilliant"),
        (4, "inspection_start_date", "31/02/2014"),
    ]
    assert all(r[0].endswith("sif_2014.csv") for r in rejected)
    assert "not a grade" in rejected[0][4] and "not a real date" in rejected[1][4]
    log = {
        r[0].rsplit("/", 1)[-1]: r[1:]
        for r in query("select file_path, status, rows_read, rows_loaded, rows_rejected, reason from quality.load_log")
    }
    assert log["sif_2014.csv"][:4] == ("loaded", 4, 2, 2)
    assert log["missing_grade.csv"][0] == "rejected"
    assert "grade" in log["missing_grade.csv"][4] and "columns found" in log["missing_grade.csv"][4]
    grades = query(
        "select service_area, grade_rank from marts.inspection_judgements where framework = 'SIF' order by 1"
    )
    assert grades == [("Leadership", 2), ("Overall", 3)]


def test_real_ofsted_workbook_ingests_in_place(warehouse_dirs):
    raw, _data = warehouse_dirs
    (raw / "ofsted").mkdir()
    shutil.copy(fixture_path("ofsted", "LA_Inspection_Outcomes_as_at_31_March_2025.ods"), raw / "ofsted")
    assert refresh() == 0
    as_at = query(
        "select count(distinct la_code) from marts.latest_inspection_outcomes as l "
        "join marts.dim_local_authority using (la_code) where is_current"
    )
    assert as_at == [(153,)]
    assert query(
        "select framework, overall_grade_label, publication_date from marts.latest_inspection_outcomes "
        "where la_code = '865'"
    ) == [("ILACS", "Outstanding", dt.date(2023, 12, 12))]
    assert query("select count(*) from quality.rejected_rows") == [(0,)]


READER = textwrap.dedent("""
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    before = con.execute("select count(*) from marts.inspection_judgements").fetchall()[0][0]
    print("open", before, flush=True)
    sys.stdin.readline()
    after = con.execute("select count(*) from marts.inspection_judgements").fetchall()[0][0]
    print("still", after, flush=True)
""")


def test_a_reader_holding_the_published_file_does_not_break_a_refresh(warehouse_dirs):
    raw, _data = warehouse_dirs
    copy_sample(raw, "ofsted")
    assert refresh() == 0
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(published())], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        opened = reader.stdout.readline().split()
        assert opened[0] == "open"
        (raw / "ofsted" / "sif_2014.csv").write_text(HEADER + "\n" + GOOD_ROW + "\n")
        assert refresh() == 0
        out, _ = reader.communicate("go\n", timeout=60)
    finally:
        reader.kill()
    assert out.split() == ["still", opened[1]]
    (now,) = query("select count(*) from marts.inspection_judgements")[0]
    assert now == int(opened[1]) + 1


def test_a_failing_blocking_check_stops_publication(warehouse_dirs, monkeypatch, capsys):
    raw, _data = warehouse_dirs
    copy_sample(raw, "ofsted")
    assert refresh() == 0
    before = published().read_bytes()
    make_ofsted_check_fail(monkeypatch, 10, "at most ten rows")
    (raw / "ofsted" / "sif_2014.csv").write_text(HEADER + "\n" + GOOD_ROW + "\n")
    capsys.readouterr()
    assert refresh() == 1
    failure = [line for line in capsys.readouterr().err.splitlines() if line.startswith("REFRESH FAILED")]
    assert failure[0].startswith("REFRESH FAILED: blocking check 'gx_ofsted_workbook' on raw/ofsted_workbook_rows")
    assert "at most ten rows" in failure[0]
    assert published().read_bytes() == before


def test_reference_lists_dropped_in_as_published_override_the_bundled_seeds(warehouse_dirs):
    raw, _data = warehouse_dirs
    (raw / "reference").mkdir()
    for name in ("las.csv", "regions.csv", "sn_model_2025_wide.csv"):
        shutil.copy(fixture_path("reference", name), raw / "reference" / name)
    copy_sample(raw, "ofsted")
    assert refresh() == 0
    log = {
        r[0].rsplit("/", 1)[-1]: r[1:]
        for r in query(
            "select file_path, status, rows_read, rows_loaded, rows_rejected from quality.load_log "
            "where source = 'reference'"
        )
    }
    assert log == {
        "las.csv": ("loaded", 176, 174, 2),
        "regions.csv": ("loaded", 11, 11, 0),
        "sn_model_2025_wide.csv": ("loaded", 153, 153, 0),
    }
    models = dict(query("select sn_model, count(*) from marts.dim_statistical_neighbours group by 1"))
    assert models == {"2021": 1560, "2025": 1530}  # 2025 from the dropped file, 2021 still the bundled seed
    assert query(
        "select closeness from marts.dim_statistical_neighbours where la_code = '301' and "
        "sn_model = '2025' and neighbour_rank = 1"
    ) == [("Close",)]  # 'Close ' trimmed
    assert query("select count(*) from marts.dim_local_authority where is_current")[0][0] >= 153
    assert query("select region_name from marts.dim_local_authority where la_code = '865'") == [("South West",)]
    reasons = [r for (r,) in query("select reason from quality.rejected_rows where file_path like '%las.csv'")]
    assert len(reasons) == 2 and all(len(r) > 20 for r in reasons)
