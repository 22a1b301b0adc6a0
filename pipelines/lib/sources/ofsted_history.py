"""Ofsted's wide inspection-history sheets: one row per LA, every inspection side by side.

The "Children's social care data in England" underlying data (sheet ``LA_inspections_2009-YYYY``) and
the wide ILACS history of some "as at 31 March" vintages put, on one row per LA, a group of columns for
each inspection: SLAC (2009-12, with re-inspections of safeguarding and of looked after children), child
protection (CPI, CPRI 2012-13), targeted looked after children (TLAC 2013), SIF (first and
re-inspection, with the LSCB review) and ILACS (first, second or latest). Each group is found from its
header cells' words, never from positions, and each graded cell becomes one judgement row with the
group's dates. Headers are matched on normalised text (:func:`pipelines.lib.ingest.readers.normalise_header`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# (framework, pattern on the normalised header). The first match decides; LSCB columns carry no
# framework and belong to the group on their left (the SIF the LSCB review was published with).
_FRAMEWORK_PATTERNS = (
    ("SLAC", re.compile(r"\bslac\b|safeguarding (&|and) looked after children")),
    ("CP", re.compile(r"\bcpi\b|\bcpri\b|child protection (re-?)?inspection")),
    ("TLAC", re.compile(r"\btlac\b|targeted looked after")),
    ("SIF", re.compile(r"\bsif\b|single inspection")),
    ("ILACS", re.compile(r"\bilacs\b")),
)
_ORDINAL = re.compile(r"\b(first|second|third|fourth|latest|most recent|previous|current)\b")
_REINSPECTION = re.compile(r"\bre-?inspection\b|\bcpri\b")

# Grade columns: (frameworks or None for any, pattern, service_area, judgement_area). ILACS names are
# those of Ofsted's "as at 31 March" workbooks, so the same judgement from either layout is one judgement.
ILACS_LEADERS = "The impact of leaders on social work practice with children and families"
ILACS_HELP = "The experiences and progress of children who need help and protection"
ILACS_IN_CARE = "The experiences and progress of children in care"
ILACS_LEAVERS = "The experiences and progress of care leavers"
_JUDGEMENTS = (
    (None, re.compile(r"\blscb\b"), "LSCB", "LSCB overall effectiveness"),
    (("SLAC",), re.compile(r"safeguarding.*(overall|\boe\b)"), "Safeguarding", "Overall effectiveness"),
    (("SLAC",), re.compile(r"looked after.*(overall|\boe\b)"), "Looked after children", "Overall effectiveness"),
    (("ILACS",), re.compile(r"impact of leaders"), "Overall", ILACS_LEADERS),
    (("ILACS",), re.compile(r"help and protection"), "Help and protection", ILACS_HELP),
    (("ILACS",), re.compile(r"children in care( and care leavers)?$"), "Children in care", ILACS_IN_CARE),
    (("ILACS",), re.compile(r"care leavers$"), "Care leavers", ILACS_LEAVERS),
    (("SIF",), re.compile(r"help and protection"), "Help and protection", "Children who need help and protection"),
    (("SIF",), re.compile(r"adoption"), "Children looked after", "Adoption performance"),
    (("SIF",), re.compile(r"care leavers"), "Children looked after", "Experiences and progress of care leavers"),
    (
        ("SIF",),
        re.compile(r"looked after and achieving permanence"),
        "Children looked after",
        "Children looked after and achieving permanence",
    ),
    (("SIF",), re.compile(r"leadership"), "Leadership", "Leadership, management and governance"),
    (None, re.compile(r"overall|\boe\b"), "Overall", "Overall effectiveness"),
)
_INSPECTION_TYPES = {
    "SLAC": "Safeguarding and looked after children inspection",
    "CP": "Child protection inspection",
    "TLAC": "Targeted looked after children inspection",
    "SIF": "Single inspection of LA children's services",
    "ILACS": "ILACS inspection",
}


@dataclass
class Group:
    """The columns of one inspection on a wide row."""

    framework: str
    occurrence: str
    publication_date: int | None = None
    inspection_date: int | None = None
    inspection_type: int | None = None
    grades: list[tuple[int, str | None, str, str]] = field(default_factory=list)  # (column, service, judgement, header)

    @property
    def default_type(self) -> str:
        base = _INSPECTION_TYPES[self.framework]
        return f"{base} ({self.occurrence})" if "re-inspection" in self.occurrence else base


def framework_of(header: str) -> str | None:
    for framework, pattern in _FRAMEWORK_PATTERNS:
        if pattern.search(header):
            return framework
    return None


def _occurrence(framework: str, header: str) -> str:
    if _REINSPECTION.search(header):
        if framework == "SLAC":
            return (
                "re-inspection of looked after children"
                if "looked after" in header
                else "re-inspection of safeguarding"
            )
        return "re-inspection"
    match = _ORDINAL.search(header)
    return match.group(1) if match else ""


def _field(header: str) -> str:
    if "publication date" in header or "published" in header:
        return "publication_date"
    if "inspection type" in header:
        return "inspection_type"
    if re.search(r"(inspection|visit|start) date", header):
        return "inspection_date"
    return "grade"


def _judgement(framework: str, header: str) -> tuple[str | None, str]:
    for frameworks, pattern, service, judgement in _JUDGEMENTS:
        if (frameworks is None or framework in frameworks) and pattern.search(header):
            return service, judgement
    return None, header


def history_groups(header: list[str]) -> list[Group]:
    """The inspection groups of a wide history header (normalised cells), left to right."""
    groups: list[Group] = []
    current: Group | None = None
    for column, cell in enumerate(header):
        if not cell:
            continue
        framework = framework_of(cell)
        field_name = _field(cell)
        if framework is None and current is None:
            continue  # LA name, region, type columns
        if framework is not None:
            occurrence = _occurrence(framework, cell)
            if current is None or (framework, occurrence) != (current.framework, current.occurrence):
                current = Group(framework, occurrence)
                groups.append(current)
        if field_name == "grade":
            service, judgement = _judgement(current.framework, cell)
            current.grades.append((column, service, judgement, cell))
        elif getattr(current, field_name) is None:
            setattr(current, field_name, column)
    return [g for g in groups if g.grades and (g.publication_date is not None or g.inspection_date is not None)]


def is_history_header(header: list[str]) -> bool:
    """A wide history header: an LA name and at least one inspection group with dates and grades."""
    names = set(header)
    if not ({"local authority name", "local authority", "la name"} & names):
        return False
    return bool(history_groups(header))
