"""Batch loading (one parser call for every changed file, written set-based) says and writes exactly what
loading file by file says and writes: the same raw rows, quarantine, load log and file states."""

from __future__ import annotations

import random
from pathlib import Path

import duckdb
import pytest

from pipelines.lib.ingest.batch import BatchOutcome, FileRead, empty_rejections
from pipelines.lib.ingest.load import Batching, FileRejected, RawTable, batch_chunks, load_source
from pipelines.lib.ingest.native_csv import land_csv_files
from pipelines.lib.ingest.rules import ParsedTable, Rejection

TABLE = RawTable("things", ("name", "count"))
NOT_WHOLE = "count must be a whole number"


def file_parser(path):
    """Per file: a header 'name,count' is required; a count that is not digits quarantines the row, a name
    'half' has its name cell quarantined while the row loads."""
    lines = path.read_text().splitlines()
    if not lines or lines[0] != "name,count":
        raise FileRejected("no 'name,count' header")
    table = ParsedTable("things")
    for number, line in enumerate(lines[1:], start=2):
        table.rows_read += 1
        name, count = ([*line.split(","), ""])[:2]
        if not count.isdigit():
            table.rejections.append(Rejection(number, "count", count or None, NOT_WHOLE))
        elif name == "half":
            table.rejections.append(Rejection(number, "name", name, "a cell quarantined, the row kept"))
            table.rows.append({"name": None, "count": count, "_row_number": number})
        else:
            table.rows.append({"name": name or None, "count": count, "_row_number": number})
    return [table]


def batch_parser(con, paths):
    """The same rules in SQL over every file at once."""
    land_csv_files(con, paths, "_things_lines")
    outcome = BatchOutcome(rejections=empty_rejections(con, "_things_rejections"))
    headers = dict(
        con.execute(
            "select _file_path, array_to_string(fields, ',') from _things_lines where _row_number = 1"
        ).fetchall()
    )
    for path in map(str, paths):
        if headers.get(path) != "name,count":
            outcome.refused[path] = "no 'name,count' header"
    con.execute("""create or replace temp table _things_cells as select _file_path, _row_number,
        nullif(fields[1], '') as name, coalesce(fields[2], '') as count
        from _things_lines where _row_number > 1""")
    con.execute(
        "insert into _things_rejections select _file_path, _row_number, 'count', nullif(count, ''), ?, "
        "'things' from _things_cells where not regexp_full_match(count, '[0-9]+')",
        [NOT_WHOLE],
    )
    con.execute(
        "insert into _things_rejections select _file_path, _row_number, 'name', name, "
        "'a cell quarantined, the row kept', 'things' from _things_cells "
        "where regexp_full_match(count, '[0-9]+') and name = 'half'"
    )
    con.execute("""create or replace temp table _things_staged as select case when name = 'half' then null
        else name end as name, count, _file_path, null::varchar as _sheet, _row_number from _things_cells
        where regexp_full_match(count, '[0-9]+')""")
    outcome.staged["things"] = "_things_staged"
    counts = dict(
        con.execute(
            "select _file_path, count(*) filter (where _row_number > 1) from _things_lines group by all"
        ).fetchall()
    )
    outcome.read = {p: FileRead(["things"], counts.get(p, 0)) for p in map(str, paths) if p not in outcome.refused}
    return outcome


def snapshot(con):
    def rows(sql):
        return sorted(con.execute(sql).fetchall(), key=repr)

    return {
        "raw": rows("select name, count, _file_path, _row_number from raw.things"),
        "rejected": rows("select file_path, row_number, column_name, value, reason from quality.rejected_rows"),
        "log": rows(
            "select file_path, status, table_name, rows_read, rows_loaded, rows_rejected, cells_quarantined,"
            " reason from quality.load_log"
        ),
        "state": rows("select file_path, sha256, status, reason from quality.file_state"),
    }


