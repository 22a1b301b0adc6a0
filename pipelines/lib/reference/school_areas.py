"""Areas of DfE statistics files: England, regions and LAs, matched to codes through the reference lists.

Pure functions, no Dagster. The reference is the LA code list and region list a council dropped in
``raw/reference/`` when there is one, else the bundled seeds (``dbt_project/seeds/reference``), the same
choice as the dbt staging models, plus the bundled further spellings of LA names (``ref_la_names.csv``).

* An LA named by its DfE 3-digit code, its ONS code or only by its name (the pre-EES time series) gets
  its DfE code; names are compared with :func:`pipelines.lib.reference.lists.normalise_la_name` (case,
  punctuation, ``&``/``and``, ``, City of``), and a trailing ``(Pre LGR 2009)`` / ``(Pre LG)`` names the
  authority that ended at that reorganisation.
* An LA must have existed during the period of the row: a code whose ONS codes all began after the
  period ended, or ended before it began, is not "known for its period". The LA list starts with the
  2009 reorganisation (01/01/2009, and 01/04/2009 for LAs that kept their DfE code under a new ONS code,
  such as Cornwall 908), so a start on or before 01/04/2009 means "since before the list began".
* A name that matches no LA, or two LAs at once, is an error with a reason a person can act on.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.lib.reference.lists import normalise_la_name

SEEDS_DIR = Path(__file__).resolve().parents[3] / "dbt_project" / "seeds" / "reference"
ENGLAND_CODE = "E92000001"
LONDON_CODE = "E12000007"
LONDON_SUBREGIONS = ("E13000001", "E13000002")
# The LA list begins with the 2009 reorganisation: a code in use from 01/01/2009 or 01/04/2009 may continue
# an older DfE LA under a new ONS code (Cornwall 908, Isles of Scilly 420, Durham 840...), so such a start
# is read as "since before the list began".
OPEN_START_UNTIL = dt.date(2009, 4, 1)
_ONS_LA_CODE = re.compile(r"E(06|07|08|09|10|11)\d{6}")
_REGION_CODE = re.compile(r"E1[23]\d{6}")
_DFE_CODE = re.compile(r"\d{3}")
_QUALIFIER = re.compile(r"\s*\(\s*(pre\b[^)]*)\)\s*$", re.IGNORECASE)
# Words around an LA's name in some files: 'City of Bristol', 'Wiltshire Council', 'Barnsley Metropolitan
# Borough Council' (tried only when the name as written matches nothing).
_NAME_DECORATIONS = (
    re.compile(r"^city of "),
    re.compile(r" (metropolitan borough|london borough|royal borough|borough|county|city|district)? ?council$"),
    re.compile(r"^(london borough|royal borough) of "),
)
_COMPOSITE = re.compile(r"\s*[/&+]\s*|\s*;\s*")
# Codes written where an area has no code of that kind (e.g. new_la_code '.' for LAs abolished in 2009).
MISSING_CODES = {"", ".", "..", "x", "z", ":", "-", "n/a", "na", "null", "none", "nan"}
# Region names written otherwise than in the region list (the list's own names always match).
REGION_NAME_VARIANTS = {
    "london inner": "E13000001",
    "inner london": "E13000001",
    "london outer": "E13000002",
    "outer london": "E13000002",
    "yorkshire and humber": "E12000003",
    "yorkshire and the humber": "E12000003",
    "yorkshire": "E12000003",
    "east": "E12000006",
    "eastern": "E12000006",
    "east of england": "E12000006",
}


class AreaError(ValueError):
    """An area that cannot be matched: the column, the value and the reason."""

    def __init__(self, column: str, value: str | None, reason: str):
        super().__init__(reason)
        self.column = column
        self.value = value
        self.reason = reason


@dataclass(frozen=True)
class Period:
    """The dates a statistics period covers, and how it is written."""

    time_period: int
    label: str
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class LaRecord:
    ons_code: str
    la_code: str
    la_name: str
    region_code: str | None
    start: dt.date | None
    end: dt.date | None
    live: bool


@dataclass(frozen=True)
class Area:
    """A resolved area: what the warehouse stores for it."""

    geography_level: str  # 'national' | 'regional' | 'local_authority'
    area_code: str
    area_name: str
    la_code: str | None = None
    region_code: str | None = None

    @property
    def is_london_subregion(self) -> bool:
        return self.area_code in LONDON_SUBREGIONS


@dataclass
class AreaReference:
    """LA and region lists, indexed for matching codes and names."""

    las: list[LaRecord] = field(default_factory=list)
    regions: dict[str, str] = field(default_factory=dict)
    name_variants: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.by_code: dict[str, list[LaRecord]] = defaultdict(list)
        self.ons_to_dfe: dict[str, str] = {}
        self.by_name: dict[str, set[str]] = defaultdict(set)
        for record in self.las:
            self.by_code[record.la_code].append(record)
            self.ons_to_dfe[record.ons_code.upper()] = record.la_code
            self.by_name[normalise_la_name(record.la_name)].add(record.la_code)
        for la_code, name in self.name_variants:
            if la_code in self.by_code:
                self.by_name[normalise_la_name(name)].add(la_code)
        starts = [r.start for r in self.las if r.start is not None]
        self.list_start = min(starts) if starts else dt.date.min
        self.open_start_until = max(self.list_start, OPEN_START_UNTIL) if starts else dt.date.min
        self.region_by_name: dict[str, str] = {}
        for code, name in self.regions.items():
            self.region_by_name[normalise_la_name(name)] = code
        for name, code in REGION_NAME_VARIANTS.items():
            if code in self.regions:
                self.region_by_name.setdefault(normalise_la_name(name), code)

    # -- LAs ---------------------------------------------------------------------------------

    @property
    def known_la_codes(self) -> set[str]:
        return set(self.by_code)

    def la_name(self, la_code: str) -> str:
        """The LA's name: its live record's, else its latest record's."""
        return self._preferred(la_code).la_name

    def la_region(self, la_code: str) -> str | None:
        return self._preferred(la_code).region_code

    def _preferred(self, la_code: str) -> LaRecord:
        records = self.by_code[la_code]
        return max(records, key=lambda r: (r.live, r.start or dt.date.min, r.ons_code))

    def _record_in_period(self, record: LaRecord, period: Period) -> bool:
        start = record.start if record.start is not None and record.start > self.open_start_until else dt.date.min
        end = record.end or dt.date.max
        return start <= period.end and end >= period.start

    def exists_in(self, la_code: str, period: Period) -> bool:
        """True when the LA had a code in operation at some time during the period."""
        return any(self._record_in_period(r, period) for r in self.by_code.get(la_code, ()))

    def operation_text(self, la_code: str) -> str:
        """When the LA's codes were in use, in words, for a reason."""
        spans = []
        for r in sorted(self.by_code[la_code], key=lambda r: r.start or dt.date.min):
            start = "before 2009" if r.start is None or r.start <= self.open_start_until else r.start.isoformat()
            spans.append(f"{start} to {r.end.isoformat() if r.end else 'now'}")
        return "; ".join(spans)

    def match_la_name(self, name: str, period: Period, column: str = "la_name") -> str:
        """The DfE code of the LA called ``name`` during ``period``; AreaError when none or several."""
        key = normalise_la_name(name)
        candidates = set(self.by_name.get(key, ()))
        if not candidates:
            for pattern in _NAME_DECORATIONS:
                shorter = pattern.sub("", key).strip()
                if shorter != key and self.by_name.get(shorter):
                    candidates = set(self.by_name[shorter])
                    break
        predecessor = False
        if not candidates and _QUALIFIER.search(name or ""):
            base = _QUALIFIER.sub("", name)
            candidates = set(self.by_name.get(normalise_la_name(base), ()))
            predecessor = True
        if not candidates:
            raise AreaError(
                column,
                name,
                f"LA name {name!r} matches no LA in the reference LA list (names are compared ignoring case, "
                "punctuation, '&'/'and' and ', City of'); add the spelling to "
                "dbt_project/seeds/reference/ref_la_names.csv or give the LA's code",
            )
        in_period = sorted(c for c in candidates if self.exists_in(c, period))
        if predecessor:
            ended = [c for c in in_period if not any(r.live for r in self.by_code[c])]
            in_period = ended or in_period
        if not in_period:
            names = ", ".join(f"{c} ({self.operation_text(c)})" for c in sorted(candidates))
            raise AreaError(column, name, f"LA name {name!r} is LA {names}, which did not exist in {period.label}")
        if len(in_period) > 1:
            at_start = [
                c
                for c in in_period
                if any(self._record_in_period(r, Period(0, "", period.start, period.start)) for r in self.by_code[c])
            ]
            if len(at_start) == 1:
                return at_start[0]
            raise AreaError(
                column,
                name,
                f"LA name {name!r} matches several LAs in {period.label} ({', '.join(in_period)}); give the LA code",
            )
        return in_period[0]

    def resolve_la_code(self, text: str, column: str) -> str:
        """The DfE code for a DfE or ONS code as written; AreaError when it is not in the list."""
        code = text.strip().upper()
        if _DFE_CODE.fullmatch(code):
            if code not in self.by_code:
                raise AreaError(column, text, f"LA code {code!r} is not in the reference LA list")
            return code
        if _ONS_LA_CODE.fullmatch(code):
            if code not in self.ons_to_dfe:
                raise AreaError(column, text, f"ONS code {code!r} is not in the reference LA list")
            return self.ons_to_dfe[code]
        raise AreaError(
            column, text, f"{text!r} is neither a 3-digit DfE LA code nor an ONS LA code (E06/E08/E09/E10...)"
        )

    def resolve_la(self, old_la_code: str, new_la_code: str, la_name: str, period: Period) -> Area:
        """An LA row: by its DfE code, else its ONS code, else its name; composite codes give a combined area."""
        old = _code_or_none(old_la_code)
        new = _code_or_none(new_la_code)
        if (old and _is_composite(old)) or (new and _is_composite(new)):
            return self._resolve_composite(old, new, la_name, period)
        la_code = None
        if old is not None:
            la_code = self.resolve_la_code(old, "old_la_code")
        if new is not None:
            try:
                from_new = self.resolve_la_code(new, "new_la_code")
            except AreaError:
                if la_code is None:
                    raise
                from_new = None  # a newer ONS code than the list knows: the DfE code decides
            if la_code is not None and from_new is not None and from_new != la_code:
                raise AreaError(
                    "new_la_code",
                    new,
                    f"new_la_code {new} is LA {from_new} ({self.la_name(from_new)}) but old_la_code {old} is LA "
                    f"{la_code} ({self.la_name(la_code)}); correct one of them",
                )
            la_code = la_code or from_new
        if la_code is None:
            if not (la_name or "").strip():
                raise AreaError("la_name", la_name, "LA row without old_la_code, new_la_code or la_name")
            la_code = self.match_la_name(la_name, period)
        elif not self.exists_in(la_code, period):
            raise AreaError(
                "old_la_code" if old else "new_la_code",
                old or new,
                f"LA {la_code} ({self.la_name(la_code)}) did not exist in {period.label}: its codes were in use "
                f"{self.operation_text(la_code)}",
            )
        return Area("local_authority", la_code, self.la_name(la_code), la_code, self.la_region(la_code))

    def _resolve_composite(self, old: str | None, new: str | None, la_name: str, period: Period) -> Area:
        """Two LAs reported together (e.g. '940 / 941'): a combined area, each part known for the period."""
        column, text = ("old_la_code", old) if old and _is_composite(old) else ("new_la_code", new)
        parts = [p for p in _COMPOSITE.split(text) if p.strip()]
        codes = []
        for part in parts:
            code = self.resolve_la_code(part, column)
            if not self.exists_in(code, period):
                raise AreaError(column, text, f"LA {code} (part of {text}) did not exist in {period.label}")
            codes.append(code)
        if len(set(codes)) < 2:
            raise AreaError(column, text, f"composite code {text!r} does not name two different LAs")
        codes = sorted(set(codes))
        regions = {self.la_region(c) for c in codes}
        return Area(
            "local_authority",
            " / ".join(codes),
            " / ".join(self.la_name(c) for c in codes),
            None,
            regions.pop() if len(regions) == 1 else None,
        )

    # -- regions and England -------------------------------------------------------------------

    def resolve_region(self, region_code: str, region_name: str) -> Area:
        code = (region_code or "").strip().upper()
        if code and code.lower() not in MISSING_CODES:
            if code not in self.regions or not _REGION_CODE.fullmatch(code):
                raise AreaError(
                    "region_code",
                    region_code,
                    f"region code {region_code!r} is not a region in the reference list (E12/E13 codes)",
                )
            return Area("regional", code, self.regions[code], None, code)
        found = self.region_by_name.get(normalise_la_name(region_name))
        if found is None:
            raise AreaError(
                "region_name",
                region_name,
                f"region {region_name!r} is not a region of England in the reference list (the 9 regions, "
                "Inner London and Outer London)",
            )
        return Area("regional", found, self.regions[found], None, found)

    def resolve_england(self, country_code: str, country_name: str) -> Area:
        code = (country_code or "").strip().upper()
        name = (country_name or "").strip()
        if code and code.lower() not in MISSING_CODES and code != ENGLAND_CODE:
            raise AreaError(
                "country_code",
                country_code,
                f"country {country_code!r} is not England ({ENGLAND_CODE}); only England is kept",
            )
        if not code and name and normalise_la_name(name) != "england":
            raise AreaError("country_name", country_name, f"national row for {country_name!r}, not England")
        return Area("national", ENGLAND_CODE, self.regions.get(ENGLAND_CODE, "England"))


