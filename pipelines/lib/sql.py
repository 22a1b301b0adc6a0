"""Quoting for the SQL the warehouse writes itself: the one place identifiers and literals are quoted.

Values go to DuckDB as bind parameters (``?``) wherever DuckDB takes them. Two things cannot be bound: names
(schemas, tables, columns that are only known at run time) and the few statements that take no parameters at
all (``ATTACH 'path'``). Those go through the helpers here, so that a name with a quote in it can neither break
the statement nor change what it does, and so that there is one rule to read instead of a quote written by
hand at every call.
"""

from __future__ import annotations

from os import PathLike


def quote_identifier(name: str) -> str:
    """A name as a DuckDB identifier: in double quotes, a double quote inside it doubled."""
    return '"' + str(name).replace('"', '""') + '"'


def qualified(*parts: str) -> str:
    """A dotted name (``catalog.schema.table``), each part quoted: ``qualified("raw", "x")`` is ``"raw"."x"``."""
    return ".".join(quote_identifier(part) for part in parts)


def quote_literal(value: str | PathLike) -> str:
    """A string (or a path) as a SQL string literal, single quotes doubled; only for statements that take no
    bind parameters (``ATTACH``, options of ``ATTACH``): everywhere else, bind the value."""
    return "'" + str(value).replace("'", "''") + "'"
