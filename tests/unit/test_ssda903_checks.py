"""The SSDA903 suites validate a summary made in SQL and still catch every broken invariant; the set-based
adoption placement start is the row-by-row one; the frame the loader inserts is the rows of the rules."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from expectations.runner import validate_frame
from expectations.ssda903 import (
    ad1_check_query,
    ad1_suite,
    episodes_check_query,
    episodes_suite,
    header_check_query,
    header_suite,
)
from pipelines.lib.ingest.load import ensure_raw_table
from pipelines.lib.ingest.pseudonymise import child_key
from pipelines.lib.sources.ssda903 import (
    AD1_TABLE,
    EPISODES_TABLE,
    HEADER_TABLE,
    adoption_placement_starts,
    parse_ssda903_file,
    placement_starts_sql,
)

KEY = child_key("865", "C1", "k")
OTHER = child_key("865", "C2", "k")
EPISODE = {
    "la_code": "865",
    "collection_year": "2018",
    "child_key": KEY,
    "decom": "2017-01-01",
    "dec": "2017-06-01",
    "rne": "S",
    "ls": "C1",
    "cin": "N1",
    "place": "U4",
    "rec": "X1",
    "_file_path": "a.csv",
    "_row_number": 2,
}


def _warehouse(table, rows: list[dict]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create schema raw")
    ensure_raw_table(con, table)
    if rows:
        frame = pd.DataFrame(rows, dtype="object")
        con.register("incoming", frame)
        con.execute(f"insert into raw.{table.name} by name select * from incoming")
    return con


def failures(table, rows, query, suite, tmp_path) -> set[str]:
    con = _warehouse(table, rows)
    frame = con.execute(query()).df()
    return {o.name for o in validate_frame(frame, suite(), tmp_path, "test") if not o.passed}


def test_episodes_summary_passes_clean_rows_and_catches_each_broken_rule(tmp_path):
    clean = [
        EPISODE,
        {**EPISODE, "decom": "2017-06-01", "dec": None, "rec": None, "rne": "P", "place": "A6", "_row_number": 3},
    ]
    assert failures(EPISODES_TABLE, clean, episodes_check_query, episodes_suite, tmp_path) == set()
    broken = [
        {**EPISODE, "child_key": "C1"},
        {**EPISODE, "child_key": None, "_row_number": 3},
        {**EPISODE, "decom": "01/01/2017", "_row_number": 4},
        {**EPISODE, "child_key": OTHER, "dec": "2016-01-01", "_row_number": 5},
        {
            **EPISODE,
            "child_key": OTHER,
            "decom": "2016-05-01",
            "rne": "Q",
            "ls": "Z1",
            "cin": "N9",
            "place": "XX",
            "rec": "E99",
            "_row_number": 6,
        },
        {**EPISODE, "child_key": OTHER, "decom": "2015-05-01", "rec": "E11", "_row_number": 7},
        {**EPISODE, "child_key": OTHER, "decom": "2014-05-01", "rec": None, "_row_number": 8},
        {**EPISODE, "decom": None, "_row_number": 9},
        {**EPISODE, "child_key": OTHER, "decom": "2014-05-01", "rec": "E2", "_row_number": 10},
        {
            **EPISODE,
            "child_key": OTHER,
            "decom": "2013-05-01",
            "place_provider": "PR9",
            "reason_place_change": "XYZ",
            "_row_number": 11,
        },
    ]
    assert failures(EPISODES_TABLE, broken, episodes_check_query, episodes_suite, tmp_path) == {
        "episodes: child identifiers are pseudonymised",
        "episodes: every row has a child_key",
        "DECOM is a date",
        "DEC not before DECOM",
        "RNE in the DfE list",
        "LS in the DfE list",
        "CIN in the DfE list",
        "PLACE in the DfE list",
        "REC in the DfE list",
        "REC E11/E12 only with an adoption placement",
        "REC present on a closed episode",
        "DECOM present",
        "one episode per child and DECOM in a file",
        "PLACE_PROVIDER in the DfE list",
        "REASON_PLACE_CHANGE in the DfE list",
    }


def test_header_summary_catches_each_broken_rule(tmp_path):
    row = {
        "la_code": "865",
        "collection_year": "2018",
        "child_key": KEY,
        "birth_month": "2010-07-01",
        "mc_birth_month": None,
        "_file_path": "h.csv",
        "_row_number": 2,
    }
    assert failures(HEADER_TABLE, [row], header_check_query, header_suite, tmp_path) == set()
    broken = [
        row,
        {**row, "_row_number": 3, "birth_month": "2010-07-15"},
        {**row, "child_key": "C2", "mc_birth_month": "2015-01-02", "_row_number": 4},
    ]
    assert failures(HEADER_TABLE, broken, header_check_query, header_suite, tmp_path) == {
        "header: child identifiers are pseudonymised",
        "dates of birth cut to the month",
        "mother's child's date of birth cut to the month",
        "one Header row per child in a file",
    }


def _episode(child, decom, dec, rne, place, rec=None, year="2018", row=0):
    return {
        "la_code": "865",
        "collection_year": year,
        "child_key": child,
        "decom": decom,
        "dec": dec,
        "rne": rne,
        "place": place,
        "rec": rec,
        "_file_path": "e.csv",
        "_row_number": row,
    }


EPISODES = [
    _episode("a", "2016-01-01", "2016-06-01", "S", "U4", "X1"),
    _episode("a", "2016-06-01", "2017-01-01", "P", "A6", "X1"),  # placed with adopters X
    _episode("a", "2017-01-01", "2017-05-01", "L", "A6", "X1"),  # legal status change, same carers
    _episode("a", "2017-05-01", "2017-12-01", "U", "A6", "E11"),  # placement change, same carers
    _episode("b", "2016-01-01", "2016-06-01", "S", "A6", "X1"),  # disrupted adoptive placement
    _episode("b", "2016-06-01", "2017-01-01", "P", "A6", "E12"),  # new adopters
    _episode("c", "2016-01-01", "2016-06-01", "S", "U5", "X1"),  # foster carers
    _episode("c", "2016-06-01", "2017-01-01", "U", "A5", "E11"),  # placed for adoption with them
    _episode("d", "2016-01-01", None, "S", "A6", "E11"),  # open: not adopted
    _episode("e", "2016-03-01", "2016-03-01", "U", "A6", "X1"),  # a day's episode, then
    _episode("e", "2016-03-01", "2016-09-01", "U", "A6", "E11"),  # adopted: the walk stops at itself
    _episode("f", "2015-01-01", "2015-06-01", "S", "A4", "X1", year="2017"),  # another return
    _episode("f", "2015-06-01", "2016-02-01", "L", "A4", "E12", year="2017"),
]


def test_placement_starts_in_sql_are_the_row_by_row_ones():
    rows = [{**e, "_row_number": i + 2} for i, e in enumerate(EPISODES)]
    con = _warehouse(EPISODES_TABLE, rows)
    in_sql = {
        (la, year, child): start for la, year, child, start, _place in con.execute(placement_starts_sql()).fetchall()
    }
    assert in_sql == adoption_placement_starts(rows)
    assert in_sql[("865", "2018", "a")] == "2016-06-01" and in_sql[("865", "2017", "f")] == "2015-01-01"


def test_ad1_check_adds_the_placement_start_and_catches_a_late_match(tmp_path):
    rows = [{**e, "_row_number": i + 2} for i, e in enumerate(EPISODES)]
    con = _warehouse(EPISODES_TABLE, rows)
    ensure_raw_table(con, AD1_TABLE)
    con.execute(
        "insert into raw.ssda903_ad1 (la_code, collection_year, child_key, birth_month, date_match, "
        "foster_care, _file_path, _row_number) values ('865', '2018', 'b', '2015-01-01', '2016-06-02', '0', "
        "'ad1.csv', 2), ('865', '2018', 'a', '2015-01-01', '2016-05-20', '1', 'ad1.csv', 3)"
    )
    frame = con.execute(ad1_check_query()).df()
    assert dict(zip(frame["child_key"], frame["adoption_placement_start"])) == {"a": "2016-06-01", "b": "2016-06-01"}
    failed = {o.name for o in validate_frame(frame, ad1_suite(), tmp_path, "test") if not o.passed}
    assert failed == {"AD1: child identifiers are pseudonymised", "DATE_MATCH not after the adoption placement"}


def test_the_frame_the_loader_inserts_holds_the_rows_and_rejections_of_the_rules(tmp_path):
    folder = tmp_path / "2018"
    folder.mkdir()
    path = folder / "episodes.csv"
    path.write_text(
        "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,URN\n"
        "C1,01/04/2016,s ,C1,N1,U4,pr1,01/06/2016,X1,,1.0\n"
        "C1,01/06/2016,P,C1,N1,Z9,PR1,,,,\n"
        "C2,05/03/2017,S,C1,N1,U4,PR1,01/02/2017,X1,,\n"
        "C1,01/04/2016,S,C1,N1,U4,PR1,01/06/2016,X1,,\n",
        encoding="utf-8",
    )
    memo: dict = {}
    (as_rows,) = parse_ssda903_file(path, root=tmp_path, home_la="865", key="k")
    (as_frame,) = parse_ssda903_file(path, root=tmp_path, home_la="865", key="k", as_frame=True, memo=memo)
    assert as_frame.frame.astype(object).where(as_frame.frame.notna(), None).to_dict("records") == as_rows.rows
    assert as_frame.rejections == as_rows.rejections and len(as_rows.rejections) == 3
    assert (as_frame.rows_read, as_frame.rows_loaded, as_frame.rows_rejected) == (4, 1, 3)
    assert as_rows.rows[0]["rne"] == "S" and as_rows.rows[0]["urn"] == "1"
    assert memo == {"la_code": "865", ("865", "C1"): KEY, ("865", "C2"): OTHER}


@pytest.mark.parametrize("batched", [False, True])
def test_a_change_re_reads_the_files_of_its_return_only(tmp_path, batched):
    from pipelines.lib.ingest.load import load_source
    from pipelines.lib.sources.ssda903 import (
        TABLES,
        apply_cross_table_rules,
        mark_for_reload,
        ssda903_batch,
    )

    folder = tmp_path / "ssda903"
    header = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC\n"
    for n, return_folder in enumerate((folder / "2018", folder / "2019", folder / "931" / "2019")):
        return_folder.mkdir(parents=True)
        (return_folder / "episodes.csv").write_text(header + f"K{n},01/01/2016,S,C1,N1,U4,PR1,,\n")
        (return_folder / "ad1.csv").write_text(f"CHILD,DOB,DATE_MATCH,FOSTER_CARE\nK{n},01/01/2015,01/07/2017,0\n")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))

    def refresh(run_id):
        reloading = mark_for_reload(con, folder, "865", "k")
        reader = (
            {"batch_parser": lambda c, paths: ssda903_batch(c, paths, root=folder, home_la="865", key="k")}
            if batched
            else {"parser": lambda p: parse_ssda903_file(p, root=folder, home_la="865", key="k", as_frame=True)}
        )
        result = load_source(
            con, source="ssda903", folder=folder, tables=TABLES, run_id=run_id, one_transaction=True, **reader
        )
        apply_cross_table_rules(con, run_id)
        return reloading, {str(f.file_path).removeprefix(str(folder) + "/"): f.status for f in result.files}

    assert refresh("r1")[1] == dict.fromkeys(
        [
            "2018/ad1.csv",
            "2018/episodes.csv",
            "2019/ad1.csv",
            "2019/episodes.csv",
            "931/2019/ad1.csv",
            "931/2019/episodes.csv",
        ],
        "loaded",
    )
    assert refresh("r2") == (False, dict.fromkeys(refresh("r2")[1], "unchanged"))
    (folder / "2019" / "episodes.csv").write_text(header + "K1,01/02/2016,S,C1,N1,U4,PR1,,\n")
    reloading, statuses = refresh("r3")
    assert reloading is True
    assert statuses == {
        "2018/ad1.csv": "unchanged",
        "2018/episodes.csv": "unchanged",
        "2019/ad1.csv": "loaded",
        "2019/episodes.csv": "loaded",
        "931/2019/ad1.csv": "unchanged",
        "931/2019/episodes.csv": "unchanged",
    }
    assert con.execute("select count(*) from raw.ssda903_episodes").fetchone()[0] == 3
    assert con.execute("select count(*) from raw.ssda903_ad1").fetchone()[0] == 3
    (folder / "931" / "2019" / "ad1.csv").unlink()
    assert refresh("r4")[1] == {
        "2018/ad1.csv": "unchanged",
        "2018/episodes.csv": "unchanged",
        "2019/ad1.csv": "unchanged",
        "2019/episodes.csv": "unchanged",
        "931/2019/episodes.csv": "loaded",
    }
    assert con.execute("select count(*) from raw.ssda903_ad1").fetchone()[0] == 2
