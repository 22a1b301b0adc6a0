"""Sample DfE school statistics for ``raw/school_absence/`` and ``raw/school_exclusions/``.

Built from the facts in ``facts/`` (published DfE figures for England, every region and every LA; see
``pipelines.tools.extract_school_facts``), so that the sample's benchmarks are real comparisons (ranks
among all LAs), in the layouts DfE publishes:

* ``school_exclusions/exclusions_la_time_series_2010_2013.csv``: the pre-EES LA time series (the layout of
  DfE's ``clean_la_data.csv``: every field quoted, areas named only, ``Region`` rows, ``Primary`` /
  ``Secondary`` school types, ``x`` for suppressed), 2010/11 to 2012/13. Published figures.
* ``school_exclusions/exclusions_la_2013_2017.csv`` with its ``.meta.csv``: an EES open-data file in
  Windows-1252 with CRLF line endings and the LA columns in an unusual order, 2013/14 to 2016/17.
  Published figures.
* ``school_absence/absence_la_2010_2017.csv`` with its ``.meta.csv``: an EES open-data file (UTF-8 with a
  BOM), 2010/11 to 2016/17, by school type with a Total. Sessions and absence rates for 2012/13 to
  2016/17 are published figures (the Total row adds up the three school types); **2010/11 and 2011/12
  sessions, the enrolments and both persistent absence measures are made up** (seeded from the published
  years), only to show the 15% measure before 2015/16 and the 10% measure from 2015/16.

LAs are as they were in each year (Dorset 835, Bournemouth 837, Poole 836, Northamptonshire 928, Cumbria
909): their DfE and ONS codes and regions come from the bundled LA code list
(``dbt_project/seeds/reference``), names matched as the school-file parser matches them. Nothing here reads
the public fixtures; the output is byte-for-byte reproducible (fixed seed).
"""

from __future__ import annotations

import csv
import io
import random
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipelines.lib.reference.lists import normalise_la_name

FACTS_DIR = Path(__file__).resolve().parent / "facts"
EXCLUSION_FACTS = FACTS_DIR / "school_exclusions_la_series.csv"
ABSENCE_FACTS = FACTS_DIR / "school_absence_by_school_type.csv"
SEED = 20120424

SEEDS_DIR = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "reference"


@dataclass(frozen=True)
class _LaCode:
    la_code: str
    ons_code: str
    region_code: str
    start: str
    end: str


class AreaDirectory:
    """DfE and ONS codes and regions of the sample's areas, from the bundled LA code list and region list."""

    def __init__(self) -> None:
        self.codes: dict[str, list[_LaCode]] = defaultdict(list)
        names: dict[str, set[str]] = defaultdict(set)
        for row in _read(SEEDS_DIR / "ref_la_codes.csv"):
            self.codes[row["la_code"]].append(
                _LaCode(
                    row["la_code"],
                    row["ons_code"],
                    row["region_code"],
                    row["date_of_operation"],
                    row["date_of_termination"],
                )
            )
            names[normalise_la_name(row["la_name"])].add(row["la_code"])
        for row in _read(SEEDS_DIR / "ref_la_names.csv"):
            names[normalise_la_name(row["name_variant"])].add(row["la_code"])
        self.names = names
        region_rows = _read(SEEDS_DIR / "ref_regions.csv")
        self.regions = {normalise_la_name(row["region_name"]): row["region_code"] for row in region_rows}
        self.region_names = {row["region_code"]: row["region_name"] for row in region_rows}

    def region_code(self, name: str) -> str | None:
        return self.regions.get(normalise_la_name(name))

    def _in_year(self, la_code: str, year: str) -> _LaCode | None:
        """The LA's ONS code in use during the academic year ``year`` (e.g. '201617'), if any."""
        start, end = f"{year[:4]}-09-01", f"20{year[4:]}-08-31"
        for code in sorted(self.codes.get(la_code, []), key=lambda c: c.start, reverse=True):
            if code.start <= end and (not code.end or code.end >= start):
                return code
        return None

    def la(self, name: str, year: str, la_code: str | None = None) -> _LaCode:
        """The LA named ``name`` (or coded ``la_code``) as it was in ``year``."""
        candidates = [la_code] if la_code else sorted(self.names.get(normalise_la_name(name), ()))
        found = [c for c in (self._in_year(code, year) for code in candidates) if c is not None]
        if len(found) != 1:
            raise ValueError(f"{name!r} ({year}): {len(found)} LAs of the LA code list match, expected one")
        return found[0]


