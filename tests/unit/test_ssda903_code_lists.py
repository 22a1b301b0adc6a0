"""SSDA903 code lists by collection year, flags in every spelling, and the DfE rules across tables.

Returns are generated here for several collection years, so the tests hold whatever year a real return is for.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from pipelines.lib.ingest.load import load_source
from pipelines.lib.sources.ssda903 import (
    CODE_LISTS_FILE,
    LIST_RULES,
    TABLES,
    adoption_placement_starts,
    apply_cross_table_rules,
    codes_valid_in,
    mark_for_reload,
    parse_ssda903_file,
    season,
)

KEY = "unit-test-key"
EPISODES_HEADER = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN"
AD1_HEADER = "CHILD,DOB,DATE_INT,DATE_MATCH,FOSTER_CARE,NB_ADOPTR,SEX_ADOPTR,LS_ADOPTR"


def _return(root: Path, year: int, name: str, text: str) -> dict:
    folder = root / str(year)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return {t.table_name: t for t in parse_ssda903_file(path, root=root, home_la="865", key=KEY)}


def _episode_return(root: Path, year: int, **cells) -> tuple[list, list]:
    """A one-episode return for the collection ``year`` (its episode begins in that year), with ``cells``."""
    row = {
        "CHILD": "G1",
        "DECOM": f"01/05/{year - 1}",
        "RNE": "S",
        "LS": "C1",
        "CIN": "N1",
        "PLACE": "U4",
        "PLACE_PROVIDER": "PR1",
        "DEC": "",
        "REC": "",
        "REASON_PLACE_CHANGE": "",
        **cells,
    }
    line = ",".join(row.get(c, "") for c in EPISODES_HEADER.split(","))
    table = _return(root, year, "episodes.csv", EPISODES_HEADER + "\n" + line + "\n")["ssda903_episodes"]
    return table.rows, table.rejections


def _load(tmp_path: Path, files: dict[str, str]):
    """The files (``<year>/<name>`` -> text) loaded through the loader into a new warehouse: (connection,
    load result)."""
    folder = tmp_path / "ssda903"
    for relative, text in files.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text(text, encoding="utf-8")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    mark_for_reload(con, folder, "865", KEY)
    result = load_source(
        con,
        source="ssda903",
        folder=folder,
        tables=TABLES,
        run_id="r1",
        parser=lambda p: parse_ssda903_file(p, root=folder, home_la="865", key=KEY),
    )
    return con, result


# --- the lists as data ---------------------------------------------------------------------------------------
def test_the_code_list_file_covers_every_list_checked_with_years_labels_and_sources():
    with CODE_LISTS_FILE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["list"] for r in rows} == set(LIST_RULES)
    assert {
        "PLACE",
        "LS",
        "RNE",
        "REC",
        "REASON_PLACE_CHANGE",
        "CIN",
        "PLACE_PROVIDER",
        "FOSTER_CARE",
        "NB_ADOPTR",
        "SEX_ADOPTR",
        "LS_ADOPTR",
        "REASON_PLACED_CEASED",
    } <= set(LIST_RULES)
    assert len({(r["list"], r["code"]) for r in rows}) == len(rows)
    for row in rows:
        first, last = (int(row[c]) if row[c] else None for c in ("first_year", "last_year"))
        assert first is None or last is None or first <= last, row
        assert row["label"].strip() and row["dfe_source"].strip(), row


def test_lists_change_with_the_collection_year():
    assert "K3" not in codes_valid_in("PLACE", 2024) and "K3" in codes_valid_in("PLACE", 2025)
    assert "Z1" in codes_valid_in("PLACE", 2025) and "Z1" not in codes_valid_in("PLACE", 2026)
    assert "Z11" in codes_valid_in("PLACE", 2026) and "H5" not in codes_valid_in("PLACE", 2026)
    assert season(2020) == "2019-20" and season(2000) == "1999-00"


# --- generated returns of several years --------------------------------------------------------------------
@pytest.mark.parametrize(
    "column, code, rejected_in, accepted_in, why",
    [
        ("PLACE", "K3", 2020, 2025, "valid from 2024-25"),  # added in 2024-25
        ("PLACE", "Z11", 2025, 2026, "valid from 2025-26"),  # added in 2025-26
        ("PLACE", "Z1", 2026, 2025, "valid until 2024-25"),  # withdrawn after 2024-25
        ("PLACE", "A1", 2014, 2012, "valid until 2012-13"),  # the placement codes before A3-A6
        ("REASON_PLACE_CHANGE", "CARPL", 2015, 2016, "valid from 2015-16"),  # collected from 2015-16
    ],
)
def test_a_code_outside_its_years_is_quarantined_naming_the_code_and_the_year(
    tmp_path, column, code, rejected_in, accepted_in, why
):
    extra = {"RNE": "P", "REASON_PLACE_CHANGE": "CARPL"} if column == "REASON_PLACE_CHANGE" else {}
    rows, rejections = _episode_return(tmp_path / "early", rejected_in, **{**extra, column: code})
    assert rows == []
    assert [(r.column, r.value) for r in rejections] == [(column, code)]
    rule = LIST_RULES[column][0]
    assert rejections[0].reason.startswith(
        f"DfE rule {rule}: {column} '{code}' is not valid in the {season(rejected_in)} collection ({why})"
    )
    rows, rejections = _episode_return(tmp_path / "late", accepted_in, **{**extra, column: code})
    assert rejections == [] and rows[0][column.lower()] == code


def test_a_withdrawn_reason_episode_ceased_the_other_way(tmp_path):
    for year, kept in ((2016, True), (2017, False)):
        rows, rejections = _episode_return(tmp_path / str(year), year, DEC=f"01/06/{year - 1}", REC="E4")
        assert bool(rows) is kept, year
        if not kept:
            assert rejections[0].reason.startswith(
                "DfE rule 149: REC 'E4' is not valid in the 2016-17 collection (valid until 2015-16)"
            )


def test_k3_in_a_2024_25_return_loads_through_the_loader(tmp_path):
    """The recent synthetic returns' K3 episodes (supported accommodation, new in 2024-25) load."""
    con, _result = _load(
        tmp_path,
        {
            "2025/episodes.csv": (
                EPISODES_HEADER + "\nH1,01/05/2024,S,V2,N4,K3,PR4,,,,,,\nH2,01/06/2024,S,C2,N1,K3,PR5,,,,,,\n"
                "H3,01/07/2024,S,C2,N1,Z11,PR5,,,,,,\n"
            )
        },
    )
    assert con.execute("select place, count(*) from raw.ssda903_episodes group by place").fetchall() == [("K3", 2)]
    assert con.execute(
        "select column_name, value, reason like '%valid from 2025-26%' from quality.rejected_rows"
    ).fetchall() == [("PLACE", "Z11", True)]


