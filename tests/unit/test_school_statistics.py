"""DfE school statistics files: recognition, periods, areas, breakdowns, symbols and the row rules."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.lib.ingest.load import FileRejected, load_source
from pipelines.lib.reference.school_areas import AreaError, load_area_reference
from pipelines.lib.sources.school_statistics import (
    breakdown_text,
    filter_keys,
    indicator_kind,
    meta_companions,
    parse_period,
    parse_school_statistics_batch,
    parse_school_statistics_file,
    values_table,
)

SOURCE = "school_exclusions"
EES_HEADER = (
    "time_period,time_identifier,geographic_level,country_code,country_name,region_code,region_name,"
    "old_la_code,new_la_code,la_name,school_type"
)
META_HEADER = "col_name,col_type,label,indicator_grouping,indicator_unit,filter_hint,filter_grouping_column"


@pytest.fixture(scope="module")
def reference():
    return load_area_reference(None)


def period(text: str = "201011", ident: str = "Academic year"):
    return parse_period(text, ident).period


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8", newline: str = "\n") -> Path:
    path = tmp_path / name
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    return path


def parse(path: Path, reference, source: str = SOURCE):
    tables = parse_school_statistics_file(path, source, reference, duckdb.connect())
    assert len(tables) == 1
    table = tables[0]
    frame = table.frame.df() if table.frame is not None else pd.DataFrame()
    return table, frame


def cell(frame: pd.DataFrame, indicator: str, **where) -> dict:
    rows = frame[frame["indicator"] == indicator]
    for key, value in where.items():
        rows = rows[rows[key] == value]
    assert len(rows) == 1, (indicator, where, len(rows))
    return {k: (None if not isinstance(v, str) and pd.isna(v) else v) for k, v in rows.iloc[0].to_dict().items()}


def reasons(table) -> list[str]:
    return [r.reason for r in table.rejections]


# ---------------------------------------------------------------------------
# Periods, indicator kinds, breakdowns
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ident", "code", "label"),
    [
        ("201011", "Academic year", 201011, "2010/11"),
        ("2010/11", "Academic year", 201011, "2010/11"),
        ("2010-2011", "", 201011, "2010/11"),
        ("201011", "Financial year", 201011, "2010-11"),
        ("2011", "Calendar year", 2011, "2011"),
        ("2025", "Reporting year", 2025, "2025"),
        ("201204", "April", 201204, "2012-04"),
        ("201819", "Autumn term", 201819, "2018/19"),
    ],
)
def test_periods(text, ident, code, label):
    info = parse_period(text, ident)
    assert (info.period.time_period, info.period.label) == (code, label)


def test_term_identifier_goes_in_the_breakdown():
    assert parse_period("201819", "Autumn term").extra_pair == ("term", "Autumn term")
    assert parse_period("201819", "Academic year").extra_pair is None
    assert period("201011").start == dt.date(2010, 9, 1)


@pytest.mark.parametrize("text", ["201013", "20101", "2010/12", "abc", ""])
def test_bad_periods_say_why(text):
    with pytest.raises(ValueError, match="time_period"):
        parse_period(text, "Academic year")


@pytest.mark.parametrize(
    ("name", "unit", "kind"),
    [
        ("sess_overall_percent", "", "percent"),
        ("pt_overall", "", "percent"),
        ("sess_possible", "", "count"),
        ("perm_excl", "", "count"),
        ("perm_excl_rate", "", "percent"),
        ("one_or_more_fixed_excl_rate", "", "percent"),
        ("one_plus_susp_rate", "", "percent"),
        ("fixed_excl_rate", "", "rate"),
        ("susp_rate", "", "rate"),
        ("t_pupils_pa_10_exact", "", "count"),
        ("enrolments_pa_10_exact_percent", "", "percent"),
        ("average_days_lost", "", "number"),
        ("anything", "%", "percent"),
        ("perm_physical_pupils", "", "count"),
        ("number", "days", "number"),
        ("rate_per_10000", "", "rate"),
        ("cin_rate_per_10000_children", "", "rate"),
        ("percent_change", "", "number"),
        ("headcount", "number", "count"),
    ],
)
def test_indicator_kinds(name, unit, kind):
    assert indicator_kind(name, unit) == kind


def test_breakdowns_are_harmonised_key_value_pairs_in_key_order():
    assert breakdown_text([("school_type", "Secondary")]) == (
        "school_type=State-funded secondary",
        "school_type=Secondary",
    )
    assert breakdown_text([("school_type", "Primary")])[0] == "school_type=State-funded primary"
    assert breakdown_text([("school_type", "Total")]) == ("Total", "school_type=Total")
    assert breakdown_text([]) == ("Total", "Total")
    assert breakdown_text([("term", "Autumn term"), ("school_type", "Special")])[0] == (
        "school_type=Special; term=Autumn term"
    )
    assert breakdown_text([("social_care_group", "CINO at 31 March"), ("school_type", "Total")])[0] == (
        "social_care_group=CINO at 31 March"
    )


def test_phase_filters_mean_school_type_unless_the_file_has_one():
    assert filter_keys(["phase_type_grouping", "social_care_group"])["phase_type_grouping"] == "school_type"
    assert filter_keys(["school_type", "phase_type_grouping"])["phase_type_grouping"] == "phase_type_grouping"


# ---------------------------------------------------------------------------
# Areas
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Bristol City of", "801"),
        ("Bristol, City of", "801"),
        ("bristol", "801"),
        ("St. Helens", "342"),
        ("St Helens", "342"),
        ("Telford & Wrekin", "894"),
        ("Telford and Wrekin", "894"),
        ("KINGSTON UPON HULL CITY OF", "810"),
        ("Isles Of Scilly", "420"),
        ("Herefordshire", "884"),
        ("Durham", "840"),
        ("Dorset", "835"),
        ("Bedfordshire (Pre LGR 2009)", "820"),
        ("Cheshire (Pre LGR 2009)", "875"),
        ("Wiltshire Council", "865"),
    ],
)
def test_la_names_match_codes(reference, name, code):
    assert reference.match_la_name(name, period("200708")) == code


def test_la_names_follow_reorganisations(reference):
    assert reference.match_la_name("Dorset", period("202021")) == "838"
    assert reference.match_la_name("Bedford", period("200809")) == "822"


def test_unmatched_names_give_a_reason(reference):
    with pytest.raises(AreaError, match="matches no LA"):
        reference.match_la_name("NULL", period())
    with pytest.raises(AreaError, match="did not exist in 2010/11"):
        reference.match_la_name("Bedfordshire (Pre LGR 2009)", period("201011"))


def test_la_codes_and_their_period(reference):
    assert reference.resolve_la("865", "E06000054", "Wiltshire", period()).la_code == "865"
    assert reference.resolve_la("815", "E06000065", "North Yorkshire", period("201819")).la_code == "815"
    assert reference.resolve_la("820", ".", "Bedfordshire (Pre LGR 2009)", period("200607")).la_code == "820"
    assert reference.resolve_la("", "", "Wiltshire", period()).area_code == "865"
    with pytest.raises(AreaError, match="did not exist in 2010/11"):
        reference.resolve_la("838", "E06000059", "Dorset", period())
    with pytest.raises(AreaError, match="not in the reference LA list"):
        reference.resolve_la("999", "", "Nowhere", period())
    with pytest.raises(AreaError, match="correct one of them"):
        reference.resolve_la("865", "E06000023", "Wiltshire", period())


def test_composite_codes_give_a_combined_area(reference):
    area = reference.resolve_la(
        "940 / 941", "E06000061 / E06000062", "North and West Northamptonshire", period("202122")
    )
    assert (area.area_code, area.la_code, area.geography_level) == ("940 / 941", None, "local_authority")


def test_regions_by_code_or_name(reference):
    assert reference.resolve_region("E12000009", "South West").area_code == "E12000009"
    assert reference.resolve_region("", "Yorkshire and the Humber").area_code == "E12000003"
    inner = reference.resolve_region("", "Inner London")
    assert (inner.area_code, inner.is_london_subregion) == ("E13000001", True)
    with pytest.raises(AreaError, match="not a region"):
        reference.resolve_region("", "NULL")


# ---------------------------------------------------------------------------
# Whole files
# ---------------------------------------------------------------------------

EES_ROWS = """\
201112,Academic year,National,E92000001,England,,,,,,Total,100,2.5,5,x
201112,Academic year,Regional,E92000001,England,E12000009,South West,,,,Total,40,1.5,3,:
201112,Academic year,Local authority,E92000001,England,E12000009,South West,865,E06000054,Wiltshire,Secondary,7,0.5,~,..
201112,Academic year,Local authority,E92000001,England,E12000009,South West,865,E06000054,Wiltshire,Primary,3.5,k,.,-
201112,Academic year,Local authority,E92000001,England,E12000009,South West,800,E06000022,Bath and North East Somerset,Special,-4,150,u,low
201112,Academic year,Local authority,E92000001,England,E12000009,South West,999,,Nowhere,Total,1,1,1,1
201112,Academic year,Ward,E92000001,England,E12000009,South West,865,E06000054,Wiltshire,Total,1,1,1,1
201112,Academic year,Local authority,E92000001,England,E12000009,South West,865,E06000054,Wiltshire,Secondary,8,0.6,1,1
201112,Academic year,Local authority,E92000001,England,E12000009,South West,865,E06000054,Wiltshire,Special,z,z,,n/a
"""  # noqa: E501 (rows as DfE publishes them)


def ees_file(tmp_path, rows: str = EES_ROWS, **kwargs) -> Path:
    header = EES_HEADER + ",perm_excl,fixed_excl_rate,sess_overall_percent,one_plus_fixed\n"
    return write(tmp_path, "exclusions.csv", header + rows, **kwargs)


def test_ees_file_symbols_and_rules(tmp_path, reference):
    table, frame = parse(ees_file(tmp_path), reference)
    assert table.rows_read == 9
    wilts = {"area_code": "865", "breakdown": "school_type=State-funded secondary"}
    assert cell(frame, "perm_excl", **wilts)["value"] == "7"
    assert cell(frame, "fixed_excl_rate", **wilts)["value"] == "0.5"
    tilde = cell(frame, "sess_overall_percent", **wilts)
    assert (tilde["value"], tilde["status_symbol"], tilde["published_symbol"]) == (None, "low", "~")
    assert cell(frame, "one_plus_fixed", **wilts)["status_symbol"] == "x"  # '..'
    primary = {"area_code": "865", "breakdown": "school_type=State-funded primary"}
    assert cell(frame, "fixed_excl_rate", **primary)["status_symbol"] == "low"  # k
    assert cell(frame, "sess_overall_percent", **primary)["status_symbol"] == "x"  # '.'
    assert cell(frame, "one_plus_fixed", **primary)["status_symbol"] == "x"  # '-'
    # x in a legacy file (no c, latest period before 2020) meant suppressed; ':' is not available
    assert cell(frame, "one_plus_fixed", area_code="E92000001")["status_symbol"] == "c"
    assert cell(frame, "one_plus_fixed", area_code="E12000009")["status_symbol"] == "x"
    banes = {"area_code": "800"}
    assert cell(frame, "fixed_excl_rate", **banes)["value"] == "150"  # an event rate may pass 100
    assert cell(frame, "sess_overall_percent", **banes)["status_symbol"] == "u"
    assert cell(frame, "one_plus_fixed", **banes)["status_symbol"] == "low"
    special = {"area_code": "865", "breakdown": "school_type=Special"}
    assert cell(frame, "perm_excl", **special)["status_symbol"] == "z"
    assert cell(frame, "sess_overall_percent", **special)["status_symbol"] == "x"  # blank cell
    # a fractional count (DfE apportioned some) loads as published, and the load log counts them
    assert cell(frame, "perm_excl", **primary)["value"] == "3.5"
    assert "1 count cell(s) are not whole numbers" in table.notes[-1]
    text = "\n".join(reasons(table))
    assert "not a whole number" not in text
    assert "perm_excl is negative (-4)" in text
    assert "LA code '999' is not in the reference LA list" in text
    assert "geographic level 'Ward' is not kept" in text
    assert "the same period, area and breakdown as row 4 (kept)" in text
    assert "'n/a' is neither a number nor a statistics symbol" in text
    assert len(frame[frame["area_code"] == "999"]) == 0
    assert set(frame["geography_level"]) == {"national", "regional", "local_authority"}
    assert table.notes[0].startswith("no .meta.csv beside the file")


def test_current_files_keep_x_as_not_available(tmp_path, reference):
    rows = (
        "202122,Academic year,National,E92000001,England,,,,,,Total,x,c,1,1\n"
        "202122,Academic year,Regional,E92000001,England,E12000009,South West,,,,Total,1,1,1,1\n"
    )
    table, frame = parse(ees_file(tmp_path, rows), reference)
    assert cell(frame, "perm_excl", area_code="E92000001")["status_symbol"] == "x"
    assert cell(frame, "fixed_excl_rate", area_code="E92000001")["status_symbol"] == "c"
    assert "current symbols" in table.notes[-1]


def test_percentages_over_100_are_quarantined(tmp_path, reference):
    rows = "201112,Academic year,National,E92000001,England,,,,,,Total,1,1,100.5,1\n"
    table, frame = parse(ees_file(tmp_path, rows), reference)
    assert any("is a percentage (0-100) but 100.5 is over 100" in r for r in reasons(table))
    assert len(frame) == 3


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_encodings_line_endings_and_column_order(tmp_path, reference, encoding, newline):
    text = (
        "la_name,new_la_code,old_la_code,school_type,perm_excl,geographic_level,time_identifier,"
        "time_period,country_code,country_name,region_code,region_name,note\n"
        '"Bristol, City of",E06000023,801,Total,12,Local authority,Academic year,201112,E92000001,England,'
        "E12000009,South West,caf\u00e9 \u00a3 \u2019\n"
    )
    _table, frame = parse(write(tmp_path, "odd.csv", text, encoding=encoding, newline=newline), reference)
    row = cell(frame, "perm_excl")
    assert (row["area_code"], row["value"], row["area_name"]) == ("801", "12", "Bristol, City of")
    assert row["breakdown"] == "note=caf\u00e9 \u00a3 \u2019"


def test_meta_file_says_the_roles_and_is_recorded_not_loaded(tmp_path, reference):
    data = ees_file(tmp_path, "201112,Academic year,National,E92000001,England,,,,,,Total,1,2,3,4\n")
    meta = write(
        tmp_path,
        "exclusions.meta.csv",
        META_HEADER + "\nschool_type,Filter,School type,,,,\nperm_excl,Indicator,Permanent exclusions,"
        "Perm,,,\nfixed_excl_rate,Indicator,Rate,Fixed,,,\nsess_overall_percent,Indicator,Overall,Abs,%,,\n"
        "one_plus_fixed,Indicator,One plus,Fixed,,,\n",
        newline="\r\n",
    )
    assert meta_companions(data) == [meta]
    table, frame = parse(data, reference)
    assert table.notes[0] == "filters and indicators from exclusions.meta.csv"
    row = cell(frame, "sess_overall_percent")
    assert (row["indicator_label"], row["indicator_unit"], row["indicator_kind"]) == ("Overall", "%", "percent")
    note, _ = parse(meta, reference)
    assert note.rows_read == 0 and note.rows_loaded == 0 and not note.rejections
    assert "EES metadata file, not data: used with its data file exclusions.csv" in note.notes[0]


def test_a_file_without_the_required_columns_is_rejected(tmp_path, reference):
    path = write(tmp_path, "bad.csv", "period,area,value\n201112,England,1\n")
    with pytest.raises(
        FileRejected,
        match=r"missing: time_period, time_identifier, geographic_level.*columns found: period, area, value",
    ):
        parse_school_statistics_file(path, SOURCE, reference, duckdb.connect())


def test_ragged_rows_are_quarantined(tmp_path, reference):
    rows = (
        "201112,Academic year,National,E92000001,England,,,,,,Total,1,2,3,4\n"
        "201112,Academic year,National,E92000001,England,,,,,,Primary,1,2\n"
    )
    table, _frame = parse(ees_file(tmp_path, rows), reference)
    assert reasons(table) == ["the row has 13 cells but the header has 15 columns"]


PRE_EES = """"year","level","la_name","school_type","headcount","perm_excl","perm_excl_rate","fixed_excl_rate"
"201011","National","England","Secondary","100","5","0.2","7.8"
"201011","Region","South West","Total","100","5","0.2","x"
"201011","Regional","Yorkshire and the Humber","Total","100","5","0.2","."
"201011","Local authority","Bristol City of","Primary","100","5","0.2","1"
"201011","Local authority","St. Helens","Total","100","45.9412","0.2","1"
"200607","Local authority","NULL","Total","1","20",".","."
"200607","Region","NULL","Total","1","20",".","."
"""


def test_pre_ees_series(tmp_path, reference):
    table, frame = parse(write(tmp_path, "clean_la_data.csv", PRE_EES), reference)
    assert set(frame["area_code"]) == {"E92000001", "E12000009", "E12000003", "801", "342"}
    assert set(frame.loc[frame["file_layout"] == "pre_ees", "geography_level"]) == {
        "national",
        "regional",
        "local_authority",
    }
    assert cell(frame, "fixed_excl_rate", area_code="E92000001")["breakdown"] == "school_type=State-funded secondary"
    assert cell(frame, "fixed_excl_rate", area_code="E12000009")["status_symbol"] == "c"
    assert cell(frame, "fixed_excl_rate", area_code="E12000003")["status_symbol"] == "x"
    # a fractional count (the real series has Brent 2009/10 45.9412) loads as published
    assert cell(frame, "perm_excl", area_code="342")["value"] == "45.9412"
    quarantined = {(r.row_number, r.column): r.reason for r in table.rejections}
    assert "matches no LA" in quarantined[(7, "la_name")]
    assert "not a region of England" in quarantined[(8, "la_name")]
    assert table.rows_read == 7 and table.rows_loaded == 5 and table.rows_rejected == 2
    assert len({r.row_number for r in table.rejections}) == 2


# ---------------------------------------------------------------------------
# Loading: set-based insert, meta changes, idempotence
# ---------------------------------------------------------------------------


def parsers(reference, con, batched: bool) -> dict:
    """load_source's parser argument: one file at a time, or the batch parser (every changed file in one call)."""
    if batched:
        return {
            "batch_parser": lambda batch_con, paths: parse_school_statistics_batch(batch_con, paths, SOURCE, reference)
        }
    return {"parser": lambda p: parse_school_statistics_file(p, SOURCE, reference, con)}


