"""Shared shapes for parsed tables and quarantined rows."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rejection:
    """A row (or one cell of it) that broke a rule: what, where, and why, in words a person can act on."""

    row_number: int | None
    column: str | None
    value: str | None
    reason: str


@dataclass
class ParsedTable:
    """The rows of one recognised table of a file, after the row rules.

    ``rows`` are dicts of text (or None) ready for the raw table ``table_name``;
    each carries ``_row_number`` (1-based line or sheet row in the source file,
    header included) so every raw row keeps its file and row number.
    """

    table_name: str
    rows: list[dict] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    rows_read: int = 0
    sheet: str | None = None
    notes: list[str] = field(default_factory=list)
    """What a person should know about this table of the file (e.g. a table recognised but not used),
    written to the ``reason`` of its ``quality.load_log`` row."""

    @property
    def rows_loaded(self) -> int:
        """Distinct source rows loaded (a wide row unpivoted into several raw rows counts once)."""
        return len({r["_row_number"] for r in self.rows})

    @property
    def rows_rejected(self) -> int:
        """Distinct source rows quarantined (a row with two bad cells counts once)."""
        return len({r.row_number for r in self.rejections})