# --- flags ------------------------------------------------------------------------------------------------------
def test_flags_in_every_spelling_read_as_the_same_values(tmp_path):
    spellings = ["1", "0", "TRUE", "false", "Y", "n", "Yes", "NO", "True", "1.0", "maybe", ""]
    lines = [f"F{i},01/01/2015,01/02/2017,01/03/2017,{flag},2,MF,L0" for i, flag in enumerate(spellings)]
    table = _return(tmp_path, 2018, "ad1.csv", AD1_HEADER + "\n" + "\n".join(lines) + "\n")["ssda903_ad1"]
    read = {r["_row_number"] - 2: r["foster_care"] for r in table.rows}
    assert read == {0: "1", 1: "0", 2: "1", 3: "0", 4: "1", 5: "0", 6: "1", 7: "0", 8: "1", 9: "1", 11: None}
    assert [(r.row_number, r.column, r.value) for r in table.rejections] == [(12, "FOSTER_CARE", "maybe")]
    assert "FOSTER_CARE 'maybe' is not a flag" in table.rejections[0].reason


def test_an_ad1_table_written_true_false_loads_its_rows(tmp_path):
    """The recent returns' AD1 with FOSTER_CARE TRUE/FALSE: every row loads (none quarantined)."""
    con, result = _load(
        tmp_path,
        {
            "2025/ad1.csv": (
                AD1_HEADER
                + "\nT1,01/01/2020,01/02/2024,01/03/2024,TRUE,2,MF,L0\nT2,01/01/2021,01/02/2024,01/03/2024,FALSE"
                ",1,F1,L2\nT3,01/01/2021,01/02/2024,01/03/2024,true,1,F1,L2\n"
            )
        },
    )
    assert [(f.status, f.rows_loaded, f.rows_rejected) for f in result.files] == [("loaded", 3, 0)]
    assert sorted(r[0] for r in con.execute("select foster_care from raw.ssda903_ad1").fetchall()) == ["0", "1", "1"]


# --- the walk-back and the rules across tables -------------------------------------------------------------------
def _episode(child, decom, dec, rne, place, rec=None):
    return {
        "la_code": "865",
        "collection_year": "2020",
        "child_key": child,
        "decom": decom,
        "dec": dec,
        "rne": rne,
        "place": place,
        "rec": rec,
    }