def _code_or_none(text: str | None) -> str | None:
    value = (text or "").strip()
    return None if value.lower() in MISSING_CODES else value


def _is_composite(code: str) -> bool:
    return len([p for p in _COMPOSITE.split(code) if p.strip()]) > 1


def _iso(text: str | None) -> dt.date | None:
    value = (text or "").strip()
    return dt.date.fromisoformat(value) if value else None


def _records(rows) -> list[LaRecord]:
    out = []
    for row in rows:
        la_code = (row.get("la_code") or "").strip()
        ons = (row.get("ons_code") or "").strip()
        if not la_code or not ons:
            continue
        out.append(
            LaRecord(
                ons_code=ons,
                la_code=la_code,
                la_name=(row.get("la_name") or "").strip(),
                region_code=(row.get("region_code") or "").strip() or None,
                start=_iso(row.get("date_of_operation")),
                end=_iso(row.get("date_of_termination")),
                live=(row.get("status") or "").strip().lower() == "live" or not row.get("date_of_termination"),
            )
        )
    return out


def _read_seed(name: str) -> list[dict]:
    with (SEEDS_DIR / name).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def load_area_reference(reference_dir: Path | None = None) -> AreaReference:
    """LA and region lists: the bundled seeds updated and extended by a council's own in ``reference_dir``."""
    from pipelines.lib.reference.areas import dropped_in_rows, updated_reference

    dropped = dropped_in_rows(reference_dir, ["reference_la_codes", "reference_regions"])
    la_rows, region_rows = dropped["reference_la_codes"], dropped["reference_regions"]
    las = _records(updated_reference(_read_seed("ref_la_codes.csv"), la_rows, "ons_code"))
    regions = {
        r["region_code"].strip(): r["region_name"].strip()
        for r in updated_reference(_read_seed("ref_regions.csv"), region_rows, "region_code")
    }
    regions.setdefault(ENGLAND_CODE, "England")
    variants = [(r["la_code"].strip(), r["name_variant"]) for r in _read_seed("ref_la_names.csv")]
    return AreaReference(las=las, regions=regions, name_variants=variants)
