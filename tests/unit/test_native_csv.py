"""DuckDB-native CSV landing gives exactly what the project's Python CSV reader gives, file by file."""

import random

import duckdb
import pytest

from pipelines.lib.ingest.native_csv import columns_sql, header_rows, land_csv_files
from pipelines.lib.ingest.readers import decode_text, read_csv_text


def landed(con, table="landed"):
    rows = con.execute(
        f"select _file_path, _sheet, _row_number, fields from {table} order by _file_path, _row_number"
    ).fetchall()
    out = {}
    for path, sheet, number, fields in rows:  # blank fields as the Python reader gives them (None)
        out.setdefault(path, []).append((sheet, number, [f if f is None or f.strip() else None for f in fields]))
    return out


def python_reading(path):
    rows = read_csv_text(decode_text(path.read_bytes())[0], name=path.stem).rows
    return [(None, i, row) for i, row in enumerate(rows, start=1)]


CASES = {
    "plain.csv": b"CHILD,DECOM,RNE\n1,01/02/2020,S\n2,03/04/2020,P\n",
    "quoted.csv": b'CHILD,NAME\n1,"Smith, J"\n2,"say ""hi"""\n3,""\n4,"  "\n',
    "blank_lines.csv": b"A,B\n\n1,2\n\n\n3,4\n",
    "crlf_bom.csv": b"\xef\xbb\xbfA,B\r\n1,2\r\n",
    "old_mac.csv": b"A,B\r1,2\r3,4\r",
    "ragged.csv": b"A,B,C\n1,2\n1,2,3,4\n,,\n",
    "whitespace.csv": b"A,B\n 1 ,\t\n\xc2\xa0,x\n",
    "windows_1252.csv": b"A,B\n1,caf\xe9 \x93quoted\x94\n",
    "utf16.csv": "A,B\n1,2\n".encode("utf-16"),
    "spanning.csv": b'A,B\n1,"two\nlines"\n2,3\n',
    "no_newline_at_end.csv": b"A,B\n1,2",
    "dots.in.name.csv": b"A\n1\n",
    "crlf_then_lf.csv": b"A,B\r\n1,2\r\n3,4\n",  # an export hand-edited: DuckDB's reader refuses mixed line ends
    "cr_and_lf.csv": b"A,B\r1,2\n3,4\r5,6\n",
}
PYTHON_READ = ("windows_1252.csv", "utf16.csv", "spanning.csv", "crlf_then_lf.csv", "cr_and_lf.csv")


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


def test_every_layout_lands_as_the_python_reader_reads_it(tmp_path, con):
    paths = []
    for name, data in CASES.items():
        (tmp_path / name).write_bytes(data)
        paths.append(tmp_path / name)
    landing = land_csv_files(con, paths, "landed")
    got = landed(con)
    for path in paths:
        assert got.get(str(path), []) == python_reading(path), path.name
    assert set(landing.python) == {str(tmp_path / n) for n in PYTHON_READ}
    assert len(landing.native) == len(CASES) - len(PYTHON_READ)


def test_random_fields_round_trip_through_many_files(tmp_path, con):
    rng = random.Random(7)
    alphabet = ["a", "b", " ", ",", '"', "1", "é", "\t"]
    paths = []
    for f in range(40):
        lines = []
        for _ in range(rng.randint(0, 30)):
            cells = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 5))) for _ in range(rng.randint(1, 6))]
            lines.append(",".join('"' + c.replace('"', '""') + '"' if ("," in c or '"' in c) else c for c in cells))
        path = tmp_path / f"f{f}.csv"
        path.write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
        paths.append(path)
    land_csv_files(con, paths, "landed")
    got = landed(con)
    for path in paths:
        assert got.get(str(path), []) == python_reading(path), path.read_text()


