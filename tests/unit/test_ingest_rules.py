"""Rules at ingest that keep blocking checks and dbt casts from ever failing on what the ingest accepted, and the
load log's counts of quarantined rows and cells."""

from __future__ import annotations

import contextlib
import random
import re

import duckdb
import pytest

from pipelines.lib.ingest.load import RawTable, forget_unpublished_loads, load_source, settle_file_counts
from pipelines.lib.ingest.rules import INTEGER_MAX, ParsedTable, Rejection, integer_problem

TABLE = RawTable("things", ("name", "count"))


def parser(path):
    """One row per line 'name,count'; a count that is not a whole number is quarantined (the row whole), a
    name 'half' has its count cell quarantined while the row loads."""
    table = ParsedTable("things")
    for number, line in enumerate(path.read_text().splitlines()[1:], start=2):
        table.rows_read += 1
        name, count = ([*line.split(","), ""])[:2]
        if integer_problem(count, "things"):
            table.rejections.append(Rejection(number, "count", count, integer_problem(count, "things")))
        elif name == "half":
            table.rejections.append(Rejection(number, "name", name, "a cell quarantined, the row kept"))
            table.rows.append({"name": None, "count": count, "_row_number": number})
        else:
            table.rows.append({"name": name, "count": count, "_row_number": number})
    return [table]


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


def load(con, folder, run_id="r1"):
    return load_source(con, source="things", folder=folder, tables=[TABLE], parser=parser, run_id=run_id)


def log_rows(con, run_id="r1"):
    return {
        path.rsplit("/", 1)[-1]: tuple(rest)
        for path, *rest in con.execute(
            "select file_path, status, rows_read, rows_loaded, rows_rejected, cells_quarantined, reason "
            "from quality.load_log where run_id = ?",
            [run_id],
        ).fetchall()
    }


def test_a_file_whose_every_row_is_quarantined_is_rejected_saying_so(con, tmp_path):
    (tmp_path / "all_bad.csv").write_text("name,count\na,-1\nb,x\n")
    (tmp_path / "some_bad.csv").write_text("name,count\na,1\nb,x\nhalf,3\n")
    (tmp_path / "header_only.csv").write_text("name,count\n")
    load(con, tmp_path)
    log = log_rows(con)
    status, read, loaded, rejected, cells, reason = log["all_bad.csv"]
    assert (status, read, loaded, rejected, cells) == ("rejected", 2, 0, 2, 2)
    assert "every row of the file was quarantined" in reason and "quality.rejected_rows" in reason
    assert log["some_bad.csv"][:5] == ("loaded", 3, 2, 1, 2)  # the quarantined cell of a loaded row counts
    assert log["header_only.csv"][:5] == ("loaded", 0, 0, 0, 0) and "no data rows" in log["header_only.csv"][5]
    held = dict(
        con.execute("select split_part(file_path, '/', -1), count(*) from quality.rejected_rows group by 1").fetchall()
    )
    assert held == {"all_bad.csv": 2, "some_bad.csv": 2}
    # unchanged next time, and said so
    load(con, tmp_path, "r2")
    assert log_rows(con, "r2")["all_bad.csv"][0] == "unchanged"
    assert "unchanged since it was rejected" in log_rows(con, "r2")["all_bad.csv"][5]


def test_a_rule_across_files_that_empties_a_file_marks_it_rejected(con, tmp_path):
    (tmp_path / "one.csv").write_text("name,count\na,1\n")
    load(con, tmp_path)
    con.execute("delete from raw.things")
    con.execute(
        "insert into quality.rejected_rows (file_path, row_number, column_name, value, reason, source, "
        "table_name, run_id) select file_path, 2, 'name', 'a', 'no such audit', 'things', 'things', 'r1' "
        "from quality.load_log"
    )
    con.execute("update quality.load_log set rows_loaded = 0, rows_rejected = 1")
    settle_file_counts(con, "r1", "things")
    status, _read, _loaded, _rejected, cells, reason = log_rows(con)["one.csv"]
    assert (status, cells) == ("rejected", 1) and "every row of the file was quarantined" in reason


def test_the_files_of_a_failed_refresh_are_read_again(con, tmp_path):
    (tmp_path / "one.csv").write_text("name,count\na,1\n")
    load(con, tmp_path, "failed")
    forget_unpublished_loads(con, "failed")
    load(con, tmp_path, "next")
    assert log_rows(con, "next")["one.csv"][:3] == ("loaded", 1, 1)
    assert con.execute("select count(*) from raw.things").fetchone() == (1,)  # replaced, not doubled


