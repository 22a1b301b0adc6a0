"""Every Ofsted vintage end to end (items 1 and 2 of issue 15): the real 2022 and 2023 underlying data, the
2025 workbook and the sample judgement records refreshed together into one inspection history (skipped
where ../shared is absent), and generated vintages in the other layouts beside the sample (always run)."""

import datetime as dt
import shutil

import pytest

from tests.conftest import copy_sample, fixture_path
from tests.integration.pipeline import query, refresh

pytestmark = pytest.mark.slow

VINTAGES = (
    "Childrens_social_care_in_England_2022_underlying_data.ods",
    "Childrens_social_care_in_England_2023_underlying_data.ods",
)


@pytest.fixture(scope="module")
def vintages_warehouse(tmp_path_factory):
    files = [fixture_path("ofsted_vintages", name) for name in VINTAGES]
    files.append(fixture_path("ofsted", "LA_Inspection_Outcomes_as_at_31_March_2025.ods"))
    mp = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("vintages")
    raw, data = root / "raw", root / "data"
    raw.mkdir()
    copy_sample(raw, "ofsted")
    (raw / "ofsted" / "LA_Inspection_Outcomes_as_at_31_March_2025.xlsx").unlink()  # the real one instead
    for path in files:
        shutil.copy(path, raw / "ofsted")
    mp.setenv("CSW_RAW_DIR", str(raw))
    mp.setenv("CSW_DATA_DIR", str(data))
    mp.delenv("DAGSTER_HOME", raising=False)
    status = refresh()
    yield status
    mp.undo()


def test_every_vintage_loads_and_publishes(vintages_warehouse):
    assert vintages_warehouse == 0
    statuses = query(
        "select regexp_extract(file_path, '[^/]+$'), status, rows_read, rows_loaded, rows_rejected "
        "from quality.load_log where source = 'ofsted'"
    )
    assert {s[1] for s in statuses} == {"loaded"}, statuses
    assert {s[0] for s in statuses} >= set(VINTAGES)
    assert all(read == loaded + rejected for _f, _s, read, loaded, rejected in statuses)
    assert query("select count(*) from quality.rejected_rows where source = 'ofsted'") == [(0,)]


def test_wiltshire_history_since_2009(vintages_warehouse):
    overall = query(
        "select framework, service_area, grade_label, grade_rank, publication_date from marts.inspection_judgements "
        "where la_code = '865' and judgement_area = 'Overall effectiveness' order by publication_date, service_area"
    )
    assert overall == [
        ("SLAC", "Looked after children", "Requires improvement to be good", 3, dt.date(2012, 4, 24)),
        ("SLAC", "Safeguarding", "Inadequate", 4, dt.date(2012, 4, 24)),
        ("CP", "Overall", "Requires improvement to be good", 3, dt.date(2013, 8, 16)),
        ("SIF", "Overall", "Requires improvement to be good", 3, dt.date(2015, 9, 1)),
        ("ILACS", "Overall", "Good", 2, dt.date(2019, 7, 22)),
        ("ILACS", "Overall", "Outstanding", 1, dt.date(2023, 12, 12)),
    ]


def test_a_judgement_given_by_several_files_appears_once(vintages_warehouse):
    ilacs = query(
        "select inspection_id, inspection_start_date, publication_date, copies, publication_date_disagreement "
        "from marts.inspection_judgements where la_code = '865' and framework = 'ILACS' "
        "and judgement_area = 'Overall effectiveness' and publication_date < '2020-01-01'"
    )
    assert len(ilacs) == 1
    inspection_id, start, published, copies, disagreement = ilacs[0]
    assert (inspection_id, start, published) == ("865-ILACS-20190603", dt.date(2019, 6, 3), dt.date(2019, 7, 22))
    assert copies >= 4  # 2022 and 2023 history and 31 March sheets, the 2025 history sheet
    assert disagreement.startswith(
        "publication date given as 2019-07-21 in Childrens_social_care_in_England_2022_underlying_data.ods; "
        "2019-07-22 in "
    )
    # The SLAC of the hand-keyed judgement record and of the statistics is one inspection, with the record's dates.
    slac = query(
        "select distinct inspection_id, inspection_start_date, inspection_end_date, inspection_start_date_known "
        "from marts.inspection_judgements where la_code = '865' and framework = 'SLAC'"
    )
    assert slac == [("865-SLAC-20120305", dt.date(2012, 3, 5), dt.date(2012, 3, 16), True)]
    # The record's sub-judgements the statistics leave out are kept.
    assert query(
        "select grade_label from marts.inspection_judgements where la_code = '865' and framework = 'SLAC' "
        "and judgement_area = 'Making a positive contribution'"
    ) == [("Outstanding",)]


