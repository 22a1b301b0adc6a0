"""Privacy on the whole bundled sample: no clear child identifier, date of birth or free text is published,
and real child-level data is refused without a pseudonymisation key."""

import csv
import re
import shutil

import pytest

from tests.conftest import SAMPLE_RAW
from tests.integration.pipeline import published, query, refresh

pytestmark = pytest.mark.slow


def raw_identifiers() -> set[str]:
    """Every child id, UPN and postcode of the sample's child-level files, and the action descriptions."""
    found: set[str] = set()
    for path in list((SAMPLE_RAW / "ssda903").rglob("*.csv")) + list((SAMPLE_RAW / "case_audits").rglob("*.csv")):
        with path.open(newline="", encoding="utf-8-sig") as handle:
            for row in csv.DictReader(handle):
                for column in ("CHILD", "UPN", "HOME_POST", "PL_POST", "child_id", "description"):
                    value = (row.get(column) or "").strip()
                    if len(value) >= 4:
                        found.add(value)
    for path in (SAMPLE_RAW / "ssda903").rglob("*.xml"):
        found |= set(re.findall(r"<(?:CHILDID|UPN|HOME_POST|PL_POST)>([^<]{4,})<", path.read_text()))
    return found


@pytest.fixture(scope="module")
def sample_without_key(tmp_path_factory):
    """The whole bundled landing folder, refreshed with no CSW_PSEUDONYM_KEY (the sample is allowed)."""
    mp = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("privacy")
    raw, data = root / "raw", root / "data"
    shutil.copytree(SAMPLE_RAW, raw)
    mp.setenv("CSW_RAW_DIR", str(raw))
    mp.setenv("CSW_DATA_DIR", str(data))
    mp.delenv("CSW_PSEUDONYM_KEY", raising=False)
    mp.delenv("DAGSTER_HOME", raising=False)
    status = refresh()
    yield status, raw
    mp.undo()


def test_the_whole_sample_publishes_without_a_key(sample_without_key):
    status, _raw = sample_without_key
    assert status == 0
    tables = {f"{s}.{t}" for s, t in query("select schema_name, table_name from duckdb_tables()")}
    assert {
        "marts.latest_inspection_outcomes",
        "marts.adoption_scorecard",
        "marts.case_audits",
        "marts.school_absence",
        "marts.indicator_values",
    } <= tables
    assert query("select count(*) from marts.latest_inspection_outcomes")[0][0] >= 150


def test_no_clear_identifier_or_free_text_in_any_published_text_column(sample_without_key):
    secrets = raw_identifiers()
    assert len(secrets) > 100
    columns = query(
        "select table_schema, table_name, column_name from information_schema.columns where data_type = 'VARCHAR'"
    )
    leaks = []
    for schema, table, column in columns:
        values = {
            v for (v,) in query(f'select distinct "{column}" from "{schema}"."{table}" where "{column}" is not null')
        }
        leaks += [
            (schema, table, column, v)
            for v in values
            if v in secrets or any(s in v for s in secrets if len(s) >= 8 and len(v) < 10_000)
        ]
    assert leaks == []


def test_dates_of_birth_are_published_to_the_month_at_most(sample_without_key):
    birth_columns = query(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where column_name ilike '%birth%' or column_name ilike '%dob%'"
    )
    for schema, table, column in birth_columns:
        days = query(f'select distinct day("{column}") from "{schema}"."{table}" where "{column}" is not null')
        assert set(days) <= {(1,)}, f"{schema}.{table}.{column} holds days of birth"


def test_real_child_level_data_is_refused_without_a_key(sample_without_key, capsys):
    _status, raw = sample_without_key
    before = published().read_bytes()
    (raw / "case_audits" / "council_export.csv").write_text(
        "audit_id,child_id,audit_date,team,case_type,auditor_type,overall_grade,cp_plan_needed\n"
        "R1,REAL-CHILD-1,01/05/2012,North,CIN,Manager,Good,N\n"
    )
    capsys.readouterr()
    assert refresh() == 1
    failure = next(line for line in capsys.readouterr().err.splitlines() if line.startswith("REFRESH FAILED"))
    assert "CSW_PSEUDONYM_KEY is not set" in failure and "council_export.csv" in failure
    assert published().read_bytes() == before
    assert query("select count(*) from marts.case_audits where audit_id = 'R1'") == [(0,)]