@pytest.mark.parametrize("batched", [False, True])
def test_load_source_reloads_a_data_file_when_its_meta_changes(tmp_path, reference, batched):
    folder = tmp_path / SOURCE
    folder.mkdir()
    ees_file(folder, "201112,Academic year,National,E92000001,England,,,,,,Total,1,2,3,4\n")
    con = duckdb.connect()
    table = values_table(SOURCE)

    def load(run_id):
        return load_source(
            con,
            source=SOURCE,
            folder=folder,
            tables=[table],
            run_id=run_id,
            companions=meta_companions,
            **parsers(reference, con, batched),
        )

    first = load("r1")
    assert [f.status for f in first.files] == ["loaded"]
    assert con.execute(f"select count(*) from raw.{table.name}").fetchone()[0] == 4
    assert [f.status for f in load("r2").files] == ["unchanged"]
    write(
        folder,
        "exclusions.meta.csv",
        META_HEADER + "\nschool_type,Filter,School type,,,,\nperm_excl,Indicator,Permanent exclusions,,,,\n",
    )
    third = load("r3")
    assert sorted(f.status for f in third.files) == ["loaded", "loaded"]
    # the meta file lists only perm_excl: the other columns' roles are inferred and said so
    reason = next(f.reason for f in third.files if f.file_path.endswith("exclusions.csv"))
    assert "roles inferred from their values" in reason
    assert con.execute(f"select count(*) from raw.{table.name}").fetchone()[0] == 4
    log = con.execute("select sha256 from quality.load_log where run_id = 'r3'").fetchall()
    assert all(len(sha) == 64 for (sha,) in log)