def test_header_rows_and_declared_columns(tmp_path, con):
    (tmp_path / "a.csv").write_text("Return of LA 865\n\nCHILD,Decom ,RNE\n1,01/02/2020,S\n2,,P\n")
    (tmp_path / "b.csv").write_text("\ufeffrne,child,DECOM,extra\nL,9,01/02/2021,x,y\n")
    (tmp_path / "c.csv").write_text("nothing,here\n1,2\n")
    land_csv_files(con, sorted(tmp_path.glob("*.csv")), "landed")
    headers = header_rows(con, "landed", {"CHILD", "DECOM"})
    assert {(k[0].rsplit("/", 1)[1], v[0]) for k, v in headers.items()} == {("a.csv", 3), ("b.csv", 1)}
    con.execute(
        "create temp table positions (_file_path varchar, _sheet varchar, _header_row bigint, "
        "child integer, decom integer, rne integer)"
    )
    for (path, sheet), (row, names) in headers.items():
        con.execute(
            "insert into positions values (?, ?, ?, ?, ?, ?)",
            [path, sheet, row, *(names.index(c) + 1 for c in ("child", "decom", "rne"))],
        )
    rows = con.execute(
        columns_sql("landed", "positions", ["child", "decom", "rne"]) + " order by _file_path, _row_number"
    ).fetchall()
    assert [r[2:] for r in rows] == [
        (4, 3, "1", "01/02/2020", "S"),
        (5, 3, "2", None, "P"),
        (2, 5, "9", "01/02/2021", "L"),
    ]


def test_header_names_are_normalised_as_the_python_readers_do(tmp_path, con):
    from pipelines.lib.ingest.readers import normalise_header

    header = ["\tDate\xa0 of  birth ", "CHILD", "\ufeffX"]
    (tmp_path / "h.csv").write_text(",".join(header) + "\n1,2,3\n")
    land_csv_files(con, [tmp_path / "h.csv"], "landed")
    [(row, names)] = header_rows(con, "landed", {"date of birth"}).values()
    assert (row, names) == (1, [normalise_header(h) for h in header])


def test_files_duckdb_cannot_read_never_abort_the_transaction_they_are_landed_in(tmp_path, con):
    for name in ("windows_1252.csv", "utf16.csv", "plain.csv"):
        (tmp_path / name).write_bytes(CASES[name])
    (tmp_path / "nul.csv").write_bytes(b"A,B\n1,\x002\n")
    (tmp_path / "separator.csv").write_bytes(b"A,B\n1,\x1f2\n")
    (tmp_path / "mixed.csv").write_bytes(CASES["cr_and_lf.csv"])
    con.execute("begin")
    landing = land_csv_files(con, sorted(tmp_path.iterdir()), "landed")
    con.execute("commit")  # a read_csv that had failed would have aborted the transaction: commit would raise
    assert landing.python == {
        str(tmp_path / "windows_1252.csv"): "not UTF-8 text",
        str(tmp_path / "utf16.csv"): "UTF-16 text",
        str(tmp_path / "nul.csv"): "a NUL byte in the text",
        str(tmp_path / "separator.csv"): "a unit-separator control character in the text",
        str(tmp_path / "mixed.csv"): "line ends of more than one kind (CRLF, CR, LF)",
    }
    assert landing.native == [str(tmp_path / "plain.csv")]


@pytest.mark.parametrize("database", ["memory", "file"])
def test_a_file_refused_by_duckdb_that_its_bytes_did_not_show_is_found_by_a_trial_read(tmp_path, monkeypatch, database):
    """What the byte checks miss (here: they are switched off) is found by a trial read on a cursor of its own;
    the landing's transaction goes on, and the file is read by the Python reader."""
    import pipelines.lib.ingest.native_csv as native_csv

    monkeypatch.setattr(native_csv, "_python_only", lambda path, landing: False)
    data = tmp_path / "data"
    data.mkdir()
    for name in ("plain.csv", "crlf_then_lf.csv", "quoted.csv", "cr_and_lf.csv"):
        (data / name).write_bytes(CASES[name])
    connection = duckdb.connect(str(tmp_path / "w.duckdb") if database == "file" else ":memory:")
    connection.execute("create table kept (x integer)")
    connection.execute("begin")
    connection.execute("insert into kept values (1)")
    landing = land_csv_files(connection, sorted(data.iterdir()), "landed")
    connection.execute("commit")
    assert connection.execute("select x from kept").fetchall() == [(1,)]
    assert sorted(landing.python) == [str(data / "cr_and_lf.csv"), str(data / "crlf_then_lf.csv")]
    assert all(why.startswith("DuckDB's reader refused it (") for why in landing.python.values())
    got = landed(connection)
    for path in sorted(data.iterdir()):
        assert got.get(str(path), []) == python_reading(path), path.name
