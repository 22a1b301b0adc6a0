"""Shared shapes for parsed tables and quarantined rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Rejection:
    """A row (or one cell of it) that broke a rule: what, where, and why, in words a person can act on."""

    row_number: int | None
    column: str | None
    value: str | None
    reason: str


@dataclass
class StagedRelation:
    """Rows a parser staged set-based as a temporary table on the loading DuckDB connection ``con``,
    with the raw table's columns (text) and ``_row_number``; ``rows_loaded`` distinct source rows."""

    con: Any
    table: str
    rows_loaded: int

    def df(self):
        """The staged rows as a pandas DataFrame (for tests and small files)."""
        return self.con.execute(f'select * from "{self.table}" order by _row_number').df()


@dataclass
class ParsedTable:
    """The rows of one recognised table of a file, after the row rules.

    ``rows`` are dicts of text (or None) ready for the raw table ``table_name``;
    each carries ``_row_number`` (1-based line or sheet row in the source file,
    header included) so every raw row keeps its file and row number.

    A parser that builds its rows set-based may hand them over as ``frame`` instead: a pandas
    DataFrame with the raw table's columns (text) and ``_row_number``, or a :class:`StagedRelation`,
    inserted in one go.
    ``notes`` are said in the file's ``quality.load_log`` reason (e.g. how its columns were read).
    """

    table_name: str
    rows: list[dict] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    rows_read: int = 0
    sheet: str | None = None
    merged_rows: set[int] = field(default_factory=set)
    frame: Any = None
    notes: list[str] = field(default_factory=list)
    """What a person should know about this table of the file (e.g. a table recognised but not used),
    written to the ``reason`` of its ``quality.load_log`` row."""

    def loaded_row_numbers(self) -> set[int]:
        """Source rows of which something loaded: a wide row unpivoted into several raw rows, or a row
        with some cells quarantined and others loaded, counts once; a row whose content repeats rows
        already kept (``merged_rows``) counts as loaded unless it was itself rejected."""
        if isinstance(self.frame, StagedRelation):
            rows = self.frame.con.execute(f'select distinct _row_number from "{self.frame.table}"').fetchall()
            return {r[0] for r in rows}
        if self.frame is not None:
            return set(self.frame["_row_number"].astype(int)) if len(self.frame) else set()
        rejected = {r.row_number for r in self.rejections}
        return {r["_row_number"] for r in self.rows} | (self.merged_rows - rejected)

    @property
    def rows_loaded(self) -> int:
        return len(self.loaded_row_numbers())

    @property
    def rows_rejected(self) -> int:
        """Source rows quarantined whole (nothing of them loaded): with :attr:`rows_loaded` they account for
        every row read. Every quarantined cell, also of partly loaded rows, is in ``rejections``."""
        return len({r.row_number for r in self.rejections} - self.loaded_row_numbers())


INTEGER_MAX = 2_147_483_647
"""The largest whole number a warehouse ``integer`` column holds: a count the marts type as integer that is
larger is quarantined at ingest (no real count comes near it; the cast would stop the refresh)."""


def integer_problem(text: str, what: str) -> str | None:
    """Why ``text`` (digits, perhaps signed) cannot be a whole number of ``what`` in an integer column, if it can't."""
    if not text.lstrip("-").isdigit():
        return f"'{text}' is not a whole number of {what}"
    if int(text) < 0:
        return f"'{text}' is a negative number of {what}"
    if int(text) > INTEGER_MAX:
        return f"'{text}' {what} is more than any real count (over {INTEGER_MAX:,}): probably a broken cell"
    return None


def phrase_pattern(phrases) -> str:
    """A regular expression matching any of ``phrases`` as the ingest's word rules read text (case ignored,
    any run of whitespace, non-breaking spaces included, between and around the words), for a blocking check
    that must hold exactly what the ingest let through."""
    import re

    alternatives = sorted((r"\s+".join(map(re.escape, phrase.split())) for phrase in phrases), key=len, reverse=True)
    return r"(?i)^\s*(?:" + "|".join(alternatives) + r")\s*$"


def quarantine_repeats(parsed: ParsedTable, key, what: str) -> None:
    """Keep the first row of each ``key(row)`` (None: no key, kept); quarantine a later row with the same key,
    naming the row kept. For a table whose blocking check holds a key unique (a uniqueness rule at ingest)."""
    first: dict = {}
    kept = []
    for row in parsed.rows:
        k = key(row)
        if k is not None and k in first:
            parsed.rejections.append(
                Rejection(
                    row["_row_number"],
                    None,
                    ", ".join(str(v) for v in k),
                    f"{what} is already on row {first[k]}; keep one row",
                )
            )
            continue
        if k is not None:
            first[k] = row["_row_number"]
        kept.append(row)
    parsed.rows = kept