@pytest.mark.parametrize(("encoding", "delimiter"), [("utf-16", "\t"), ("utf-8", ";"), ("cp1252", "\t")])
def test_spreadsheet_exports(tmp_path, reference, encoding, delimiter):
    text = (
        delimiter.join(["time_period", "time_identifier", "geographic_level", "la_name", "perm_excl"])
        + "\n"
        + delimiter.join(["201112", "Academic year", "Local authority", "Bristol, City of", "12"])
        + "\n"
    )
    _table, frame = parse(write(tmp_path, "export.csv", text, encoding=encoding), reference)
    assert cell(frame, "perm_excl")["area_code"] == "801"


def test_xlsx_statistics(tmp_path, reference):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Title row of a spreadsheet export"])
    sheet.append(["time_period", "time_identifier", "geographic_level", "old_la_code", "perm_excl_rate"])
    sheet.append([201112, "Academic year", "Local authority", 865, 0.07])
    path = tmp_path / "stats.xlsx"
    workbook.save(path)
    _table, frame = parse(path, reference)
    row = cell(frame, "perm_excl_rate")
    assert (row["area_code"], row["time_period"], row["value"], row["_row_number"]) == ("865", "201112", "0.07", 3)


# ---------------------------------------------------------------------------
# Files that cover part of the pupils, area columns, fractional counts, school type spellings (issue 15)
# ---------------------------------------------------------------------------