EXCLUSION_FACT_COLUMNS = (
    "year",
    "level",
    "la_name",
    "school_type",
    "num_schools",
    "headcount",
    "perm_excl",
    "perm_excl_rate",
    "fixed_excl",
    "fixed_excl_rate",
    "one_plus_fixed",
    "one_or_more_fixed_excl_rate",
)
ABSENCE_FACT_COLUMNS = (
    "year",
    "area",
    "old_la_code",
    "school_type",
    "sess_possible",
    "sess_overall",
    "sess_authorised",
    "sess_unauthorised",
    "sess_overall_percent",
    "sess_authorised_percent",
    "sess_unauthorised_percent",
)

SERIES_NAME = "exclusions_la_time_series_2010_2013.csv"
EES_EXCLUSIONS_NAME = "exclusions_la_2013_2017.csv"
EES_ABSENCE_NAME = "absence_la_2010_2017.csv"
SERIES_YEARS = ("201011", "201112", "201213")
EES_EXCLUSION_YEARS = ("201314", "201415", "201516", "201617")
PUBLISHED_ABSENCE_YEARS = ("201213", "201314", "201415", "201516", "201617")
MADE_UP_ABSENCE_YEARS = {"201011": 1.09, "201112": 0.96}  # overall absence relative to 2012/13
LEGACY_SCHOOL_TYPES = {"State-funded primary": "Primary", "State-funded secondary": "Secondary"}
META_HEADER = [
    "col_name",
    "col_type",
    "label",
    "indicator_grouping",
    "indicator_unit",
    "filter_hint",
    "filter_grouping_column",
]


def _read(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _text(rows: list[list[str]], quoting: int = csv.QUOTE_MINIMAL, newline: str = "\n") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=quoting, lineterminator=newline)
    writer.writerows(rows)
    return buffer.getvalue()


