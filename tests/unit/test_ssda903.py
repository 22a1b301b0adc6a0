"""SSDA903 parsing: recognition by header, the row rules, pseudonymisation, the XML return, the AD1 rule."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from pipelines.lib.ingest.load import FileRejected, load_source
from pipelines.lib.ingest.pseudonymise import child_key
from pipelines.lib.sources.ssda903 import (
    TABLES,
    adoption_placement_starts,
    apply_cross_table_rules,
    date_match_violations,
    mark_for_reload,
    parse_ssda903_file,
    return_context,
)

KEY = "unit-test-key"
ROOT = Path("/landing/ssda903")
EPISODES_HEADER = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN"


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def parse(path: Path, root: Path, home_la: str = "865"):
    return {t.table_name: t for t in parse_ssda903_file(path, root=root, home_la=home_la, key=KEY)}


# --- where a file sits ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "relative, expected",
    [
        ("2018/episodes.csv", ("865", 2018)),
        ("2017-18/episodes.csv", ("865", 2018)),
        ("931/2018/episodes.csv", ("931", 2018)),
        ("archive/2011/returns/episodes.csv", ("865", 2011)),
    ],
)
def test_la_and_year_come_from_the_folders(relative, expected):
    ctx = return_context(ROOT / relative, ROOT, "865", known_las={"865", "931"})
    assert (ctx.la_code, ctx.collection_year) == expected


def test_a_file_outside_a_year_folder_is_rejected_with_what_to_do():
    with pytest.raises(FileRejected, match=r"raw/ssda903/<YYYY>/"):
        return_context(ROOT / "episodes.csv", ROOT, "865")
    with pytest.raises(FileRejected, match="not a DfE LA code"):
        return_context(ROOT / "999" / "2018" / "episodes.csv", ROOT, "865", known_las={"865"})


# --- CSV tables ----------------------------------------------------------------------------------------------
def test_episodes_rules_quarantine_with_reasons_and_never_the_clear_id(tmp_path):
    rows = [
        "A1001,01/04/2016,S,C1,N1,U4,PR1,01/06/2016,X1,,AB1 2CD,EF3 4GH,XXXXXXX",  # 2 fine
        "A1001,01/06/2016,L,E1,N1,U4,PR1,,E11,,AB1 2CD,EF3 4GH,XXXXXXX",  # 3 open, REC filled: fine
        "A1002,05/03/2017,S,C1,N1,U4,PR1,01/02/2017,X1,,,,",  # 4 DEC before DECOM
        "A1003,31/02/2017,S,C1,N1,U4,PR1,,,,,,",  # 5 not a real date
        "A1004,01/05/2017,s,c2,n1,u4,PR1,,,,,,",  # 6 lower case: fine once upper-cased
        "A1005,01/05/2017,Q,C2,N9,U4,PR1,,,,,,",  # 7 two bad codes: one row, two rejections
        "A1006,01/05/2017,P,E1,N1,U4,PR1,01/09/2017,E11,,,,",  # 8 adopted from a foster placement
        "A1007,01/05/2017,P,E1,N1,A6,PR1,01/09/2017,,,,,",  # 9 closed without REC
        "A1001,01/04/2016,S,C1,N1,U4,PR1,01/06/2016,X1,,,,",  # 10 duplicate of row 2
        ",01/05/2017,S,C2,N1,U4,PR1,,,,,,",  # 11 no CHILD
        "A1008,01/05/2017,T,E1,N1,A5,PR1,01/09/2017,E12,,,,",  # 12 adopted from A5 begun with T: fine
        "A1009,01/05/2017,P,E1,N1,A5,PR1,,,,,,",  # 13 A5 (current foster carers) begun with P (new carers)
        "A1010,01/04/2017,S,C1,N1,U4,PR1,01/05/2017,X1,,,,",  # 14 fine
        "A1010,01/06/2017,P,C1,N1,U6,PR1,,,CARPL,,,",  # 15 continues row 14, which ended a month before
        "A1011,01/04/2017,S,C1,N1,U4,PR1,,,,,,",  # 16 open, fine
        "A1011,01/06/2017,P,C1,N1,U6,PR1,,,CARPL,,,",  # 17 begins while row 16 is still open
        "A1012,01/04/2017,S,C1,N1,K3,PR1,,,,,,",  # 18 K3: a code of 2024-25, not of 2017-18
        "A1013,01/04/2017,S,C1,N1,U4,PR9,,,XYZ,,,",  # 19 provider and reason for the change not DfE codes
    ]
    path = write(tmp_path / "2018", "eps.csv", EPISODES_HEADER + "\n" + "\n".join(rows) + "\n")
    table = parse(path, tmp_path)["ssda903_episodes"]
    assert table.rows_read == 18
    assert sorted(r["_row_number"] for r in table.rows) == [2, 3, 6, 12, 14, 16]
    by_row = {}
    for rejection in table.rejections:
        by_row.setdefault(rejection.row_number, []).append(rejection)
    assert {n: [(r.column, r.value) for r in rs] for n, rs in by_row.items()} == {
        4: [("DEC", "01/02/2017")],
        5: [("DECOM", "31/02/2017")],
        7: [("RNE", "Q"), ("CIN", "N9")],
        8: [("REC", "E11")],
        9: [("REC", None)],
        10: [("CHILD", child_key("865", "A1001", KEY))],
        11: [("CHILD", None)],
        13: [("RNE", "P")],
        15: [("RNE", "P")],
        17: [("DECOM", "2017-06-01")],
        18: [("PLACE", "K3")],
        19: [("PLACE_PROVIDER", "PR9"), ("REASON_PLACE_CHANGE", "XYZ")],
    }
    assert "before DECOM" in by_row[4][0].reason
    assert "not a real date" in by_row[5][0].reason
    assert "not a DfE reason for new episode code" in by_row[7][0].reason
    assert "not an adoption placement" in by_row[8][0].reason
    assert "row 2 of this file is kept" in by_row[10][0].reason
    assert by_row[4][0].reason.startswith("DfE rule 356: ")
    assert by_row[8][0].reason.startswith("DfE rule 390: ")
    assert by_row[9][0].reason.startswith("DfE rule 148: ")
    assert by_row[13][0].reason.startswith("DfE rule 217: ")
    assert by_row[15][0].reason.startswith("DfE rule 433: ") and "ended on 2017-05-01" in by_row[15][0].reason
    assert by_row[17][0].reason.startswith("DfE rule 142: ")
    assert by_row[18][0].reason.startswith(
        "DfE rule 146: PLACE 'K3' is not valid in the 2017-18 collection (valid from 2024-25)"
    )
    assert [r.reason.split(":")[0] for r in by_row[19]] == ["DfE rule 178", "DfE rule 1009"]
    lower = next(r for r in table.rows if r["_row_number"] == 6)
    assert (lower["rne"], lower["ls"], lower["cin"], lower["place"]) == ("S", "C2", "N1", "U4")
    for row in table.rows:
        assert row["child_key"] == child_key(
            "865", {2: "A1001", 3: "A1001", 6: "A1004", 12: "A1008", 14: "A1010", 16: "A1011"}[row["_row_number"]], KEY
        )
        assert "HOME_POST" not in row and "home_post" not in row and "pl_post" not in row
        assert row["la_code"] == "865" and row["collection_year"] == "2018"
    everything = repr(table.rows) + repr(table.rejections)
    for clear in ("A1001", "A1002", "A1006", "AB1 2CD", "EF3 4GH"):
        assert clear not in everything


def test_header_cuts_dates_of_birth_and_drops_the_upn(tmp_path):
    path = write(
        tmp_path / "2018",
        "h.csv",
        "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nB1,1,17/06/2010,WBRI,A123456789012,1.0,23/11/2016\n"
        "B2,2,not a date,WBRI,A123456789013,,\n",
    )
    table = parse(path, tmp_path)["ssda903_header"]
    assert table.rows == [
        {
            "la_code": "865",
            "collection_year": "2018",
            "child_key": child_key("865", "B1", KEY),
            "sex": "1",
            "birth_month": "2010-06-01",
            "ethnic": "WBRI",
            "mother": "1",
            "mc_birth_month": "2016-11-01",
            "_row_number": 2,
        }
    ]
    assert [(r.row_number, r.column) for r in table.rejections] == [(3, "DOB")]
    assert "A123456789012" not in repr(table.rows)


def test_ad1_and_placed_adoption(tmp_path):
    ad1 = write(
        tmp_path / "931" / "2016",
        "ad1.csv",
        "CHILD,DOB,DATE_INT,DATE_MATCH,FOSTER_CARE,NB_ADOPTR,SEX_ADOPTR,LS_ADOPTR\n"
        "C1,15/06/2013,22/11/2015,22/11/2015,1.0,2,MM,L11\nC2,15/06/2013,22/11/2015,22/11/2015,3,2,MM,L11\n",
    )
    table = parse(ad1, tmp_path)["ssda903_ad1"]
    assert [(r["child_key"], r["foster_care"], r["la_code"]) for r in table.rows] == [
        (child_key("931", "C1", KEY), "1", "931")
    ]
    assert [(r.column, r.value) for r in table.rejections] == [("FOSTER_CARE", "3")]
    placed = write(
        tmp_path / "2016",
        "pa.csv",
        "CHILD,DOB,DATE_PLACED,DATE_PLACED_CEASED,REASON_PLACED_CEASED\n"
        "C1,15/06/2013,22/11/2016,07/04/2017,RD1\nC1,15/06/2013,22/11/2015,07/04/2017,XXX\n"
        "C3,15/06/2013,22/11/2016,07/04/2015,RD1\nC1,15/06/2013,22/11/2016,,\n",
    )
    table = parse(placed, tmp_path)["ssda903_placed_adoption"]
    assert [r["_row_number"] for r in table.rows] == [2]
    assert [(r.row_number, r.column) for r in table.rejections] == [
        (3, "REASON_PLACED_CEASED"),
        (4, "DATE_PLACED_CEASED"),
        (5, "CHILD"),
    ]
    assert table.rejections[0].reason.startswith("DfE rule 120: REASON_PLACED_CEASED 'XXX' is not a DfE")


def test_other_tables_are_recognised_and_noted_not_loaded(tmp_path):
    path = write(tmp_path / "2018", "rev.csv", "CHILD,DOB,REVIEW,REVIEW_CODE\n1,01/01/2010,01/02/2018,PN1\n")
    table = parse(path, tmp_path)["ssda903_reviews"]
    assert (table.rows, table.rows_read) == ([], 0)  # not read as data, so accounting stays exact
    assert table.notes == ["recognised as the SSDA903 Reviews table (1 rows): not used by the warehouse, so not loaded"]


def test_unknown_file_rejected_without_showing_its_values(tmp_path):
    path = write(tmp_path / "2018", "x.csv", "4022,01/01/2017,S\n")
    with pytest.raises(FileRejected) as exc:
        parse(path, tmp_path)
    assert "4022" not in str(exc.value) and "names no SSDA903 column" in str(exc.value)
    path = write(tmp_path / "2018", "y.csv", "CHILD,DECOM,RNE\n1,01/01/2017,S\n")
    with pytest.raises(FileRejected, match=r"lacks required column.*LS, CIN, PLACE, DEC, REC"):
        parse(path, tmp_path)


# --- XML -----------------------------------------------------------------------------------------------------
XML = (
    "<?xml version='1.0' encoding='us-ascii'?>\n<EXPSSDA903>"
    "<CHILD><HEADER><CHILDID>907440</CHILDID><UPN>O013219285333</UPN><SEX>2</SEX><DOB>28/07/2010</DOB>"
    "<ETHNIC>BAFR</ETHNIC><UASC /><AREVIEW><REVIEW>27/09/2015</REVIEW><REVIEW_CODE>PN0</REVIEW_CODE></AREVIEW>"
    "<MOTHER /><MC_DOB /><AD_PLACED><DATE_PLACED>01/02/2017</DATE_PLACED><DATE_PLACED_CEASED />"
    "<REASON_PLACED_CEASED /></AD_PLACED><DATE_INT>01/02/2017</DATE_INT><DATE_MATCH>01/03/2017</DATE_MATCH>"
    "<FOSTER_CARE>0</FOSTER_CARE><NB_ADOPTR>2</NB_ADOPTR><SEX_ADOPTR>MF</SEX_ADOPTR><LS_ADOPTR>L0</LS_ADOPTR>"
    "</HEADER>"
    "<EPISODE><DECOM>06/01/2017</DECOM><RNE>S</RNE><LS>E1</LS><CIN>N4</CIN><PL>U4</PL><PL_POST>E7 5YR</PL_POST>"
    "<HOME_POST>B15 8PZ</HOME_POST><URN>1465167</URN><PLACE_PROVIDER>PR2</PLACE_PROVIDER><DEC>06/04/2017</DEC>"
    "<REC>X1</REC><REASON_PLACE_CHANGE /></EPISODE>"
    "<EPISODE><DECOM>06/04/2017</DECOM><RNE>P</RNE><LS>E1</LS><CIN>N4</CIN><PL>A6</PL><PL_POST />"
    "<HOME_POST /><URN /><PLACE_PROVIDER>PR1</PLACE_PROVIDER><DEC>07/03/2018</DEC><REC>E11</REC>"
    "<REASON_PLACE_CHANGE /></EPISODE></CHILD>"
    "<CHILD><HEADER><CHILDID>228005</CHILDID><SEX>1</SEX><DOB>29/11/2006</DOB><ETHNIC>BCRB</ETHNIC></HEADER>"
    "<EPISODE><DECOM>27/03/2017</DECOM><RNE>P</RNE><LS>D1</LS><CIN>N6</CIN><PL>T0</PL><DEC>07/07/2017</DEC>"
    "<REC>E12</REC></EPISODE></CHILD></EXPSSDA903>\n"
)


def test_xml_return(tmp_path):
    path = write(tmp_path / "2018", "return.xml", XML)
    tables = parse(path, tmp_path)
    header, episodes = tables["ssda903_header"], tables["ssda903_episodes"]
    assert [r["birth_month"] for r in header.rows] == ["2010-07-01", "2006-11-01"]
    assert [(r["decom"], r["place"], r["dec"], r["rec"]) for r in episodes.rows] == [
        ("2017-01-06", "U4", "2017-04-06", "X1"),
        ("2017-04-06", "A6", "2018-03-07", "E11"),
    ]
    assert [(r.row_number, r.column, r.value) for r in episodes.rejections] == [(3, "REC", "E12")]
    assert episodes.rejections[0].reason.startswith(
        "<CHILD> 2: <EPISODE> 1 (episode 3 of the file): DfE rule 390: REC E12"
    )
    assert [(r["date_match"], r["foster_care"]) for r in tables["ssda903_ad1"].rows] == [("2017-03-01", "0")]
    assert [r["date_placed"] for r in tables["ssda903_placed_adoption"].rows] == ["2017-02-01"]
    assert "1 reviews" in header.notes[0]
    everything = repr([t.rows for t in tables.values()]) + repr([t.rejections for t in tables.values()])
    for clear in ("907440", "228005", "O013219285333", "E7 5YR", "B15 8PZ"):
        assert clear not in everything


def test_xml_with_another_root_is_rejected(tmp_path):
    path = write(tmp_path / "2018", "other.xml", "<?xml version='1.0'?><OTHER><CHILD /></OTHER>")
    with pytest.raises(FileRejected, match="not <EXPSSDA903>"):
        parse(path, tmp_path)


# --- the AD1 rule across tables --------------------------------------------------------------------------------
def _episode(child, decom, dec, rne, place, rec=None, year="2018"):
    return {
        "la_code": "865",
        "collection_year": year,
        "child_key": child,
        "decom": decom,
        "dec": dec,
        "rne": rne,
        "place": place,
        "rec": rec,
    }


def test_adoption_placement_start_steps_back_over_unchanged_carers_only():
    episodes = [
        _episode("a", "2016-01-01", "2016-06-01", "S", "U4", "X1"),
        _episode("a", "2016-06-01", "2017-01-01", "P", "A6", "X1"),  # placed with adopters X
        _episode("a", "2017-01-01", "2017-05-01", "L", "A6", "X1"),  # legal status change, same carers
        _episode("a", "2017-05-01", "2017-12-01", "U", "A6", "E11"),  # placement change, same carers
        _episode("b", "2016-01-01", "2016-06-01", "S", "A6", "X1"),  # disrupted adoptive placement
        _episode("b", "2016-06-01", "2017-01-01", "P", "A6", "E12"),  # new adopters
        _episode("c", "2016-01-01", "2016-06-01", "S", "U5", "X1"),  # foster carers
        _episode("c", "2016-06-01", "2017-01-01", "U", "A5", "E11"),  # placed for adoption with them
        _episode("d", "2016-01-01", None, "S", "A6", "E11"),  # open: not adopted
    ]
    assert adoption_placement_starts(episodes) == {
        ("865", "2018", "a"): "2016-06-01",
        ("865", "2018", "b"): "2016-06-01",
        ("865", "2018", "c"): "2016-06-01",
    }
    ad1 = [
        {"la_code": "865", "collection_year": "2018", "child_key": "a", "date_match": "2016-05-20"},
        {"la_code": "865", "collection_year": "2018", "child_key": "b", "date_match": "2016-06-02"},
        {"la_code": "865", "collection_year": "2019", "child_key": "c", "date_match": "2018-01-01"},
    ]
    assert [r["child_key"] for r in date_match_violations(ad1, adoption_placement_starts(episodes))] == ["b"]


def test_cross_table_rule_and_reload_in_the_warehouse(tmp_path):
    """Through the load machinery: the AD1 row is quarantined against the other file's Episodes, and fixing the
    Episodes file (only) brings it back, because every file of a return is read again when one changes."""
    folder = tmp_path / "ssda903"
    write(
        folder / "2018",
        "eps.csv",
        EPISODES_HEADER + "\nK1,01/01/2016,S,C1,N1,U4,PR1,01/06/2017,X1,,,,\n"
        "K1,01/06/2017,B,E1,N1,A6,PR1,01/02/2018,E11,,,,\n",
    )
    write(
        folder / "2018",
        "ad1.csv",
        "CHILD,DOB,DATE_INT,DATE_MATCH,FOSTER_CARE,NB_ADOPTR,SEX_ADOPTR,LS_ADOPTR\n"
        "K1,01/01/2015,01/02/2017,01/07/2017,0,2,MF,L0\n",
    )
    con = duckdb.connect(str(tmp_path / "w.duckdb"))

    def refresh(run_id):
        reloading = mark_for_reload(con, folder, "865", KEY)
        result = load_source(
            con,
            source="ssda903",
            folder=folder,
            tables=TABLES,
            run_id=run_id,
            parser=lambda p: parse_ssda903_file(p, root=folder, home_la="865", key=KEY),
        )
        return reloading, result, apply_cross_table_rules(con, run_id)

    reloading, _result, moved = refresh("r1")
    assert (reloading, moved) == (True, 1)
    assert con.execute("select count(*) from raw.ssda903_ad1").fetchone()[0] == 0
    assert con.execute("select column_name, value from quality.rejected_rows").fetchall() == [
        ("DATE_MATCH", "2017-07-01")
    ]
    assert con.execute(
        "select rows_loaded, rows_rejected from quality.load_log where run_id = 'r1' and file_path like '%ad1.csv'"
    ).fetchall() == [(0, 1)]
    reloading, result, moved = refresh("r2")
    assert (reloading, moved, {f.status for f in result.files}) == (False, 0, {"unchanged"})
    write(
        folder / "2018",
        "eps.csv",
        EPISODES_HEADER + "\nK1,01/01/2016,S,C1,N1,U4,PR1,01/08/2017,X1,,,,\n"
        "K1,01/08/2017,B,E1,N1,A6,PR1,01/02/2018,E11,,,,\n",
    )
    reloading, result, moved = refresh("r3")
    assert (reloading, moved, {f.status for f in result.files}) == (True, 0, {"loaded"})
    assert con.execute("select count(*) from raw.ssda903_ad1").fetchone()[0] == 1
    assert con.execute("select count(*) from quality.rejected_rows").fetchone()[0] == 0
    assert mark_for_reload(con, folder, "931", KEY) is True  # another home LA: every child_key changes


# --- the thresholds shipped ------------------------------------------------------------------------------------
def test_threshold_seed_holds_the_values_of_indicators_md():
    seed = Path(__file__).resolve().parents[2] / "dbt_project/seeds/adoption/adoption_scorecard_thresholds.csv"
    with seed.open(newline="", encoding="utf-8") as fh:
        rows = {
            (int(r["period_end_year"]), r["scorecard_code"]): (int(r["threshold"]), r["verified"])
            for r in csv.DictReader(fh)
        }
    expected = {
        2011: (639, 213, 21, "true"),
        2012: (639, 213, 21, "false"),
        2013: (608, 182, 20, "false"),
        2014: (547, 182, 18, "true"),
        2015: (487, 152, 16, "true"),
        2016: (426, 121, 14, "true"),
    }
    for year, (a1, a2, a3, verified) in expected.items():
        assert rows[(year, "A1")] == rows[(year, "A10")] == (a1, verified)
        assert rows[(year, "A2")] == (a2, verified)
        assert rows[(year, "A3")] == (a3, verified)
    assert max(y for y, _ in rows) == 2016  # later periods take the latest row (2013-16 on), by rule


def test_xml_values_nested_in_a_singleton_wrapper_are_found(tmp_path):
    xml = (
        "<EXPSSDA903><CHILD><HEADER><CHILDID>1</CHILDID><SEX>1</SEX><DOB>01/02/2015</DOB>"
        "<AD1><DATE_INT>01/02/2017</DATE_INT><DATE_MATCH>01/03/2017</DATE_MATCH><FOSTER_CARE>1</FOSTER_CARE></AD1>"
        "<AREVIEW><REVIEW>27/09/2016</REVIEW><REVIEW_CODE>PN0</REVIEW_CODE></AREVIEW></HEADER></CHILD></EXPSSDA903>"
    )
    tables = parse(write(tmp_path / "2017", "r.xml", xml), tmp_path)
    assert [(r["date_match"], r["foster_care"]) for r in tables["ssda903_ad1"].rows] == [("2017-03-01", "1")]
    assert tables["ssda903_header"].rows[0]["birth_month"] == "2015-02-01"


def test_xml_with_a_namespace(tmp_path):
    xml = (
        '<?xml version="1.0"?><EXPSSDA903 xmlns="urn:dfe:ssda903"><CHILD><HEADER><CHILDID>9</CHILDID><SEX>1</SEX>'
        "<DOB>01/02/2015</DOB></HEADER><EPISODE><DECOM>01/04/2016</DECOM><RNE>S</RNE><LS>C1</LS><CIN>N1</CIN>"
        "<PL>U4</PL><DEC /><REC /></EPISODE></CHILD></EXPSSDA903>"
    )
    tables = parse(write(tmp_path / "2017", "ns.xml", xml), tmp_path)
    assert [r["place"] for r in tables["ssda903_episodes"].rows] == ["U4"]