ABSENCE_HEADER = (
    "time_period,time_identifier,geographic_level,country_code,country_name,region_code,region_name,"
    "old_la_code,new_la_code,la_name,enrolments,sess_possible,sess_overall,sess_overall_percent\n"
)
# Knowsley's pupil referral units, autumn and spring terms 2016/17 (no school type column)
PRU_ROWS = (
    "201617,Autumn and spring term,National,E92000001,England,,,,,,15000,3000000,360000,12.0\n"
    "201617,Autumn and spring term,Regional,E92000001,England,E12000002,North West,,,,2000,400000,52000,13.0\n"
    "201617,Autumn and spring term,Local authority,E92000001,England,E12000002,North West,340,E08000011,Knowsley,"
    "120,21000,9009,42.9\n"
)
PRU_LABEL = "school_type=State-funded alternative provision school; term=Autumn and spring term"


def knowsley(frame: pd.DataFrame) -> dict:
    return cell(frame, "sess_overall_percent", area_code="340")


def test_a_pru_only_file_is_labelled_from_its_title(tmp_path, reference):
    title = "Absence in pupil referral units by local authority: autumn and spring terms 2016/17\n\n"
    table, frame = parse(write(tmp_path, "absence_2term_la.csv", title + ABSENCE_HEADER + PRU_ROWS), reference)
    row = knowsley(frame)
    assert (row["value"], row["breakdown"]) == ("42.9", PRU_LABEL)
    assert row["breakdown_published"] == "school_type=Pupil referral unit; term=Autumn and spring term"
    assert set(frame["breakdown"]) == {PRU_LABEL}  # England and the region too: they compare with each other
    assert any("covers part of the pupils: school_type=Pupil referral unit (from the title" in n for n in table.notes)