def _write(path: Path, text: str, encoding: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


@lru_cache(maxsize=1)
def _directory() -> AreaDirectory:
    return AreaDirectory()


def _area_columns(level: str, name: str, year: str, la_code: str | None = None) -> list[str]:
    """time-independent EES area columns: region_code, region_name, new_la_code, la_name, old_la_code."""
    directory = _directory()
    if level == "National":
        return ["", "", "", "", ""]
    if level == "Regional":
        return [directory.region_code(name), name, "", "", ""]
    la = directory.la(name, year, la_code)
    return [la.region_code, directory.region_names[la.region_code], la.ons_code, name, la.la_code]


def _ees_level(level: str) -> str:
    return {"National": "National", "Region": "Regional", "Regional": "Regional"}.get(level, "Local authority")


# ---------------------------------------------------------------------------
# Exclusions
# ---------------------------------------------------------------------------


def exclusions_series_text(facts: list[dict]) -> str:
    """The pre-EES LA time series layout, every field quoted, LF line endings."""
    rows = [list(EXCLUSION_FACT_COLUMNS)]
    for fact in facts:
        if fact["year"] in SERIES_YEARS:
            rows.append([fact[c] for c in EXCLUSION_FACT_COLUMNS])
    return _text(rows, quoting=csv.QUOTE_ALL)


EES_EXCLUSION_INDICATORS = [
    ("num_schools", "Number of schools", "Schools and pupils", ""),
    ("headcount", "Number of pupils", "Schools and pupils", ""),
    ("perm_excl", "Number of permanent exclusions", "Permanent exclusions", ""),
    ("perm_excl_rate", "Permanent exclusion rate", "Permanent exclusions", ""),
    ("fixed_excl", "Number of fixed period exclusions – now called suspensions", "Fixed period exclusions", ""),
    ("fixed_excl_rate", "Fixed period exclusion rate", "Fixed period exclusions", ""),
    ("one_plus_fixed", "Number of pupils with one or more fixed period exclusion", "Fixed period exclusions", ""),
    (
        "one_or_more_fixed_excl_rate",
        "Percentage of pupils with one or more fixed period exclusion",
        "Fixed period exclusions",
        "",
    ),
]


def exclusions_ees_text(facts: list[dict]) -> tuple[str, str]:
    """(data, meta) of the EES exclusions file: la_name between the two LA codes, like DfE's CIN files."""
    header = [
        "time_period",
        "time_identifier",
        "geographic_level",
        "country_code",
        "country_name",
        "region_code",
        "region_name",
        "new_la_code",
        "la_name",
        "old_la_code",
        "school_type",
        *(name for name, *_ in EES_EXCLUSION_INDICATORS),
    ]
    rows = [header]
    for fact in facts:
        if fact["year"] not in EES_EXCLUSION_YEARS:
            continue
        level = _ees_level(fact["level"])
        school_type = {"Primary": "State-funded primary", "Secondary": "State-funded secondary"}.get(
            fact["school_type"], fact["school_type"]
        )
        rows.append(
            [
                fact["year"],
                "Academic year",
                level,
                "E92000001",
                "England",
                *_area_columns(level, fact["la_name"], fact["year"]),
                school_type,
                *(fact[name] for name, *_ in EES_EXCLUSION_INDICATORS),
            ]
        )
    meta = [META_HEADER, ["school_type", "Filter", "School type", "", "", "Filter by school type", ""]]
    meta += [[name, "Indicator", label, group, unit, "", ""] for name, label, group, unit in EES_EXCLUSION_INDICATORS]
    return _text(rows, newline="\r\n"), _text(meta, newline="\r\n")


# ---------------------------------------------------------------------------
# Absence
# ---------------------------------------------------------------------------

ABSENCE_INDICATORS = [
    ("enrolments", "Number of pupil enrolments", "Pupils", ""),
    ("sess_possible", "Number of sessions possible", "Absence fields", ""),
    ("sess_overall", "Number of overall absence sessions", "Absence fields", ""),
    ("sess_authorised", "Number of authorised absence sessions", "Absence fields", ""),
    ("sess_unauthorised", "Number of unauthorised absence sessions", "Absence fields", ""),
    ("sess_overall_percent", "Overall absence rate", "Absence fields", "%"),
    ("sess_authorised_percent", "Authorised absence rate", "Absence fields", "%"),
    ("sess_unauthorised_percent", "Unauthorised absence rate", "Absence fields", "%"),
    ("enrolments_pa_15_exact", "Number of persistent absentees (15% threshold)", "Persistent absence", ""),
    ("enrolments_pa_15_exact_percent", "Percentage of persistent absentees (15% threshold)", "Persistent absence", "%"),
    ("enrolments_pa_10_exact", "Number of persistent absentees", "Persistent absence", ""),
    ("enrolments_pa_10_exact_percent", "Percentage of persistent absentees", "Persistent absence", "%"),
]


def _percent(part: float, whole: float) -> str:
    return f"{round(part / whole * 100, 1):g}" if whole else "z"


def _absence_cells(year: str, sessions: dict[str, int], rng: random.Random) -> dict[str, str]:
    """Every absence indicator of one row from its sessions; enrolments and persistent absence made up."""
    possible, overall = sessions["sess_possible"], sessions["sess_overall"]
    authorised, unauthorised = sessions["sess_authorised"], sessions["sess_unauthorised"]
    enrolments = round(possible / rng.uniform(305, 318))
    rate = overall / possible * 100 if possible else 0
    pa15 = round(enrolments * rate * rng.uniform(0.85, 1.05) / 100)
    pa10 = round(enrolments * rate * rng.uniform(2.1, 2.5) / 100)
    cells = {
        "enrolments": str(enrolments),
        "sess_possible": str(possible),
        "sess_overall": str(overall),
        "sess_authorised": str(authorised),
        "sess_unauthorised": str(unauthorised),
        "sess_overall_percent": _percent(overall, possible),
        "sess_authorised_percent": _percent(authorised, possible),
        "sess_unauthorised_percent": _percent(unauthorised, possible),
        "enrolments_pa_15_exact": ":",
        "enrolments_pa_15_exact_percent": ":",
        "enrolments_pa_10_exact": ":",
        "enrolments_pa_10_exact_percent": ":",
    }
    if year < "201516":
        cells["enrolments_pa_15_exact"] = str(pa15)
        cells["enrolments_pa_15_exact_percent"] = _percent(pa15, enrolments)
    else:
        cells["enrolments_pa_10_exact"] = str(pa10)
        cells["enrolments_pa_10_exact_percent"] = _percent(pa10, enrolments)
    return cells


def _absence_areas(facts: list[dict]) -> dict[str, tuple[str, str | None]]:
    """Each area of the absence facts (England, regions, LAs) with its level and DfE code, in file order."""
    areas: dict[str, tuple[str, str | None]] = {"England": ("National", None)}
    for fact in facts:
        if fact["area"] in areas:
            continue
        if fact["old_la_code"]:
            areas[fact["area"]] = ("Local authority", fact["old_la_code"])
        elif _directory().region_code(fact["area"]):
            areas[fact["area"]] = ("Regional", None)
    return dict(
        sorted(areas.items(), key=lambda item: (("National", "Regional", "Local authority").index(item[1][0]), item[0]))
    )


def absence_ees_text(facts: list[dict]) -> tuple[str, str]:
    """(data, meta) of the EES absence file, 2010/11-2016/17, with a Total over the three school types."""
    rng = random.Random(SEED)
    counts = ("sess_possible", "sess_overall", "sess_authorised", "sess_unauthorised")
    published: dict[tuple[str, str, str], dict[str, int]] = {}
    for fact in facts:
        published[(fact["year"], fact["area"], fact["school_type"])] = {c: int(fact[c]) for c in counts}
    areas = _absence_areas(facts)
    types = ("State-funded primary", "State-funded secondary", "Special")
    sessions = _made_up_sessions(published, areas, types, rng)
    totals: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(counts, 0))
    for (year, area, _type), values in sessions.items():
        for c in counts:
            totals[(year, area)][c] += values[c]
    header = [
        "time_period",
        "time_identifier",
        "geographic_level",
        "country_code",
        "country_name",
        "region_code",
        "region_name",
        "old_la_code",
        "new_la_code",
        "la_name",
        "school_type",
        *(name for name, *_ in ABSENCE_INDICATORS),
    ]
    rows = [header]
    years = sorted({*MADE_UP_ABSENCE_YEARS, *PUBLISHED_ABSENCE_YEARS})
    for year in years:
        for area, (level, la_code) in areas.items():
            region_code, region_name, ons, la_name, la_code = _area_columns(level, area, year, la_code)
            for school_type in ("Total", *types):
                values = totals.get((year, area)) if school_type == "Total" else sessions.get((year, area, school_type))
                if not values:
                    continue
                cells = _absence_cells(year, values, rng)
                rows.append(
                    [
                        year,
                        "Academic year",
                        level,
                        "E92000001",
                        "England",
                        region_code,
                        region_name,
                        la_code,
                        ons,
                        la_name,
                        school_type,
                        *(cells[name] for name, *_ in ABSENCE_INDICATORS),
                    ]
                )
    meta = [META_HEADER, ["school_type", "Filter", "School type", "", "", "Filter by school type", ""]]
    meta += [[name, "Indicator", label, group, unit, "", ""] for name, label, group, unit in ABSENCE_INDICATORS]
    return _text(rows), _text(meta)