def random_file(rng):
    kind = rng.random()
    if kind < 0.1:
        return "not,a header\n1,2\n"
    if kind < 0.15:
        return "name,count\n"
    lines = ["name,count"]
    for _ in range(rng.randint(0, 8)):
        lines.append(f"{rng.choice(['a', 'b', 'half', ''])},{rng.choice(['1', '22', 'x', '', '-3'])}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("seed", range(12))
def test_batch_loading_equals_file_by_file_loading_over_three_refreshes(tmp_path, seed):
    rng = random.Random(seed)
    folder = tmp_path / "landing"
    folder.mkdir()
    names = [f"f{i}.csv" for i in range(rng.randint(1, 9))]
    cons = {"file": duckdb.connect(), "batch": duckdb.connect(), "chunked": duckdb.connect()}
    parsers = {
        "file": {"parser": file_parser},
        "batch": {"batch_parser": batch_parser},
        # each file a group, chunks of about two small files: a content repeated across chunks still loads once
        "chunked": {"batch_parser": batch_parser, "batching": Batching(group=lambda path: path.name, max_bytes=60)},
    }
    for run in range(3):
        for name in names:  # new, changed, unchanged, removed and repeated files
            roll = rng.random()
            if run == 0 or roll < 0.4:
                (folder / name).write_text(random_file(rng))
            elif roll < 0.5 and (folder / name).exists():
                (folder / name).unlink()
            elif roll < 0.6:
                (folder / name).write_text((folder / names[0]).read_text() if (folder / names[0]).exists() else "")
        for kind, con in cons.items():
            load_source(
                con,
                source="things",
                folder=folder,
                tables=[TABLE],
                run_id=f"r{run}",
                **parsers[kind],
            )
        assert snapshot(cons["batch"]) == snapshot(cons["file"]), f"run {run}"
        assert snapshot(cons["chunked"]) == snapshot(cons["file"]), f"run {run}"


def test_chunks_keep_groups_whole_in_order_within_the_size(tmp_path):
    sizes = {"a/1": 10, "a/2": 10, "b/1": 30, "c/1": 5, "c/2": 5, "d/1": 100}
    paths = []
    for name, size in sizes.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(b"x" * size)
        paths.append(str(tmp_path / name))
    batching = Batching(group=lambda path: path.parent.name, max_bytes=40)
    chunks = [[str(Path(p).relative_to(tmp_path)) for p in chunk] for chunk in batch_chunks(paths, batching)]
    assert chunks == [["a/1", "a/2"], ["b/1", "c/1", "c/2"], ["d/1"]]  # d alone: a group larger than the size
    assert batch_chunks(paths, Batching()) == [paths]  # no group: one batch


def test_a_batch_parser_that_raises_rejects_only_the_file_that_breaks_it(tmp_path):
    (tmp_path / "good.csv").write_text("name,count\na,1\n")
    (tmp_path / "boom.csv").write_text("name,count\nboom,1\n")

    def fragile(con, paths):
        if any(p.name == "boom.csv" for p in paths):
            raise RuntimeError("the parser broke")
        return batch_parser(con, paths)

    con = duckdb.connect()
    result = load_source(con, source="things", folder=tmp_path, tables=[TABLE], run_id="r", batch_parser=fragile)
    by_name = {f.file_path.rsplit("/", 1)[1]: f for f in result.files}
    assert by_name["good.csv"].status == "loaded" and by_name["good.csv"].rows_loaded == 1
    assert by_name["boom.csv"].status == "rejected"
    assert by_name["boom.csv"].reason == "the file could not be read (RuntimeError: the parser broke)"
    assert con.execute("select name from raw.things").fetchall() == [("a",)]


def test_an_oversized_cell_is_quarantined_and_its_row_not_loaded(tmp_path):
    (tmp_path / "long.csv").write_text("name,count\n" + "x" * 40_000 + ",1\nb,2\n")
    con = duckdb.connect()
    load_source(con, source="things", folder=tmp_path, tables=[TABLE], run_id="r", batch_parser=batch_parser)
    assert con.execute("select name from raw.things").fetchall() == [("b",)]
    ((row, column, value, reason),) = con.execute(
        "select row_number, column_name, value, reason from quality.rejected_rows"
    ).fetchall()
    assert (row, column, len(value)) == (2, "name", 201)
    assert reason.startswith("the cell is 40,000 characters long, longer than the 32,767 a spreadsheet cell")


def test_exactly_one_parser_is_required(tmp_path):
    with pytest.raises(ValueError, match="exactly one"):
        load_source(duckdb.connect(), source="things", folder=tmp_path, tables=[TABLE], run_id="r")


def test_a_load_that_fails_in_its_last_chunk_writes_nothing_and_its_rules_ran_outside_it(tmp_path, monkeypatch):
    """The rules run on a cursor, outside the load's transaction; the load is still one transaction: when the
    last chunk's write fails, no chunk's rows, quarantine, states or log rows are left, nor any staging."""
    import pipelines.lib.ingest.batch as ingest_batch

    for group in "ab":
        (tmp_path / group).mkdir()
        (tmp_path / group / "f.csv").write_text(f"name,count\n{group},1\ny,z\n")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    staged_on, real_write = [], ingest_batch.write_batch

    def write_then_fail(con_, outcome, **kwargs):
        staged_on.append(kwargs["staged_on"])
        real_write(con_, outcome, **kwargs)
        if len(staged_on) == 2:
            raise OSError("disk full")

    def parser(staging, paths):
        assert staging is not con  # a cursor of its own: its work is not in the load's transaction
        return batch_parser(staging, paths)

    monkeypatch.setattr(ingest_batch, "write_batch", write_then_fail)
    batching = Batching(group=lambda path: path.parent.name, max_bytes=1)
    with pytest.raises(OSError, match="disk full"):
        load_source(
            con, source="things", folder=tmp_path, tables=[TABLE], run_id="r", batch_parser=parser, batching=batching
        )
    assert len(staged_on) == 2 and all(s is not None and s is not con for s in staged_on)
    assert snapshot(con) == {"raw": [], "rejected": [], "log": [], "state": []}
    assert con.execute("select count(*) from duckdb_tables() where temporary").fetchone() == (0,)
    monkeypatch.setattr(ingest_batch, "write_batch", real_write)
    load_source(con, source="things", folder=tmp_path, tables=[TABLE], run_id="r2", batch_parser=batch_parser)
    assert len(snapshot(con)["raw"]) == 2 and len(snapshot(con)["rejected"]) == 2
