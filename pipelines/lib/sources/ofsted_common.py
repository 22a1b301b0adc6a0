"""Cell rules shared by the Ofsted parsers: dates, grades and LA identity."""

from __future__ import annotations

import datetime as dt

from pipelines.lib.ingest.parsing import GRADE_RANKS, iso_date, squash
from pipelines.lib.reference.school_areas import AreaError, AreaReference, Period

# Cells that mean "no judgement here" in Ofsted's statistics (a dash, or blank).
NO_VALUE = {"", "-", "–", "n/a", "na", "not applicable"}
NO_FULL_INSPECTION = "no full inspection"
GRADE_DIGITS = {"1": 1, "2": 2, "3": 3, "4": 4}


def no_value(text: str | None) -> bool:
    return squash(text) in NO_VALUE


def ofsted_grade_problem(text: str) -> str | None:
    """Why ``text`` is not a grade of Ofsted's statistics (any framework's word, or 1-4), else None.

    The statistics write an SLAC or child protection 'adequate' as 'Requires improvement to be good'
    in some vintages: every word of the four-point scale is accepted for every framework here.
    """
    key = squash(text)
    if key in GRADE_RANKS or key in GRADE_DIGITS:
        return None
    return (
        f"'{text}' is not a grade: expected Outstanding, Good, Requires improvement (to be good), Adequate, "
        "Inadequate or 1-4"
    )


def checked_date(text: str | None, column: str, today: dt.date) -> str | None:
    """ISO text of a date cell (blank gives None); ValueError naming the column when it is not a date."""
    value = iso_date(text)
    if value is not None and dt.date.fromisoformat(value) > today:
        raise ValueError(f"{column.replace('_', ' ')} {value} is in the future")
    return value


def resolve_la(areas: AreaReference, code: str | None, name: str | None, on: dt.date) -> str:
    """The DfE code of an LA given by its code (DfE or ONS), else by its name as it was on ``on``.

    A name is matched through the reference LA list (case, punctuation, '&'/'and', ', City of' ignored,
    and the bundled further spellings); where two LAs had the name (Dorset 835 until 2019, 838 after),
    the one that existed on ``on`` is taken. Raises ValueError with the reason.
    """
    try:
        if code and not no_value(code):
            return areas.resolve_la_code(code, "area_code")
        if not name or no_value(name):
            raise ValueError("the row names no LA: both the LA code and the LA name are blank")
        return areas.match_la_name(name, Period(0, on.strftime("%d/%m/%Y"), on, on), "la_name")
    except AreaError as exc:
        raise ValueError(exc.reason) from None