@pytest.mark.parametrize(
    "text, fine",
    [
        ("0", True),
        ("12", True),
        (str(INTEGER_MAX), True),
        (str(INTEGER_MAX + 1), False),
        ("15000000000000", False),
        ("-3", False),
        ("1.5", False),
        ("x", False),
    ],
)
def test_counts_fit_the_integer_columns_of_the_marts(text, fine):
    assert (integer_problem(text, "children") is None) == fine


def spellings(phrase: str, rng: random.Random, n: int = 200):
    """``phrase`` spelt many ways: spaces squashed, doubled, non-breaking, tabs, underscores, case changed."""
    spaces = [" ", "  ", "\u00a0", "\t", "", "_", "\u2009"]
    words = phrase.replace("_", " _ ").split()
    for _ in range(n):
        yield "".join(rng.choice(spaces) + (w.upper() if rng.random() < 0.5 else w) for w in words) + rng.choice(spaces)


def test_every_geographic_level_the_ingest_keeps_passes_the_blocking_check():
    from expectations.schools import PUBLISHED_LEVELS
    from pipelines.lib.sources.school_statistics import LEVELS

    rng = random.Random(7)
    for key in LEVELS:
        for text in spellings(key, rng):
            kept = LEVELS.get(" ".join(text.lower().split())) is not None
            assert not kept or re.search(PUBLISHED_LEVELS, text), repr(text)


def test_every_ofsted_grade_the_ingest_keeps_passes_the_blocking_check():
    from expectations.ofsted import FRAMEWORK_GRADES
    from pipelines.lib.ingest.parsing import FRAMEWORK_GRADE_WORDS, grade_rank

    rng = random.Random(11)
    for framework, words in FRAMEWORK_GRADE_WORDS.items():
        for word in words:
            for text in spellings(word, rng):
                try:
                    grade_rank(text, framework)
                except ValueError:
                    continue
                assert re.search(FRAMEWORK_GRADES[framework], text), (framework, repr(text))


def test_nb_adoptr_other_than_1_or_2_is_quarantined(tmp_path):
    from pipelines.lib.sources.ssda903 import parse_ssda903_file

    folder = tmp_path / "2020"
    folder.mkdir()
    values = ("2", "1.0", "3", "x", "15000000000000")
    path = folder / "ad1.csv"
    path.write_text(
        "CHILD,DATE_MATCH,FOSTER_CARE,NB_ADOPTR\n" + "".join(f"C{n},01/01/2020,0,{v}\n" for n, v in enumerate(values)),
        encoding="utf-8",
    )
    (table,) = parse_ssda903_file(path, root=tmp_path, home_la="865", key="k")
    assert [(r["_row_number"], r["nb_adoptr"]) for r in table.rows] == [(2, "2"), (3, "1")]
    assert [(r.row_number, r.column, r.value) for r in table.rejections] == [
        (4, "NB_ADOPTR", "3"),
        (5, "NB_ADOPTR", "x"),
        (6, "NB_ADOPTR", "15000000000000"),
    ]
    assert all("DfE rule 175" in r.reason for r in table.rejections)


def test_files_are_read_again_when_the_folder_their_rules_come_from_changes(con, tmp_path):
    data, reference = tmp_path / "data", tmp_path / "reference"
    data.mkdir()
    reference.mkdir()
    (data / "one.csv").write_text("name,count\na,1\n")

    def run(run_id):
        load_source(
            con, source="things", folder=data, tables=[TABLE], parser=parser, run_id=run_id, rules_from=reference
        )
        return log_rows(con, run_id)["one.csv"][0]

    assert run("r1") == "loaded"
    assert run("r2") == "unchanged"
    (reference / "las.csv").write_text("a newer LA list\n")
    assert run("r3") == "loaded"
    assert run("r4") == "unchanged"
    (reference / "las.csv").unlink()
    assert run("r5") == "loaded"