@pytest.mark.parametrize("title", ["Table 3; pupil referral units\n", "Pupil referral units,\tby local authority\n"])
def test_a_title_with_a_semicolon_or_tab_does_not_decide_the_delimiter(tmp_path, reference, title):
    _table, frame = parse(write(tmp_path, "absence.csv", title + ABSENCE_HEADER + PRU_ROWS), reference)
    assert knowsley(frame)["breakdown"] == PRU_LABEL


@pytest.mark.parametrize("name", ["absence_2term_pru_la.csv", "Absence-in-PRUs.csv", "ap_absence.csv"])
def test_a_pru_only_file_is_labelled_from_its_file_name(tmp_path, reference, name):
    _table, frame = parse(write(tmp_path, name, ABSENCE_HEADER + PRU_ROWS), reference)
    assert knowsley(frame)["breakdown"] == PRU_LABEL


def test_a_pru_only_file_is_labelled_from_its_meta_labels(tmp_path, reference):
    data = write(tmp_path, "absence_2term_la.csv", ABSENCE_HEADER + PRU_ROWS)
    write(
        tmp_path,
        "absence_2term_la.meta.csv",
        META_HEADER
        + "\n"
        + "".join(
            f"{c},Indicator,{label} in pupil referral units,,{unit},,\n"
            for c, label, unit in (
                ("enrolments", "Enrolments", ""),
                ("sess_possible", "Sessions possible", ""),
                ("sess_overall", "Overall absence sessions", ""),
                ("sess_overall_percent", "Overall absence rate", "%"),
            )
        ),
    )
    table, frame = parse(data, reference)
    assert knowsley(frame)["breakdown"] == PRU_LABEL
    assert any("every indicator label of the .meta.csv" in n for n in table.notes)


def test_a_pru_only_file_is_labelled_from_its_indicator_names(tmp_path, reference):
    header = ABSENCE_HEADER.replace(
        "enrolments,sess_possible,sess_overall,sess_overall_percent",
        "pru_enrolments,pru_sess_possible,pru_sess_overall,pru_sess_overall_percent",
    )
    _table, frame = parse(write(tmp_path, "absence_2term_la.csv", header + PRU_ROWS), reference)
    assert cell(frame, "pru_sess_overall_percent", area_code="340")["breakdown"] == PRU_LABEL


def test_a_one_phase_workbook_is_labelled_from_its_sheet_name(tmp_path, reference):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Secondary schools"
    for line in (ABSENCE_HEADER + PRU_ROWS).splitlines():
        sheet.append(line.split(","))
    workbook.create_sheet("Notes").append(["Source: school census"])
    path = tmp_path / "absence.xlsx"
    workbook.save(path)
    _table, frame = parse(path, reference)
    assert knowsley(frame)["breakdown"] == "school_type=State-funded secondary; term=Autumn and spring term"


