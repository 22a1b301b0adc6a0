"""Breakdowns of DfE school statistics: which columns are filters, harmonised values, and what a file covers.

Pure functions, no Dagster; used by :mod:`pipelines.lib.sources.school_statistics`.

* **Area columns are never filters.** A column is an area column by a rule on its name
  (:func:`is_area_column`): the EES geography columns (``country_*``, ``region_*``, ``old_la_code``,
  ``new_la_code``, ``la_name``, ``lad_*``, ``pcon_*``, ``opportunity_area_*`` ...), any ``*_la_code`` /
  ``*_la_name``, and institution identifiers (``school_urn``, ``laestab``, ``provider_ukprn`` ...).
* **School types** are harmonised through ``pipelines/lib/sources/school_lists/school_types.csv``: every spelling DfE
  has used (``Primary``, ``State funded primary``, ``Special school``, ``State-funded special``, ``Pupil
  referral unit``, ``State-funded AP school`` ...) and the one name the warehouse keeps for it.
* **A file that covers part of the pupils** (pupil referral units only, alternative provision, one phase, one
  social care group) without a column saying so is labelled with what it covers
  (:func:`file_coverage`): the phrases of ``pipelines/lib/sources/school_lists/school_coverage.csv`` looked for in the
  file's title (rows above its header), its sheet name, its file name, the labels of its ``.meta.csv`` (a phrase
  every indicator label has) and its indicator column names (a phrase every one has). The label becomes a
  breakdown pair (``school_type=State-funded alternative provision school``), so the figures are never read,
  benchmarked or ranked as an LA's total. A title naming primary, secondary and special schools together
  is DfE's total (no label).
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass
from pathlib import Path

LISTS_DIR = Path(__file__).resolve().parent / "school_lists"
SCHOOL_TYPES_FILE = LISTS_DIR / "school_types.csv"
COVERAGE_FILE = LISTS_DIR / "school_coverage.csv"

# Filter names that mean the school phase/type in other DfE files.
SCHOOL_TYPE_SYNONYMS = ("phase_type_grouping", "education_phase", "phase_type", "school_phase", "phase")
TOTAL_VALUES = {"total", "all", "all schools", "all pupils"}
TERMS = {"autumn": "Autumn term", "spring": "Spring term", "summer": "Summer term"}
# The school types whose figures together are DfE's state-funded total (absence and exclusions releases).
WHOLE_SCHOOL_TYPES = frozenset({"State-funded primary", "State-funded secondary", "Special"})

# EES geography columns (the EES data standard's geographic levels, with their _code / _name columns) and
# institution identifiers: prefixes of area columns, matched with the suffixes below.
_AREA_PREFIXES = (
    "country",
    "region",
    "la",
    "old_la",
    "new_la",
    "lad",
    "local_authority",
    "pcon",
    "parliamentary_constituency",
    "ward",
    "opportunity_area",
    "english_devolved_area",
    "local_enterprise_partnership",
    "lep",
    "lsip",
    "mayoral_combined_authority",
    "combined_authority",
    "rsc_region",
    "rsc_region_lead",
    "trust",
    "sponsor",
    "school",
    "provider",
    "institution",
    "planning_area",
    "police_force",
    "msoa",
    "lsoa",
    "local_skills_improvement",
    "cauth",
    "health",
    "icb",
    "sub_icb",
    "nhs_region",
    "ons",
    "geography",
    "area",
)
_AREA_SUFFIXES = ("code", "name", "id", "urn", "ukprn", "laestab", "estab", "postcode", "lead_name", "number")
_AREA_COLUMN = re.compile(
    rf"^(?:{'|'.join(sorted(_AREA_PREFIXES, key=len, reverse=True))})_(?:{'|'.join(_AREA_SUFFIXES)})(?:_\d+)?$"
    r"|^\w*_la_(?:code|name)(?:_\d+)?$|^(?:urn|ukprn|laestab|estab|upin|la_code|ons_code|la)$"
)


def is_area_column(key: str) -> bool:
    """True for a column that names an area or an institution (never a filter, never an indicator)."""
    return bool(_AREA_COLUMN.match(key or ""))


def spelling_key(text: str) -> str:
    """A school type as looked up: case, hyphens and repeated spaces ignored."""
    return " ".join((text or "").replace("-", " ").lower().split())


@functools.lru_cache(maxsize=1)
def school_type_spellings() -> dict[str, str]:
    """Every spelling of ``school_types.csv`` (as :func:`spelling_key`) -> the school type the warehouse keeps."""
    with SCHOOL_TYPES_FILE.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return {spelling_key(r["spelling"]): r["school_type"].strip() for r in rows}


@dataclass(frozen=True)
class CoverageRule:
    pattern: re.Pattern
    key: str
    value: str


@functools.lru_cache(maxsize=1)
def coverage_rules() -> tuple[CoverageRule, ...]:
    with COVERAGE_FILE.open(newline="", encoding="utf-8") as fh:
        return tuple(
            CoverageRule(re.compile(r["pattern"], re.IGNORECASE), r["key"].strip(), r["value"].strip())
            for r in csv.DictReader(fh)
        )


def filter_keys(filters: list[str]) -> dict[str, str]:
    """Published filter column -> breakdown key (``phase_type_grouping`` etc. -> ``school_type``)."""
    keys = {name: name for name in filters}
    if "school_type" not in filters:
        for synonym in SCHOOL_TYPE_SYNONYMS:
            if synonym in filters:
                keys[synonym] = "school_type"
                break
    return keys


def harmonise_value(key: str, value: str) -> str:
    text = " ".join(value.split())
    if key == "school_type":
        spellings = school_type_spellings()
        if spelling_key(text) in spellings:
            return spellings[spelling_key(text)]
        parts = [spellings.get(spelling_key(part)) for part in text.split(" and ")]
        if len(parts) > 1 and all(parts):  # a label naming several types: 'Pupil referral unit and Special'
            return " and ".join(sorted(set(parts)))
        return text
    if key == "term":
        return TERMS.get(text.lower(), text)
    return text


def is_total(value: str | None) -> bool:
    return not (value or "").strip() or " ".join(value.split()).lower() in TOTAL_VALUES


def breakdown_text(pairs: list[tuple[str, str]]) -> tuple[str, str]:
    """(harmonised breakdown, breakdown as published) for (key, published value) pairs."""
    published = "; ".join(f"{k}={' '.join(v.split())}" for k, v in sorted(pairs)) or "Total"
    harmonised = []
    for key, value in pairs:
        value = harmonise_value(key, value or "")
        if is_total(value):
            continue
        harmonised.append((key, value))
    return "; ".join(f"{k}={v}" for k, v in sorted(harmonised)) or "Total", published


# ---------------------------------------------------------------------------
# What a file covers
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    """A part of the pupils a file covers: the breakdown pair and where it was found."""

    key: str
    value: str
    found_in: str

    @property
    def pair(self) -> tuple[str, str]:
        return self.key, self.value


def _words(text: str) -> str:
    """Text as words for the phrase rules: underscores, dots and repeated spaces as single spaces."""
    return " ".join(re.sub(r"[_.]+", " ", text or "").split())


def phrases_in(text: str) -> dict[str, dict[str, str]]:
    """Coverage key -> {harmonised value: value as the rule writes it} for the phrases in ``text``."""
    found: dict[str, dict[str, str]] = {}
    words = _words(text)
    for rule in coverage_rules():
        if rule.pattern.search(words):
            found.setdefault(rule.key, {}).setdefault(harmonise_value(rule.key, rule.value), rule.value)
    return found


def _in_every(texts: list[str]) -> dict[str, dict[str, str]]:
    """The phrases found in every one of ``texts`` (none when there are no texts)."""
    if not texts:
        return {}
    common = phrases_in(texts[0])
    for text in texts[1:]:
        found = phrases_in(text)
        common = {k: {h: v for h, v in values.items() if h in found.get(k, {})} for k, values in common.items()}
    return {k: v for k, v in common.items() if v}


def file_coverage(
    title_rows: list[str], sheet: str | None, file_name: str, meta_labels: list[str], indicator_names: list[str]
) -> list[Coverage]:
    """What part of the pupils a file covers, by key; the first source naming a key decides it.

    Sources in order: the title (rows above the header), the sheet name, the file name, a phrase every
    ``.meta.csv`` indicator label has, a phrase every indicator column name has. Several school types named
    together are one combined label unless they are DfE's total (primary, secondary and special)."""
    sources = [
        (f"the title {' / '.join(title_rows)!r}", phrases_in(" ".join(title_rows))),
        (f"the sheet name {sheet!r}", phrases_in(sheet or "")),
        (f"the file name {file_name!r}", phrases_in(Path(file_name).stem)),
        ("every indicator label of the .meta.csv", _in_every(meta_labels)),
        ("every indicator column name", _in_every(indicator_names)),
    ]
    decided: dict[str, Coverage] = {}
    for found_in, found in sources:
        for key, values in sorted(found.items()):
            if key in decided:
                continue
            if key == "school_type" and set(values) >= WHOLE_SCHOOL_TYPES:
                decided[key] = Coverage(key, "", found_in)  # DfE's total: nothing to label
                continue
            decided[key] = Coverage(key, " and ".join(values[h] for h in sorted(values)), found_in)
    return [c for c in decided.values() if c.value]


def apply_coverage(pairs: list[tuple[str, str]], coverage: list[Coverage]) -> list[tuple[str, str]]:
    """The row's (key, value) pairs with each coverage label added where the row does not say otherwise:
    a filter of the same key at a real value wins; at ``Total`` (or blank) the label replaces it."""
    out = list(pairs)
    for item in coverage:
        if any(k == item.key and not is_total(harmonise_value(k, v)) for k, v in out):
            continue
        out = [(k, v) for k, v in out if k != item.key]
        out.append(item.pair)
    return out
