"""SSDA903 row rules in SQL: the same dates as parse_date, the child keys of pseudonymise.child_key, workbooks and
XML landed in the shape of the CSVs, and the batch load equal to the file-by-file load."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import openpyxl

from pipelines.lib.ingest.load import load_source
from pipelines.lib.ingest.parsing import parse_date
from pipelines.lib.ingest.pseudonymise import child_key
from pipelines.lib.sources.ssda903 import (
    TABLES,
    apply_cross_table_rules,
    create_rule_tables,
    parse_ssda903_file,
    ssda903_batch,
)

KEY = "sql-test-key"
EPISODES = (
    "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,PL_POST,URN\n"
    "A1,01/04/2016,S,C1,N1,U4,PR1,01/06/2016,X1,,AB1 2CD,\n"
    "A1,01/06/2016,T,C1,N1,U4,PR1,,,,AB1 2CD,\n"  # T says the placement changed: it did not (435)
    "A2,31/02/2017,S,C1,N1,U4,PR1,,,,,\n"
    "A3,01/05/2017,Q,C2,N9,K3,PR1,,,,,\n"
    "A4,01/05/2017,S,C2,N1,U4,PR1,,,,,\n"
    "A4,01/05/2017,S,C2,N1,U4,PR1,,,,,\n"
)

DATES = [
    "01/04/2016",
    "1/4/2016",
    "01.04.2016",
    "01-04-16",
    "2016-04-01",
    "2016-4-1",
    "2016-04-01 00:00",
    "2016-04-01T00:00:00",
    "2016-04-01 00:00:00.000",
    "31/02/2017",
    "29/02/2016",
    "29/02/2017",
    "03/25/2012",
    "25/13/2012",
    "13/13/2012",
    "2012-13-01",
    "0000-01-01",
    "00/01/2012",
    "1/1/1",
    "not a date",
    "2016/04/01",
    "01/04/20166",
    "2016-04-01 12:00",
    " 5/3/2012 ",
    "31/12/99",
    "1.0",
]


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_dates_are_read_in_sql_as_parse_date_reads_them():
    con = duckdb.connect()
    create_rule_tables(con)
    for text in DATES:
        value = text.strip()
        iso, error = con.execute(
            "select s903_iso(?), case when s903_iso(?) is null then s903_date_error(?) end", [value, value, value]
        ).fetchone()
        try:
            expected, why = parse_date(text).isoformat(), None
        except ValueError as exc:
            expected, why = None, str(exc)
        assert (iso, error) == (expected, why), text


def test_the_keys_joined_in_sql_are_pseudonymise_child_key(tmp_path):
    root = tmp_path / "ssda903"
    files = [
        write(root / "2018", "eps.csv", EPISODES),
        write(root / "931" / "2018", "eps.csv", EPISODES),
        write(root / "931" / "2019", "h.csv", "CHILD,SEX,DOB,ETHNIC\nA1,1,01/02/2015,WBRI\n B7 ,2,01/03/2015,WBRI\n"),
    ]
    con = duckdb.connect()
    outcome = ssda903_batch(con, files, root=root, home_la="865", key=KEY, known_las={"865", "931"})
    rows = con.execute(
        f"select la_code, child_key from {outcome.staged['ssda903_episodes']} union all "
        f"select la_code, child_key from {outcome.staged['ssda903_header']}"
    ).fetchall()
    expected = {child_key(la, child, KEY) for la in ("865", "931") for child in ("A1", "A4")} | {
        child_key("931", "B7", KEY)
    }
    assert {key for _la, key in rows} == expected
    assert ("931", child_key("931", "A1", KEY)) in rows and ("865", child_key("865", "A1", KEY)) in rows
    assert con.execute(f"select count(*) from {outcome.rejections} where value = 'A1'").fetchone()[0] == 0


def test_a_workbook_sheet_goes_through_the_same_rules_as_a_csv_file(tmp_path):
    csv_path = write(tmp_path / "2018", "eps.csv", EPISODES)
    workbook = openpyxl.Workbook()
    workbook.active.title = "Episodes"
    for line in EPISODES.splitlines():
        workbook.active.append(line.split(","))
    workbook.create_sheet("Empty")
    workbook.create_sheet("Notes").append(["Exported", "from the case system"])
    xlsx_path = tmp_path / "2018" / "return.xlsx"
    workbook.save(xlsx_path)
    (from_csv,) = parse_ssda903_file(csv_path, root=tmp_path, home_la="865", key=KEY)
    (from_xlsx,) = parse_ssda903_file(xlsx_path, root=tmp_path, home_la="865", key=KEY)
    assert from_xlsx.sheet == "Episodes" and from_xlsx.rows_read == from_csv.rows_read == 6
    assert from_xlsx.rows == from_csv.rows and len(from_xlsx.rows) == 2
    assert from_xlsx.rejections == from_csv.rejections and len(from_csv.rejections) == 6
    assert any(n.startswith("sheet 'Notes': not an SSDA903 table") for n in from_xlsx.notes)


def test_the_batch_load_equals_the_file_by_file_load(tmp_path):
    root = tmp_path / "ssda903"
    write(root / "2018", "eps.csv", EPISODES)
    write(root / "2018", "ad1.csv", "CHILD,DOB,DATE_MATCH,FOSTER_CARE\nA1,01/01/2015,01/07/2016,yes\nA9,,x,2\n")
    write(root / "2018", "reviews.csv", "CHILD,REVIEW,REVIEW_CODE\nA1,01/05/2016,PN1\n")
    write(root / "2018", "empty.csv", "")
    write(root / "2018", "other.csv", "NAME,COUNT\nx,1\n")
    write(
        root / "2019",
        "return.xml",
        '<?xml version="1.0"?><EXPSSDA903><CHILD><HEADER><CHILDID>9</CHILDID>'
        "<SEX>1</SEX><DOB>02/02/2015</DOB></HEADER><EPISODE><DECOM>01/04/2018</DECOM><RNE>S</RNE><LS>C2</LS>"
        "<CIN>N1</CIN><PL>U4</PL><PLACE_PROVIDER>PR1</PLACE_PROVIDER></EPISODE><EPISODE><DECOM>01/03/2018"
        "</DECOM><RNE>Q</RNE><LS>C2</LS><CIN>N1</CIN><PL>U4</PL></EPISODE></CHILD></EXPSSDA903>",
    )
    results = {}
    for way in (False, True):
        con = duckdb.connect(str(tmp_path / f"{way}.duckdb"))
        kwargs = (
            {"batch_parser": lambda c, paths: ssda903_batch(c, paths, root=root, home_la="865", key=KEY)}
            if way
            else {"parser": lambda p: parse_ssda903_file(p, root=root, home_la="865", key=KEY, as_frame=True)}
        )
        load_source(
            con,
            source="ssda903",
            folder=root,
            tables=TABLES,
            run_id="r1",
            one_transaction=True,
            now=dt.datetime(2026, 1, 1),
            **kwargs,
        )
        apply_cross_table_rules(con, "r1")
        results[way] = _contents(con)
    assert results[False] == results[True]
    log = {Path(f).name: (status, loaded, rejected) for f, status, loaded, rejected, *_rest in results[False]["log"]}
    assert log["empty.csv"][0] == log["other.csv"][0] == "rejected" and log["eps.csv"] == ("loaded", 2, 4)


def _contents(con) -> dict:
    tables = {t.name: sorted(con.execute(f"select * from raw.{t.name}").fetchall(), key=repr) for t in TABLES}
    rejected = sorted(
        con.execute(
            "select file_path, row_number, column_name, value, reason, table_name from quality.rejected_rows"
        ).fetchall(),
        key=repr,
    )
    log = sorted(
        con.execute(
            "select file_path, status, rows_loaded, rows_rejected, reason, table_name, rows_read, "
            "cells_quarantined from quality.load_log"
        ).fetchall(),
        key=repr,
    )
    return {"tables": tables, "rejected": rejected, "log": log}