def test_a_social_care_group_file_is_labelled_and_a_column_says_more_than_a_title(tmp_path, reference):
    title = "Absence of children looked after by local authorities\n"
    _table, frame = parse(write(tmp_path, "a.csv", title + ABSENCE_HEADER + PRU_ROWS), reference)
    assert knowsley(frame)["breakdown"] == "social_care_group=Looked after children; term=Autumn and spring term"
    # a school_type column at a real value wins over the title; at Total the title's label replaces it
    header = ABSENCE_HEADER.replace("la_name,", "la_name,school_type,")
    rows = PRU_ROWS.replace("Knowsley,", "Knowsley,State-funded primary,")
    rows = rows.replace("North West,,,,", "North West,,,,Total,")
    rows = rows.replace("England,,,,,,", "England,,,,,,Total,")
    pru = "Absence in pupil referral units\n"
    _table, frame = parse(write(tmp_path, "b.csv", pru + header + rows), reference)
    assert knowsley(frame)["breakdown"] == "school_type=State-funded primary; term=Autumn and spring term"
    assert cell(frame, "sess_overall_percent", area_code="E92000001")["breakdown"] == PRU_LABEL


@pytest.mark.parametrize(
    "title",
    [
        "Pupil absence in state-funded primary, secondary and special schools by local authority",
        "Permanent exclusions by reason for exclusion",
        "Exclusions by primary type of special educational need",
    ],
)
def test_a_file_for_all_pupils_is_not_labelled(tmp_path, reference, title):
    table, frame = parse(write(tmp_path, "absence_la.csv", title + "\n" + ABSENCE_HEADER + PRU_ROWS), reference)
    assert knowsley(frame)["breakdown"] == "term=Autumn and spring term"
    assert not any("covers part of the pupils" in n for n in table.notes)


def test_the_pru_file_beside_a_whole_la_file_never_replaces_or_joins_its_total(tmp_path, reference):
    """Deduplication, indicator_values and the benchmarks match rows on (area, period, breakdown): a labelled
    file's rows never share the whole LA's key."""
    whole = ABSENCE_HEADER + PRU_ROWS.replace("42.9", "5.1")
    _t, all_pupils = parse(write(tmp_path, "absence_2term_la.csv", whole), reference)
    _t, pru = parse(write(tmp_path, "absence_2term_pru_la.csv", ABSENCE_HEADER + PRU_ROWS), reference)
    assert knowsley(all_pupils)["breakdown"] == "term=Autumn and spring term"
    assert knowsley(pru)["breakdown"] == PRU_LABEL


SFR35_HEADER = (
    "year,level,country_code,country_name,region_code,region_name,old_la_code,new_la_code,la_name,"
    "school_type,perm_physical_pupils,perm_other,fixed_physical_pupils\n"
)
SFR35_ROWS = """\
201516,National,E92000001,England,,,,,,Total,825,1125,59880
201516,National,E92000001,England,,,,,,Special school,5,5,2135
201516,Regional,E92000001,England,E12000009,South West,,,,Total,65,100,5530
201516,Regional,E92000001,England,E13000001,Inner London,,,,Total,55,95,3490
201516,Local authority,E92000001,England,E12000009,South West,865,E06000054,Wiltshire,Total,3.29412,x,120
201516,Local authority,E92000001,England,E12000009,South West,865,E06000054,Wiltshire,Special school,0,3.2,14
201516,Local authority,E92000001,England,E13000001,Inner London,202,E09000007,Camden,State-funded primary,x,4,23
"""


def test_sfr35_reason_file_country_and_region_names_are_areas_not_filters(tmp_path, reference):
    table, frame = parse(write(tmp_path, "SFR35_2017_reason_for_exclusion.csv", SFR35_HEADER + SFR35_ROWS), reference)
    assert not table.rejections
    totals = frame[frame["breakdown"] == "Total"]
    assert set(totals["area_code"]) == {"E92000001", "E12000009", "E13000001", "865"}
    assert not frame["breakdown"].str.contains("country|region", regex=True).any()
    assert cell(frame, "perm_other", area_code="865", breakdown="school_type=Special")["value"] == "3.2"
    assert cell(frame, "perm_physical_pupils", area_code="865", breakdown="Total")["value"] == "3.29412"
    assert (
        cell(frame, "perm_physical_pupils", area_code="E92000001", breakdown="school_type=Special")[
            "breakdown_published"
        ]
        == "school_type=Special school"
    )
    assert cell(frame, "fixed_physical_pupils", area_code="202")["breakdown"] == "school_type=State-funded primary"
    assert any("areas by their codes (country_code, new_la_code, old_la_code, region_code)" in n for n in table.notes)
    assert any("2 count cell(s) are not whole numbers" in n and "loaded as published" in n for n in table.notes)


AREA_COLUMNS = (
    "lad_code",
    "lad_name",
    "pcon_code",
    "pcon_name",
    "opportunity_area_name",
    "english_devolved_area_code",
    "rsc_region_lead_name",
    "school_urn",
    "school_laestab",
    "trust_name",
    "provider_ukprn",
    "la_code",
    "lsip_name",
    "local_authority_name",
    "old_la_code_2",
    "previous_la_code",
    "ward_name",
)


