"""Parsers for the values that every source shares: dates, grades, codes.

Each parser returns the clean value or raises :class:`ValueError` whose message
is the reason a person reads in ``quality.rejected_rows``.
"""

from __future__ import annotations

import datetime as dt
import re

_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?$")


def parse_date(text: str | None) -> dt.date | None:
    """Read a date written dd/mm/yyyy, dd/mm/yy (as 20yy), or yyyy-mm-dd. Blank gives None.

    ``05/03/2012`` is always 5 March 2012. A date that does not exist (31/02/2012)
    or a US-style date (03/25/2012) raises ValueError saying so.
    """
    if text is None or text.strip() == "":
        return None
    value = text.strip()
    match = _ISO.match(value)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = _DMY.match(value)
        if not match:
            raise ValueError(f"'{value}' is not a date in dd/mm/yyyy or yyyy-mm-dd form")
        day, month, year = int(match.group(1)), int(match.group(2)), match.group(3)
        year = 2000 + int(year) if len(year) == 2 else int(year)
        if month > 12 and day <= 12:
            raise ValueError(f"'{value}' looks like a US-style mm/dd date; write dates as dd/mm/yyyy")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"'{value}' is not a real date") from None


def iso_date(text: str | None) -> str | None:
    """:func:`parse_date`, returned as ISO ``yyyy-mm-dd`` text for the raw tables."""
    value = parse_date(text)
    return value.isoformat() if value else None


def squash(text: str | None) -> str:
    """Lower case with single spaces and no outer spaces: the key for matching words."""
    if text is None:
        return ""
    return " ".join(text.replace("\xa0", " ").split()).lower()


GRADE_RANKS = {
    "outstanding": 1,
    "good": 2,
    "adequate": 3,
    "requires improvement": 3,
    "requires improvement to be good": 3,
    "inadequate": 4,
}

# The words each Ofsted framework used for its third grade.
FRAMEWORK_GRADE_WORDS = {
    "SLAC": {"outstanding", "good", "adequate", "inadequate"},
    "CP": {"outstanding", "good", "adequate", "inadequate"},
    "TLAC": {"outstanding", "good", "adequate", "inadequate"},
    "SIF": {"outstanding", "good", "requires improvement", "inadequate"},
    "ILACS": {"outstanding", "good", "requires improvement to be good", "requires improvement", "inadequate"},
}

FRAMEWORKS = tuple(FRAMEWORK_GRADE_WORDS)


def grade_rank(label: str | None, framework: str | None = None) -> int:
    """Rank of a grade word (1 Outstanding .. 4 Inadequate), case-insensitive.

    With ``framework`` the word must be that framework's own: SLAC and CP graded
    "Adequate", SIF "Requires improvement", ILACS "Requires improvement to be good".
    """
    key = squash(label)
    if key not in GRADE_RANKS:
        raise ValueError(
            f"'{label}' is not a grade: use Outstanding, Good, Requires improvement (to be good), "
            "Adequate or Inadequate"
        )
    if framework is not None and key not in FRAMEWORK_GRADE_WORDS[framework]:
        allowed = ", ".join(sorted(w.capitalize() for w in FRAMEWORK_GRADE_WORDS[framework]))
        raise ValueError(f"'{label}' is not a grade of the {framework} framework (its grades: {allowed})")
    return GRADE_RANKS[key]


def parse_framework(text: str | None) -> str:
    """Framework code from its abbreviation, case-insensitive: SLAC, CP, SIF or ILACS."""
    key = squash(text).upper()
    if key not in FRAMEWORKS:
        raise ValueError(f"'{text}' is not a framework: use one of {', '.join(FRAMEWORKS)}")
    return key


_LA_CODE = re.compile(r"^\d{3}$")
_ONS_CODE = re.compile(r"^E(06|07|08|09|10|11)\d{6}$")


def classify_area_code(text: str | None) -> tuple[str, str]:
    """Tell a DfE 3-digit LA code from an ONS code: returns ('dfe'|'ons', code) or raises."""
    value = (text or "").strip().upper()
    if _LA_CODE.match(value):
        return "dfe", value
    if _ONS_CODE.match(value):
        return "ons", value
    raise ValueError(f"'{text}' is neither a 3-digit DfE LA code nor an ONS LA code (E06/E08/E09/E10...)")