def test_the_walk_back_crosses_t_and_stops_at_b():
    episodes = [
        _episode("t", "2018-01-01", "2018-06-01", "P", "A6", "X1"),  # adopters
        _episode("t", "2018-06-01", "2019-01-01", "T", "A6", "E11"),  # a move with the same adopters
        _episode("b", "2018-01-01", "2018-06-01", "P", "A6", "X1"),  # adopters who did not adopt
        _episode("b", "2018-06-01", "2019-01-01", "B", "A6", "E11"),  # new carers (and legal status)
    ]
    assert adoption_placement_starts(episodes) == {
        ("865", "2020", "t"): "2018-01-01",
        ("865", "2020", "b"): "2018-06-01",
    }


def test_foster_care_contradicting_the_adoption_placement_is_quarantined_with_rule_335(tmp_path):
    con, _result = _load(
        tmp_path,
        {
            "2020/eps.csv": (
                EPISODES_HEADER + "\nJ1,01/01/2019,S,C1,N1,U5,PR1,01/06/2019,X1,,,,\nJ1,01/06/2019,U,E1,N1,A5,PR1,"
                "01/02/2020,E11,CARPL,,,\nJ2,01/01/2019,S,C1,N1,U4,PR1,01/06/2019,X1,,,,\nJ2,01/06/2019,B,E1,N1,A6,PR1,"
                "01/02/2020,E11,CARPL,,,\n"
            ),
            "2020/ad1.csv": (
                AD1_HEADER
                + "\nJ1,01/01/2018,01/03/2019,01/05/2019,N,2,MF,L0\nJ2,01/01/2018,01/03/2019,01/05/2019,0,2,MF,L0\n"
            ),
        },
    )
    assert apply_cross_table_rules(con, "r1") == 1
    assert con.execute(
        "select row_number, column_name, value, reason like 'DfE rule 335: %' from quality.rejected_rows"
    ).fetchall() == [(2, "FOSTER_CARE", "0", True)]
    assert con.execute("select count(*) from raw.ssda903_ad1").fetchone()[0] == 1


def test_docs_show_the_code_lists_as_the_file_has_them():
    from pipelines.lib.sources.ssda903 import code_list_table

    docs = (Path(__file__).parents[2] / "docs" / "adoption.md").read_text(encoding="utf-8")
    assert code_list_table() in docs


def test_rne_agrees_with_what_changed_between_episodes(tmp_path):
    """DfE rules 434 (L), 435 (P, T), 436 (U, B): the legal status and the placement (PLACE, PLACE_PROVIDER,
    PL_POST, URN) changed as RNE says. The postcode is compared, never kept or shown."""
    rows = [
        "K1,01/04/2019,S,C1,N1,U4,PR1,01/06/2019,X1,,,AB1 2CD,",  # 2
        "K1,01/06/2019,L,E1,N1,U4,PR1,01/08/2019,X1,,,AB1 2CD,",  # 3 legal status only: fine
        "K1,01/08/2019,P,E1,N1,U4,PR1,01/10/2019,X1,CARPL,,EF3 4GH,",  # 4 new carers, same kind of placement: fine
        "K1,01/10/2019,T,E1,N1,A5,PR1,,,CARPL,,EF3 4GH,",  # 5 placed for adoption with them: fine
        "K2,01/04/2019,S,C1,N1,U4,PR1,01/06/2019,X1,,,AB1 2CD,",  # 6
        "K2,01/06/2019,L,C1,N1,U4,PR1,01/08/2019,X1,,,AB1 2CD,",  # 7 L, but LS unchanged: 434
        "K2,01/08/2019,P,C1,N1,U4,PR1,01/10/2019,X1,CARPL,,AB1 2CD,",  # 8 P, but nothing changed: 435
        "K2,01/10/2019,U,C1,N1,U6,PR1,01/12/2019,X1,CARPL,,AB1 2CD,",  # 9 U, but LS unchanged: 436
        "K2,01/12/2019,B,E1,N1,U6,PR1,,,CARPL,,AB1 2CD,",  # 10 B, but the placement unchanged: 436
    ]
    table = _return(tmp_path, 2020, "eps.csv", EPISODES_HEADER + "\n" + "\n".join(rows) + "\n")["ssda903_episodes"]
    assert [r["_row_number"] for r in table.rows] == [2, 3, 4, 5, 6]
    assert [(r.row_number, r.column, r.reason.split(":")[0]) for r in table.rejections] == [
        (7, "RNE", "DfE rule 434"),
        (8, "RNE", "DfE rule 435"),
        (9, "RNE", "DfE rule 436"),
        (10, "RNE", "DfE rule 436"),
    ]
    assert "LS is unchanged (C1 to C1)" in table.rejections[0].reason
    shown = repr(table.rows) + repr(table.rejections)
    assert "AB1 2CD" not in shown and "EF3 4GH" not in shown