@pytest.mark.parametrize("name", AREA_COLUMNS)
def test_area_columns_by_a_rule_on_names(name):
    from pipelines.lib.sources.school_breakdowns import is_area_column

    assert is_area_column(name)


@pytest.mark.parametrize(
    "name",
    [
        "school_type",
        "phase_type_grouping",
        "social_care_group",
        "reason",
        "la_type",
        "region_of_residence",
        "sess_overall",
        "t_pupils",
        "characteristic",
    ],
)
def test_filters_and_indicators_are_not_area_columns(name):
    from pipelines.lib.sources.school_breakdowns import is_area_column

    assert not is_area_column(name)


def test_extra_area_columns_are_never_filters_with_or_without_a_meta_file(tmp_path, reference):
    extra = "lad_code,lad_name,opportunity_area_name,previous_la_code,"
    header = EES_HEADER.replace("la_name,", "la_name," + extra) + ",perm_excl,sex\n"
    rows = (
        "201112,Academic year,Local authority,E92000001,England,E12000009,South West,865,E06000054,Wiltshire,"
        "E06000054,Wiltshire,Somewhere,865,Total,7,Boys\n"
        "201112,Academic year,National,E92000001,England,,,,,,,,,,Total,70,Girls\n"
    )
    path = write(tmp_path, "exclusions.csv", header + rows)
    _table, frame = parse(path, reference)
    assert set(frame["breakdown"]) == {"sex=Boys", "sex=Girls"}
    # with a .meta.csv, its filters are the filters: an unlisted text column (sex) is not one
    write(
        tmp_path,
        "exclusions.meta.csv",
        META_HEADER + "\nschool_type,Filter,School type,,,,\nperm_excl,Indicator,Permanent exclusions,,,,\n",
    )
    table, frame = parse(path, reference)
    assert set(frame["breakdown"]) == {"Total"}
    assert any("sex (not used)" in n for n in table.notes)


def school_type_rows() -> list[dict]:
    import csv

    from pipelines.lib.sources.school_breakdowns import SCHOOL_TYPES_FILE

    with SCHOOL_TYPES_FILE.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("row", school_type_rows(), ids=lambda r: r["spelling"])
def test_every_school_type_spelling_dfe_used_is_harmonised(row):
    for written in (row["spelling"], row["spelling"].upper(), "  " + row["spelling"].lower().replace("-", " ")):
        assert breakdown_text([("school_type", written)])[0] == f"school_type={row['school_type']}"


def test_school_types_are_four_and_the_mapping_covers_what_the_issue_names():
    rows = school_type_rows()
    assert {r["school_type"] for r in rows} == {
        "State-funded primary",
        "State-funded secondary",
        "Special",
        "State-funded alternative provision school",
    }
    spellings = {r["spelling"] for r in rows}
    assert {
        "Special school",
        "Special",
        "State-funded special",
        "Primary",
        "State-funded primary",
        "PRU",
        "Pupil referral unit",
        "State-funded AP school",
    } <= spellings
    assert len(spellings) == len(rows)


def test_every_spelling_in_one_generated_file_loads_as_its_school_type(tmp_path, reference):
    rows = school_type_rows()
    header = EES_HEADER + ",term,perm_excl\n"
    lines = [
        f"201112,Academic year,National,E92000001,England,,,,,,{r['spelling']},t{n},1\n" for n, r in enumerate(rows)
    ]
    table, frame = parse(write(tmp_path, "types.csv", header + "".join(lines)), reference)
    assert not table.rejections
    types = {b.split("; ")[0] for b in frame["breakdown"]}
    assert types == {f"school_type={t}" for t in {r["school_type"] for r in rows}}


def test_a_current_ap_file_reads_education_phase_as_its_school_type(tmp_path, reference):
    header = ABSENCE_HEADER.replace("la_name,", "la_name,education_phase,")
    rows = (
        "202425,Academic year,National,E92000001,England,,,,,,State-funded alternative provision,1,2,3,40.1\n"
        "202425,Academic year,Local authority,E92000001,England,E12000002,North West,340,E08000011,Knowsley,"
        "State-funded alternative provision,1,2,3,42.9\n"
    )
    _table, frame = parse(write(tmp_path, "absence.csv", header + rows), reference)
    assert set(frame["breakdown"]) == {"school_type=State-funded alternative provision school"}


def test_a_meta_file_listing_an_area_column_as_a_filter_does_not_make_it_one(tmp_path, reference):
    rows = (
        "201112,Academic year,Regional,E92000001,England,E12000009,South West,,,,Total,5\n"
        "201112,Academic year,National,E92000001,England,,,,,,Total,50\n"
    )
    data = write(tmp_path, "exclusions.csv", EES_HEADER + ",perm_excl\n" + rows)
    write(
        tmp_path,
        "exclusions.meta.csv",
        META_HEADER + "\nregion_name,Filter,Region,,,,\n"
        "country_name,Filter,Country,,,,\nschool_type,Filter,School type,,,,\nperm_excl,Indicator,Perm,,,,\n",
    )
    _table, frame = parse(data, reference)
    assert set(frame["breakdown"]) == {"Total"}
    assert set(frame["area_code"]) == {"E12000009", "E92000001"}


# ---------------------------------------------------------------------------
# Landing: DuckDB's own reader, the Python reader only for what it cannot read
# ---------------------------------------------------------------------------


