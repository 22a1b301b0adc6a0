"""Pieces of the suites that validate a summary made in SQL rather than a raw table's rows.

A large raw table is checked as a small frame: one row per combination of coded values, with counts of the
rows that break each rule (:func:`count_where`), and each such count expected to be 0
(:func:`no_rows_breaking`). Every row is covered; the frame, and the check's memory, stay small.
"""

from __future__ import annotations

CHILD_KEY = r"^[0-9a-f]{32}$"
ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"


def count_where(condition: str) -> str:
    """SQL: how many rows meet ``condition``."""
    return f"count(*) filter (where {condition})"


def not_matching(column: str, regex: str) -> str:
    """SQL: ``column`` does not match ``regex`` (null: not counted, as GX ignores nulls)."""
    return f"not regexp_full_match({column}, '{regex}')"


def no_rows_breaking(e, column: str, check: str):
    """The expectation that no row breaks the rule counted in ``column`` (null, for no rows, passes)."""
    return e.ExpectColumnValuesToBeInSet(column=column, value_set=[0], meta={"check": check})