def test_the_summary_names_per_source_what_was_re_read_unchanged_not_re_run_and_empty():
    from pipelines.lib.outputs.summary import rows_line, source_lines

    files = [
        ("ofsted", "loaded", 1, 10, 1, 3),
        ("ofsted", "unchanged", 2, 0, 0, 0),
        ("school_absence", "rejected", 1, 0, 2, 2),
        ("reference", "unchanged", 1, 0, 0, 0),
    ]
    kept = {"ofsted": 3, "school_absence": 1, "reference": 1, "case_audits": 4}
    assert source_lines(files, kept) == [
        "Re-read: ofsted (1 loaded), school_absence (1 rejected)",
        "Unchanged: reference (1 file), ofsted (2 files), case_audits (4 files, not re-run: its folder did not change)",
        "No files (no data) for: school_exclusions, ssda903, adoption_scorecards",
    ]
    assert (
        rows_line(files) == "Rows: 10 loaded, 3 quarantined whole; 5 quarantined rows and cells "
        "(see quality.rejected_rows)"
    )


def test_after_a_failed_refresh_the_next_plan_re_runs_its_sources_even_when_their_folder_is_back(tmp_path):
    from pipelines.cli import plan_refresh
    from pipelines.lib.config import Settings
    from pipelines.lib.operations.refresh_state import RefreshState, note_failed_refresh, read_state, write_state

    settings = Settings(raw_dir=tmp_path / "raw", data_dir=tmp_path / "data", home_la="865", pseudonym_key=None)
    settings.data_dir.mkdir()
    settings.published_db.write_bytes(b"published")
    snapshot = {"ofsted/a.csv": (1, 1)}
    write_state(settings, RefreshState("code", snapshot, "2026-01-01T00:00:00"))
    assert plan_refresh(settings, None, False, "code", snapshot).keys == []

    note_failed_refresh(settings, "code", {"reference"})  # it loaded raw/reference/las.csv, since taken out
    assert read_state(settings).stale_sources == ("reference",)
    graph_asked = []

    def graph():
        graph_asked.append(True)
        from pipelines.definitions import defs

        return defs.resolve_asset_graph()

    plan = plan_refresh(settings, graph, False, "code", snapshot)
    assert plan.sources == {"reference"} and plan.keys and graph_asked
    assert "reference again after a failed refresh" in plan.reason
    note_failed_refresh(settings, "code", None)  # a failed full refresh: the next one is full
    assert plan_refresh(settings, graph, False, "code", snapshot).keys is None
    write_state(settings, RefreshState("code", snapshot, "2026-01-02T00:00:00"))  # a refresh that published
    assert plan_refresh(settings, graph, False, "code", snapshot).keys == []


def test_every_ofsted_grade_the_ingest_keeps_has_a_rank_in_the_dbt_models():
    from pathlib import Path

    import jinja2

    from pipelines.lib.ingest.parsing import GRADE_RANKS, grade_rank

    macro = (Path(__file__).resolve().parents[2] / "dbt_project" / "macros" / "grade_rank.sql").read_text()
    rank_sql = jinja2.Template(macro + "{{ grade_rank('g') }}").render()
    rng = random.Random(13)
    texts = [text for word in GRADE_RANKS for text in spellings(word, rng, 60)]
    kept = []
    for text in texts:
        with contextlib.suppress(ValueError):
            kept.append((text, grade_rank(text)))
    con = duckdb.connect()
    con.execute("create table t (g varchar, expected integer)")
    con.executemany("insert into t values (?, ?)", kept)
    wrong = con.execute(f"select g, expected, {rank_sql} from t where {rank_sql} is distinct from expected").fetchall()
    assert len(kept) > 100 and wrong == []


def test_dbt_builds_its_incremental_models_incrementally_only_in_an_incremental_refresh_of_the_same_code(tmp_path):
    from pipelines.cli import _run_tags
    from pipelines.defs.transform import INCREMENTAL_TAG, UNIT_TESTS_TAG
    from pipelines.lib.config import Settings
    from pipelines.lib.operations.refresh_state import RefreshState, write_state

    settings = Settings(raw_dir=tmp_path / "raw", data_dir=tmp_path / "data", home_la="865", pseudonym_key=None)
    settings.data_dir.mkdir()
    assert _run_tags(settings, "code", incremental=True) == {}  # no earlier refresh: everything whole
    write_state(settings, RefreshState("code", {}, "2026-01-01T00:00:00"))
    assert _run_tags(settings, "code", incremental=True) == {UNIT_TESTS_TAG: "skip", INCREMENTAL_TAG: "true"}
    assert _run_tags(settings, "code", incremental=False) == {UNIT_TESTS_TAG: "skip"}  # a full refresh
    assert _run_tags(settings, "other code", incremental=True) == {}