def test_a_csv_file_and_its_meta_are_landed_by_duckdb_in_one_call(tmp_path, reference, monkeypatch):
    from pipelines.lib.sources import school_statistics

    data = ees_file(tmp_path, "201112,Academic year,National,E92000001,England,,,,,,Total,1,2,3,4\n")
    write(
        tmp_path,
        "exclusions.meta.csv",
        META_HEADER + "\nschool_type,Filter,School type,,,,\n"
        "perm_excl,Indicator,Permanent exclusions,,,,\nfixed_excl_rate,Indicator,Rate,,,,\n"
        "sess_overall_percent,Indicator,Overall,,%,,\none_plus_fixed,Indicator,One plus,,,,\n",
    )
    calls = []
    real = school_statistics.land_csv_files
    monkeypatch.setattr(
        school_statistics,
        "land_csv_files",
        lambda con, files, table: calls.append([p.name for p in files]) or real(con, files, table),
    )
    monkeypatch.setattr(school_statistics, "_read_sheets", lambda path: pytest.fail(f"{path} read in Python"))
    table, frame = parse(data, reference)
    assert calls == [["exclusions.csv", "exclusions.meta.csv"]]
    assert table.notes[0] == "filters and indicators from exclusions.meta.csv"
    assert cell(frame, "sess_overall_percent")["indicator_unit"] == "%"


@pytest.mark.parametrize(("delimiter", "native"), [(",", True), ("\t", False), (";", False)])
def test_only_comma_separated_text_is_landed_natively(tmp_path, delimiter, native):
    from pipelines.lib.sources.school_statistics import _native_csv

    path = write(tmp_path, "x.csv", EES_HEADER.replace(",", delimiter) + "\n")
    assert _native_csv(path) is native
    assert _native_csv(write(tmp_path, "u16.csv", EES_HEADER + "\n", encoding="utf-16")) is False
    assert _native_csv(write(tmp_path, "empty.csv", "")) is False


def test_roles_without_a_meta_file_are_profiled_in_sql(tmp_path, reference):
    """Without a .meta.csv: a column of numbers with one stray text in over 100 cells is an indicator (the
    text quarantined); a column of words, or one named like a filter, is a filter."""
    rows = "".join(
        "201112,Academic year,Local authority,E92000001,England,E12000009,South West,865,,,Total,"
        f"{'oops' if i == 7 else i},Kind {i}\n"
        for i in range(120)
    )
    header = EES_HEADER + ",perm_excl,area_kind\n"
    table, frame = parse(write(tmp_path, "e.csv", header + rows), reference)
    assert "filters: school_type, area_kind; 1 indicators" in table.notes[0]
    assert set(frame["indicator"]) == {"perm_excl"}
    assert [r.reason for r in table.rejections if r.column == "perm_excl"] == [
        "perm_excl value 'oops' is neither a number nor a statistics symbol (c, x, z, low, k, u, or legacy : ~ .. . -)"
    ]


@pytest.mark.parametrize("meta_encoding", ["utf-8", "cp1252"])
def test_the_batch_parser_loads_a_folder_as_the_file_parser_does(tmp_path, reference, meta_encoding):
    """The same raw rows, quarantine entries and load-log rows (statuses, counts, reasons) either way: a good
    file with its .meta.csv (in Windows-1252 too: the batch runs in one transaction, which a file refused by
    DuckDB's reader would abort), a file with quarantined rows and cells, a file refused whole, a header-only
    file."""
    folder = tmp_path / SOURCE
    folder.mkdir()
    ees_file(folder)
    write(
        folder,
        "exclusions.meta.csv",
        META_HEADER + "\nschool_type,Filter,School type,,,,\n"
        "perm_excl,Indicator,Permanent exclusions \u2013 all,,,,\nfixed_excl_rate,Indicator,Rate,,,,\n",
        encoding=meta_encoding,
    )
    write(folder, "bad.csv", "period,area,value\n201112,England,1\n")
    write(folder, "empty.csv", EES_HEADER + ",perm_excl\n")
    write(
        folder,
        "ragged.csv",
        EES_HEADER + ",perm_excl\n201112,Academic year,National,E92000001,England,,,,,,"
        "Total,-3\n201112,Academic year,National\n",
    )
    table = values_table(SOURCE).name
    seen = []
    for batched in (False, True):
        con = duckdb.connect()
        load_source(
            con,
            source=SOURCE,
            folder=folder,
            tables=[values_table(SOURCE)],
            run_id="r",
            companions=meta_companions,
            **parsers(reference, con, batched),
        )
        seen.append(
            [
                con.execute(f"select * exclude (_run_id) from raw.{table} order by all").fetchall(),
                con.execute(
                    "select file_path, row_number, column_name, value, reason, table_name "
                    "from quality.rejected_rows order by all"
                ).fetchall(),
                con.execute(
                    "select file_path, table_name, status, rows_read, rows_loaded, rows_rejected, "
                    "cells_quarantined, reason from quality.load_log order by all"
                ).fetchall(),
            ]
        )
    assert seen[0][0] and seen[0][1] and len(seen[0][2]) == 5
    labels = {r[0] for r in con.execute(f"select distinct indicator_label from raw.{table}").fetchall()}
    assert "Permanent exclusions \u2013 all" in labels
    assert seen[1] == seen[0]
