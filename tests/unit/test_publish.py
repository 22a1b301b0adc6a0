"""Publication from the last published file: only the tables that differ are written again, and the file is
always what a publication from scratch would have made (same tables, same columns, same rows)."""

from __future__ import annotations

import random
from pathlib import Path

import duckdb
import pytest

from pipelines.lib.outputs.publish import publish_warehouse, table_fingerprint


def _work(path: Path, statements: str) -> Path:
    con = duckdb.connect(str(path))
    con.execute("create schema if not exists marts; create schema if not exists quality")
    con.execute(statements)
    con.close()
    return path


def _contents(db: Path) -> dict[str, tuple]:
    """Every table of a file: its columns with types and its rows, sorted."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = con.execute("select schema_name, table_name from duckdb_tables() order by 1, 2").fetchall()
        out = {}
        for schema, table in tables:
            columns = con.execute(
                "select column_name, data_type from duckdb_columns() where schema_name = ? and table_name = ? "
                "order by column_index",
                [schema, table],
            ).fetchall()
            rows = sorted(con.execute(f'select * from "{schema}"."{table}"').fetchall(), key=repr)
            out[f"{schema}.{table}"] = (tuple(columns), rows)
        return out
    finally:
        con.close()


@pytest.fixture
def work(tmp_path):
    return _work(
        tmp_path / "work.duckdb",
        "create table marts.big as select range as id, 'la ' || (range % 150) as la from range(50000);"
        "create table marts.small as select 1 as x, 'a' as y;"
        "create table quality.notes as select 'kept' as note;"
        "create table quality.file_state as select 'internal' as state;"
        "create schema staging; create table staging.hidden as select 1 as z",
    )


def test_a_second_publication_writes_only_the_changed_table(work, tmp_path):
    published = tmp_path / "pub" / "children_services.duckdb"
    published.parent.mkdir()
    first = publish_warehouse(work, published)
    assert first.from_scratch and first.rewritten == ["marts.big", "marts.small", "quality.notes"]
    _work(work, "update marts.small set y = 'b'")  # same rows, same columns: only a value differs
    second = publish_warehouse(work, published)
    assert not second.from_scratch
    assert second.rewritten == ["marts.small"]
    assert second.counts == {"marts.big": 50000, "marts.small": 1, "quality.notes": 1}
    scratch = tmp_path / "scratch.duckdb"
    publish_warehouse(work, scratch)
    assert _contents(published) == _contents(scratch)
    assert _contents(published)["marts.small"][1] == [(1, "b")]


def test_a_changed_type_or_a_moved_row_is_written_again(work, tmp_path):
    published = tmp_path / "children_services.duckdb"
    publish_warehouse(work, published)
    _work(work, "create or replace table marts.small as select 1::bigint as x, 'a' as y")
    assert publish_warehouse(work, published).rewritten == ["marts.small"]
    _work(work, "update marts.big set la = 'la 1' where id = 0")  # a row's value moves, the count stays
    assert publish_warehouse(work, published).patched == ("marts.big",)
    assert _contents(published) == _contents(publish_warehouse_to(work, tmp_path / "scratch.duckdb"))


def test_a_few_changed_rows_are_patched_and_many_rewrite_the_table(work, tmp_path):
    """Up to a tenth of a table's rows differing (gone plus new), only they are deleted and inserted; a
    repeated row is one more copy; beyond a tenth, or where the columns differ, the table is written whole."""
    published = tmp_path / "children_services.duckdb"
    publish_warehouse(work, published)
    steps = [
        ("update marts.big set la = 'moved' where id < 100", ("marts.big",), []),
        ("insert into marts.big select * from marts.big where id < 3", ("marts.big",), []),  # repeated rows
        ("delete from marts.big where id = 1", ("marts.big",), []),  # both copies of a repeated row
        ("delete from marts.big where rowid = (select max(rowid) from marts.big where id = 2)", ("marts.big",), []),
        ("update marts.big set la = 'moved again' where id < 3000", (), ["marts.big"]),  # 6,000 of 50,000
        ("alter table marts.big add column extra int", (), ["marts.big"]),
    ]
    for number, (step, patched, rewritten) in enumerate(steps):
        _work(work, step)
        publication = publish_warehouse(work, published)
        assert (publication.patched, publication.rewritten) == (patched, rewritten), step
        assert _contents(published) == _contents(publish_warehouse_to(work, tmp_path / f"fresh-{number}")), step


def publish_warehouse_to(work: Path, path: Path) -> Path:
    publish_warehouse(work, path)
    return path


def test_what_is_no_longer_published_and_what_a_reader_added_are_gone(work, tmp_path):
    published = tmp_path / "children_services.duckdb"
    publish_warehouse(work, published)
    con = duckdb.connect(str(published))  # somebody wrote to the published file
    con.execute("create table main.mine as select 1 as a; create schema scratch; create table scratch.t (b int)")
    con.execute("create view marts.v as select 1 as c; insert into marts.small values (2, 'z')")
    con.close()
    _work(work, "drop table quality.notes")
    second = publish_warehouse(work, published)
    assert not second.from_scratch and second.rewritten == ["marts.small"]
    assert set(_contents(published)) == {"marts.big", "marts.small"}
    con = duckdb.connect(str(published), read_only=True)
    assert con.execute("select count(*) from duckdb_views() where not internal").fetchall() == [(0,)]
    assert "scratch" not in {s for (s,) in con.execute("select schema_name from duckdb_schemas()").fetchall()}


def test_a_file_mostly_free_space_or_unreadable_is_written_afresh(work, tmp_path):
    published = tmp_path / "children_services.duckdb"
    _work(work, "create table marts.huge as select range as id, range::varchar as s from range(1000000)")
    publish_warehouse(work, published)
    _work(work, "drop table marts.huge")
    assert not publish_warehouse(work, published).from_scratch  # the big table's blocks are now free
    third = publish_warehouse(work, published)
    assert third.from_scratch and third.rewritten == ["marts.big", "marts.small", "quality.notes"]
    published.write_bytes(b"not a database")
    fourth = publish_warehouse(work, published)
    assert fourth.from_scratch and _contents(published) == _contents(publish_warehouse_to(work, tmp_path / "s"))


def test_fingerprints_count_repeated_rows_and_ignore_order(tmp_path):
    con = duckdb.connect()
    con.execute("create table a as select * from (values (1), (1), (2)) v(x)")
    con.execute("create table b as select * from (values (2), (1), (1)) v(x)")
    con.execute("create table c as select * from (values (1), (2), (2)) v(x)")
    con.execute("create table d as select * from (values (1), (2)) v(x)")
    fingerprint = {t: table_fingerprint(con, "memory", "main", t) for t in "abcd"}
    assert fingerprint["a"] == fingerprint["b"]
    assert len({fingerprint["a"], fingerprint["c"], fingerprint["d"]}) == 3
    assert table_fingerprint(con, "memory", "main", "missing") is None


EDITS = [
    "update marts.t{n} set v = v + 1 where k % 7 = 0",
    "insert into marts.t{n} select max(k) + 1, 0 from marts.t{n}",
    "delete from marts.t{n} where k % 5 = 1",
    "insert into marts.t{n} select * from marts.t{n} order by k limit 2",
    "create or replace table marts.t{n} as select k, v::double as v from marts.t{n}",
    "drop table if exists marts.t{n}",
    "create or replace table marts.t{n} as select range as k, range as v from range(100)",
]


def _edit(edit: str, n: int) -> str:
    """The edit of table ``n``, made again first where an earlier step dropped it."""
    if edit.startswith("drop"):
        return edit.format(n=n)
    remade = f"create table if not exists marts.t{n} as select range as k, range as v from range(100)"
    return remade + ";" + edit.format(n=n)


@pytest.mark.parametrize("seed", range(4))
def test_any_sequence_of_changes_publishes_what_a_fresh_publication_would(tmp_path, seed):
    rng = random.Random(seed)
    work = _work(tmp_path / "work.duckdb", ";".join(EDITS[-1].format(n=n) for n in range(4)))
    published = tmp_path / "children_services.duckdb"
    for step in range(10):
        edits = [_edit(rng.choice(EDITS), rng.randrange(4)) for _ in range(rng.randint(0, 2))]
        if edits:
            _work(work, ";".join(edits))
        before = _contents(published) if published.exists() else {}
        publication = publish_warehouse(work, published)
        fresh = _contents(publish_warehouse_to(work, tmp_path / f"fresh-{step}.duckdb"))
        assert _contents(published) == fresh, (seed, step, edits)
        changed = {t for t in fresh if before.get(t) != fresh[t]}
        assert changed <= set(publication.rewritten) | set(publication.patched), (seed, step, edits)