def _made_up_sessions(
    published: dict[tuple[str, str, str], dict[str, int]],
    areas: dict[str, tuple[str, str | None]],
    types: tuple[str, ...],
    rng: random.Random,
) -> dict[tuple[str, str, str], dict[str, int]]:
    """The published sessions with the made-up years added: each from 2012/13's, scaled by its year's factor."""
    sessions: dict[tuple[str, str, str], dict[str, int]] = dict(published)
    for year, factor in MADE_UP_ABSENCE_YEARS.items():
        for area in areas:
            for school_type in types:
                base = published.get(("201213", area, school_type))
                if base is None:
                    continue
                possible = round(base["sess_possible"] * rng.uniform(0.98, 1.02))
                overall = round(
                    possible * base["sess_overall"] / base["sess_possible"] * factor * rng.uniform(0.97, 1.03)
                )
                unauthorised = round(overall * base["sess_unauthorised"] / max(base["sess_overall"], 1))
                sessions[(year, area, school_type)] = {
                    "sess_possible": possible,
                    "sess_overall": overall,
                    "sess_authorised": overall - unauthorised,
                    "sess_unauthorised": unauthorised,
                }
    return sessions


# ---------------------------------------------------------------------------


def write_school_samples(raw_dir: Path) -> list[Path]:
    """Write the sample files under ``raw_dir`` and return their paths."""
    exclusions = _read(EXCLUSION_FACTS)
    absence = _read(ABSENCE_FACTS)
    excl_dir = raw_dir / "school_exclusions"
    absence_dir = raw_dir / "school_absence"
    data, meta = exclusions_ees_text(exclusions)
    absence_data, absence_meta = absence_ees_text(absence)
    return [
        _write(excl_dir / SERIES_NAME, exclusions_series_text(exclusions), "utf-8"),
        _write(excl_dir / EES_EXCLUSIONS_NAME, data, "cp1252"),
        _write(excl_dir / EES_EXCLUSIONS_NAME.replace(".csv", ".meta.csv"), meta, "cp1252"),
        _write(absence_dir / EES_ABSENCE_NAME, "\ufeff" + absence_data, "utf-8"),
        _write(absence_dir / EES_ABSENCE_NAME.replace(".csv", ".meta.csv"), absence_meta, "utf-8"),
    ]
