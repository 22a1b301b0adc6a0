"""The one quoting helper: names and ATTACH literals with quotes in them neither break a statement nor change
what it does; and publication, which names run-time tables, copies such a table as it is."""

from __future__ import annotations

import duckdb

from pipelines.lib.outputs.publish import publish_warehouse
from pipelines.lib.sql import qualified, quote_identifier, quote_literal


def test_identifiers_with_quotes_and_dots_stay_one_name():
    con = duckdb.connect()
    name = 'odd "name". ; drop table x'
    con.execute(f"create schema {quote_identifier('s.1')}")
    con.execute(f"create table {qualified('s.1', name)} (v integer)")
    con.execute(f"insert into {qualified('s.1', name)} values (?)", [7])
    assert con.execute("select schema_name, table_name from duckdb_tables()").fetchall() == [("s.1", name)]
    assert con.execute(f"select v from {qualified('s.1', name)}").fetchall() == [(7,)]


def test_literal_of_a_path_with_a_quote(tmp_path):
    folder = tmp_path / "o'brien"
    folder.mkdir()
    con = duckdb.connect()
    con.execute(f"attach {quote_literal(folder / 'w.duckdb')} as w")
    assert quote_literal("it's") == "'it''s'"
    assert con.execute("select path from duckdb_databases() where database_name = 'w'").fetchall() == [
        (str(folder / "w.duckdb"),)
    ]


def test_publication_copies_a_table_whose_name_needs_quoting(tmp_path):
    work = tmp_path / "it's work.duckdb"
    con = duckdb.connect(str(work))
    con.execute('create schema marts; create table marts."a ""quoted"" table" as select 1 as x union all select 2')
    con.close()
    counts = publish_warehouse(work, tmp_path / "published.duckdb").counts
    assert counts == {'marts.a "quoted" table': 2}
    published = duckdb.connect(str(tmp_path / "published.duckdb"), read_only=True)
    assert published.execute('select sum(x) from marts."a ""quoted"" table"').fetchall() == [(3,)]