def test_every_la_has_its_history(vintages_warehouse):
    per_framework = dict(
        query("select framework, count(distinct la_code) from marts.inspection_judgements group by framework")
    )
    assert per_framework["SLAC"] >= 150 and per_framework["SIF"] >= 150 and per_framework["ILACS"] >= 150
    assert per_framework["CP"] >= 45
    # Former LAs keep their own codes: Dorset's 2011 SLAC is the county's (835), its 2021 ILACS the unitary's (838).
    dorset = query(
        "select distinct la_code, framework from marts.inspection_judgements "
        "where la_code in ('835', '838') order by 1, 2"
    )
    assert dorset == [("835", "SIF"), ("835", "SLAC"), ("838", "ILACS")]
    assert query("select count(*) from marts.inspection_judgements where grade_rank is null") == [(0,)]


def test_visits_are_dated_events_without_a_grade(vintages_warehouse):
    wiltshire = query(
        "select visit_kind, visit_type, visit_date, visit_theme from marts.inspection_visits "
        "where la_code = '865' and visit_date = '2022-01-24'"
    )
    assert wiltshire == [("Focused visit", "ILACS Focused Visit", dt.date(2022, 1, 24), "Care leavers")]
    kinds = dict(query("select visit_kind, count(*) from marts.inspection_visits group by 1"))
    assert kinds["Monitoring visit"] >= 32 and kinds["Focused visit"] >= 74
    graded = query("select count(*) from marts.inspection_judgements where lower(inspection_type) like '%visit%'")
    assert graded == [(0,)]


def test_generated_vintages_end_to_end_without_the_fixtures(warehouse_dirs):
    """A generated underlying-data history and a 2024-layout workbook (names, no codes) beside the sample:
    one history, the record's 2012 sub-judgements kept, every quarantined cell counted."""
    from tests.unit.test_ofsted import (
        COVER,
        NOTES,
        _as_at_rows,
        _underlying_rows,
        _wide_ilacs_rows,
        _workbook,
    )

    raw, _data = warehouse_dirs
    copy_sample(raw, "ofsted")
    _workbook(raw / "ofsted" / "underlying.xlsx", [COVER, NOTES, ("LA inspections since 2009", _underlying_rows())])
    _workbook(
        raw / "ofsted" / "outcomes_2024.xlsx",
        [COVER, ("Inspections_31_March_2024", _as_at_rows()), ("ILACS_inspection_history", _wide_ilacs_rows())],
    )
    assert refresh() == 0
    slac = query(
        "select inspection_id, service_area, grade_label, grade_rank, copies from marts.inspection_judgements "
        "where la_code = '865' and framework = 'SLAC' and judgement_area = 'Overall effectiveness' "
        "order by service_area"
    )
    assert slac == [
        ("865-SLAC-20120305", "Looked after children", "Requires improvement to be good", 3, 2),
        ("865-SLAC-20120305", "Safeguarding", "Inadequate", 4, 2),
    ]
    ilacs = query(
        "select inspection_id, publication_date, copies, publication_date_disagreement "
        "from marts.inspection_judgements where la_code = '865' and framework = 'ILACS' "
        "and judgement_area = 'Overall effectiveness' order by publication_date"
    )
    assert ilacs[0][:2] == ("865-ILACS-20190603", dt.date(2019, 7, 22)) and ilacs[0][3] is None
    assert query("select count(*) from marts.inspection_judgements where la_code = '836'") == [(5,)]  # Poole
    rejected = query("select column_name, value from quality.rejected_rows where source = 'ofsted' order by 1")
    assert rejected == [
        ("Local authority name", "Nowhere upon Sea"),
        ("SLAC re-inspection Safeguarding OE", "Brilliant"),
    ]
