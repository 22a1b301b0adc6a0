"""A scaled, realistic landing folder for the benchmark, from a fixed seed (byte-for-byte reproducible).

At scale 1 (``make bench``):

* **SSDA903**: the returns of 30 LAs (the home LA in ``ssda903/<YYYY>/``, the others in
  ``ssda903/<la_code>/<YYYY>/``) for the 10 years ending March 2015 to March 2024, about a million episode
  rows, as CSV tables (Header, Episodes, AD1, PlacedAdoption; Reviews in 2023, recognised and not used).
  Each LA is the sample generator's simulation (:mod:`pipelines.sample_data.ssda903`) at a realistic size:
  its children's journeys, adoption routes and timeliness trends, with a handful of rows a real return
  would have quarantined. One more year (2025) of one LA is written aside, for the incremental refresh.
* **Case-file audits**: 200,000 audits (and their follow-up actions) of the home LA, April 2015 to March
  2025, as the audit tool's yearly CSV exports (an audits and an actions file per year).
* **DfE school statistics**: EES open-data absence and exclusions files (with ``.meta.csv``) for England,
  every region and every LA that existed in the period, 15 academic years (2009/10 to 2023/24), by school
  type and pupil characteristic, in three releases of five years each, with suppressed and not-applicable
  cells as DfE publishes them.
* **Ofsted** and the published **adoption scorecards**: the bundled sample files (they are small at any scale).

``scale`` multiplies the volume: the number of LAs with SSDA903 returns (30 x scale), the audits
(200,000 x scale) and the years of school statistics (15 x scale; every LA each year). Everything is
made up; identifiers are synthetic.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

from pipelines.lib.reference.school_areas import Period, load_area_reference
from pipelines.sample_data import ssda903 as sample903

SEED = 20240331
HOME_LA = "865"
REPO_RAW = Path(__file__).resolve().parents[2] / "raw"

# SSDA903 at scale 1
SSDA903_LAS = 30
SSDA903_YEARS = tuple(range(2015, 2025))  # collection years (ending 31 March)
INCREMENTAL_YEAR = 2025
ADOPTIONS_PER_YEAR = 45  # per LA, before a size factor of 0.5-1.5
OTHER_ENTRANTS_PER_YEAR = 1070
BAD_ROW_EVERY = 4000  # about one episode row in BAD_ROW_EVERY breaks a DfE rule (quarantined at ingest)

# Case audits at scale 1
AUDITS = 200_000
AUDIT_YEARS = tuple(range(2015, 2025))  # financial years starting April

# School statistics at scale 1
SCHOOL_YEARS = tuple(range(2009, 2024))  # academic years 2009/10 .. 2023/24 (by first calendar year)
RELEASE_YEARS = 5


@dataclass(frozen=True)
class BenchData:
    """Where the generated landing folder is, what it holds and what the incremental step adds."""

    landing: Path
    extra: Path  # a folder tree to copy over the landing folder for the incremental refresh
    counts: dict[str, int]


# ------------------------------------------------------------------------------------------------------------
# SSDA903
# ------------------------------------------------------------------------------------------------------------
class _ScaledReturns(sample903._Generator):
    """The sample's simulation of one LA, with the LA's own rates of adoptions and other entrants."""

    def __init__(self, seed: int, adoptions: int, others: int):
        super().__init__(seed)
        self.adoptions, self.others = adoptions, others

    def run(self) -> list[sample903.Child]:
        spread = max(1, self.adoptions // 7)
        for year in range(sample903.FIRST_YEAR, sample903.LAST_YEAR + 2):
            start, end = dt.date(year - 1, 4, 1), dt.date(year, 3, 31)
            for _ in range(self.adoptions + self.rng.randint(-spread, spread)):
                self.adopted_child(self.uniform_date(start, end))
            for _ in range(self.others):
                self.other_child(self.uniform_date(start - dt.timedelta(days=365), end))
        return self.children


def _year_tables(children: list[sample903.Child], episodes: dict[int, list], year: int) -> dict[str, list[dict]]:
    """The sample generator's tables of one return, with every child's episodes worked out once."""
    original = sample903.episodes_of
    sample903.episodes_of = lambda child: episodes[id(child)]
    try:
        return sample903._year_rows(children, year)
    finally:
        sample903.episodes_of = original


def _spoil(tables: dict[str, list[dict]], rng: random.Random) -> None:
    """A few rows as real returns have them: a code outside the DfE list, a DEC before its DECOM."""
    for row in tables["Episodes"]:
        roll = rng.randrange(BAD_ROW_EVERY)
        if roll == 0:
            row["PLACE"] = "Z9"
        elif roll == 1 and row["DEC"]:
            row["DEC"], row["DECOM"] = row["DECOM"], row["DEC"]
        elif roll == 2:
            row["RNE"] = row["RNE"].lower() + " "  # trimmed and upper-cased on load, as the DfE validator does


def ssda903_las(count: int) -> list[str]:
    """The home LA and ``count - 1`` other LAs (current DfE codes), chosen with the seed."""
    reference = load_area_reference(None)
    current = sorted(c for c in reference.known_la_codes if c != HOME_LA and any(r.live for r in reference.by_code[c]))
    return [HOME_LA, *random.Random(SEED).sample(current, max(0, count - 1))]


def write_ssda903(landing: Path, extra: Path, la_count: int) -> int:
    """Every LA's returns; the incremental year of the last LA goes under ``extra``. Returns episode rows."""
    episodes_written = 0
    las = ssda903_las(la_count)
    for index, la_code in enumerate(las):
        rng = random.Random(SEED + 7919 * index)
        size = rng.uniform(0.5, 1.5)
        children = _ScaledReturns(
            SEED + index, round(ADOPTIONS_PER_YEAR * size), round(OTHER_ENTRANTS_PER_YEAR * size)
        ).run()
        episodes = {id(child): sample903.episodes_of(child) for child in children}
        years = [*SSDA903_YEARS, INCREMENTAL_YEAR] if index == len(las) - 1 else list(SSDA903_YEARS)
        for year in years:
            tables = _year_tables(children, episodes, year)
            _spoil(tables, rng)
            root = (extra if year == INCREMENTAL_YEAR else landing) / "ssda903"
            folder = root / str(year) if la_code == HOME_LA else root / la_code / str(year)
            folder.mkdir(parents=True, exist_ok=True)
            files = {
                "header.csv": (sample903.HEADER_COLUMNS, tables["Header"]),
                "episodes.csv": (sample903.EPISODE_COLUMNS, tables["Episodes"]),
                "ad1.csv": (sample903.AD1_COLUMNS, tables["AD1"]),
                "placed_for_adoption.csv": (sample903.PLACED_COLUMNS, tables["PlacedAdoption"]),
            }
            if tables["Reviews"]:
                files["reviews.csv"] = (sample903.REVIEW_COLUMNS, tables["Reviews"])
            for name, (columns, rows) in files.items():
                (folder / name).write_text(sample903._csv(columns, rows), encoding="utf-8", newline="\n")
            if year != INCREMENTAL_YEAR:
                episodes_written += len(tables["Episodes"])
    return episodes_written


# ------------------------------------------------------------------------------------------------------------
# Case-file audits
# ------------------------------------------------------------------------------------------------------------
TEAMS = (
    "North locality",
    "South locality",
    "East locality",
    "West locality",
    "Children in care",
    "Disabled children",
    "Care leavers",
    "Front door",
)
CASE_TYPES = (("CIN", 35), ("CP", 25), ("CLA", 22), ("EH", 12), ("CL", 6))
AUDITORS = ("Independent", "Manager", "IRO", "CP chair")
THEMES = ("management_oversight", "assessment", "planning", "voice_of_child", "multi_agency")
GRADES = ("Outstanding", "Good", "Requires improvement", "Inadequate")
ACTION_TYPES = (
    ("Increase visits", 14),
    ("Gather information", 21),
    ("Multi-agency meeting", 28),
    ("Strategy discussion", 7),
    ("Re-assessment", 28),
    ("Other", 21),
)
AUDIT_HEADER = [
    "audit_id",
    "child_id",
    "audit_date",
    "team",
    "case_type",
    "auditor_type",
    "overall_grade",
    *(f"grade_{t}" for t in THEMES),
    "cp_plan_needed",
    "assessment_up_to_date",
]
ACTION_HEADER = ["action_id", "audit_id", "action_type", "owner_team", "due_date", "completed_date", "description"]
EXPORT_DATE = dt.date(2025, 4, 30)


def _csv_text(header: list[str], rows: list[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def write_case_audits(landing: Path, audits: int) -> int:
    """Yearly audits and actions exports; returns the number of audit rows."""
    rng = random.Random(SEED + 4)
    folder = landing / "case_audits"
    folder.mkdir(parents=True, exist_ok=True)
    children = [f"C{n:06d}" for n in rng.sample(range(100000, 999999), max(10, audits // 3))]
    per_year = audits // len(AUDIT_YEARS)
    audit_number = action_number = 0
    for y_index, year in enumerate(AUDIT_YEARS):
        start = dt.date(year, 4, 1)
        days = (dt.date(year + 1, 4, 1) - start).days
        audit_rows, action_rows = [], []
        count = per_year + (audits - per_year * len(AUDIT_YEARS) if y_index == len(AUDIT_YEARS) - 1 else 0)
        dates = sorted(start + dt.timedelta(days=rng.randrange(days)) for _ in range(count))
        improvement = min(1.0, y_index / 6)
        for audit_date in dates:
            audit_number += 1
            row, overall = _audit_row(rng, f"AUD-{audit_number:07d}", audit_date, children, improvement)
            audit_rows.append(row)
            actions = _action_rows(rng, row, overall, audit_date, improvement, action_number)
            action_number += len(actions)
            action_rows += actions
        label = f"{year}-{(year + 1) % 100:02d}"
        (folder / f"audits_{label}.csv").write_text(_csv_text(AUDIT_HEADER, audit_rows), encoding="utf-8")
        (folder / f"actions_{label}.csv").write_text(_csv_text(ACTION_HEADER, action_rows), encoding="utf-8")
    return audit_number


def _audit_row(
    rng: random.Random, audit_id: str, audit_date: dt.date, children: list[str], improvement: float
) -> tuple[list[str], str]:
    """One audit's row (one in 2,000 with a grade that is not one), and its overall grade."""
    case_types, case_weights = zip(*CASE_TYPES)
    overall = rng.choices(GRADES, weights=(3 + 3 * improvement, 30 + 20 * improvement, 40, 27 - 20 * improvement))[0]
    themes = [
        GRADES[max(0, min(3, GRADES.index(overall) + rng.choice((-1, 0, 0, 0, 1))))] if rng.random() > 0.08 else ""
        for _ in THEMES
    ]
    case_type = rng.choices(case_types, weights=case_weights)[0]
    needs_plan = case_type in ("EH", "CIN") and overall in ("Inadequate", "Requires improvement") and rng.random() < 0.4
    row = [
        audit_id,
        rng.choice(children),
        audit_date.strftime("%d/%m/%Y"),
        rng.choice(TEAMS),
        case_type,
        rng.choice(AUDITORS),
        overall,
        *themes,
        "Y" if needs_plan else "N",
        rng.choice(("Y", "Y", "N", "")),
    ]
    if rng.randrange(2000) == 0:
        row[6] = "Satisfactory"  # not a grade: quarantined
    return row, overall


def _action_rows(
    rng: random.Random, row: list[str], overall: str, audit_date: dt.date, improvement: float, numbered_from: int
) -> list[list[str]]:
    """The actions of one audit, more for a worse grade, numbered on from ``numbered_from``."""
    n_actions = {
        "Inadequate": rng.randint(2, 3),
        "Requires improvement": rng.randint(1, 2),
        "Good": rng.randint(0, 1),
        "Outstanding": 0,
    }[overall]
    rows = []
    for number, (action_type, allowed) in enumerate(rng.sample(ACTION_TYPES, n_actions), start=numbered_from + 1):
        due = audit_date + dt.timedelta(days=allowed)
        roll = rng.random()
        completed = (
            due - dt.timedelta(days=rng.randint(0, allowed - 1))
            if roll < 0.6 + 0.3 * improvement
            else due + dt.timedelta(days=rng.randint(1, 60))
            if roll < 0.97
            else None
        )
        if completed is not None and completed > EXPORT_DATE:
            completed = None
        if rng.randrange(5000) == 0 and completed is not None:
            completed = audit_date - dt.timedelta(days=3)  # before its audit: quarantined across files
        rows.append(
            [
                f"ACT-{number:08d}",
                row[0],
                action_type,
                row[3],
                due.strftime("%d/%m/%Y"),
                completed.strftime("%d/%m/%Y") if completed else "",
                "Free text the warehouse never reads.",
            ]
        )
    return rows


# ------------------------------------------------------------------------------------------------------------
# School statistics (EES)
# ------------------------------------------------------------------------------------------------------------
AREA_COLUMNS = [
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
]
SCHOOL_TYPES = (("Total", 1.0), ("State-funded primary", 0.55), ("State-funded secondary", 0.42), ("Special", 0.03))
CHARACTERISTICS = (("Total", 1.0), ("Boys", 0.51), ("Girls", 0.49), ("FSM eligible", 0.22), ("FSM not eligible", 0.78))
ABSENCE_INDICATORS = (
    ("enrolments", "Number of pupil enrolments", ""),
    ("sess_possible", "Number of sessions possible", ""),
    ("sess_overall", "Number of overall absence sessions", ""),
    ("sess_authorised", "Number of authorised absence sessions", ""),
    ("sess_unauthorised", "Number of unauthorised absence sessions", ""),
    ("sess_overall_percent", "Overall absence rate", "%"),
    ("sess_authorised_percent", "Authorised absence rate", "%"),
    ("sess_unauthorised_percent", "Unauthorised absence rate", "%"),
    ("enrolments_pa_15_exact", "Number of persistent absentees (15% threshold)", ""),
    ("enrolments_pa_15_exact_percent", "Percentage of persistent absentees (15% threshold)", "%"),
    ("enrolments_pa_10_exact", "Number of persistent absentees", ""),
    ("enrolments_pa_10_exact_percent", "Percentage of persistent absentees", "%"),
)
EXCLUSION_INDICATORS = (
    ("num_schools", "Number of schools", ""),
    ("headcount", "Number of pupils", ""),
    ("perm_excl", "Number of permanent exclusions", ""),
    ("perm_excl_rate", "Permanent exclusion rate", ""),
    ("suspension", "Number of suspensions", ""),
    ("susp_rate", "Suspension rate", ""),
    ("one_plus_susp", "Number of pupils with one or more suspension", ""),
    ("one_plus_susp_rate", "Percentage of pupils with one or more suspension", ""),
)
META_HEADER = [
    "col_name",
    "col_type",
    "label",
    "indicator_grouping",
    "indicator_unit",
    "filter_hint",
    "filter_grouping_column",
]


def _school_areas(year: int) -> list[tuple[str, list[str], float]]:
    """(level, area cells, pupils in thousands) of England, the regions and every LA of the academic year."""
    reference = load_area_reference(None)
    period = Period(
        year * 100 + (year + 1) % 100, f"{year}/{(year + 1) % 100:02d}", dt.date(year, 9, 1), dt.date(year + 1, 8, 31)
    )
    sizes = random.Random(SEED + 11)
    areas = [("National", ["E92000001", "England", "", "", "", "", ""], 8000.0)]
    for code, name in sorted(reference.regions.items()):
        if code.startswith("E12"):
            areas.append(("Regional", ["E92000001", "England", code, name, "", "", ""], 900.0))
    for la_code in sorted(reference.known_la_codes):
        records = [r for r in reference.by_code[la_code] if reference._record_in_period(r, period)]
        if not records or " / " in la_code:
            continue
        record = max(records, key=lambda r: r.start or dt.date.min)
        region = record.region_code or ""
        region_name = reference.regions.get(region, "")
        pupils = sizes.uniform(15, 180)
        areas.append(
            (
                "Local authority",
                ["E92000001", "England", region, region_name, la_code, record.ons_code, record.la_name],
                pupils,
            )
        )
    return areas


def _pct(part: float, whole: float) -> str:
    return f"{round(part / whole * 100, 1):g}" if whole else "z"


def _absence_cells(rng: random.Random, pupils: int, year: int, special: bool) -> list[str]:
    possible = pupils * rng.randint(300, 320)
    rate = rng.uniform(0.035, 0.075) * (1.6 if special else 1.0) * (1.35 if year >= 2020 else 1.0)
    overall = round(possible * rate)
    unauthorised = round(overall * rng.uniform(0.2, 0.4))
    authorised = overall - unauthorised
    pa10 = round(pupils * rate * rng.uniform(2.0, 2.6))
    pa15 = round(pupils * rate * rng.uniform(0.8, 1.1))
    cells = [
        str(pupils),
        str(possible),
        str(overall),
        str(authorised),
        str(unauthorised),
        _pct(overall, possible),
        _pct(authorised, possible),
        _pct(unauthorised, possible),
        "z",
        "z",
        "z",
        "z",
    ]
    if year < 2015:
        cells[8:10] = [str(pa15), _pct(pa15, pupils)]
    else:
        cells[10:12] = [str(pa10), _pct(pa10, pupils)]
    if pupils < 300:  # small groups: persistent absence suppressed
        cells[8:12] = ["c" if c != "z" else c for c in cells[8:12]]
    return cells


def _exclusion_cells(rng: random.Random, pupils: int, schools: int) -> list[str]:
    perm = round(pupils * rng.uniform(0.0003, 0.0012))
    susp = round(pupils * rng.uniform(0.02, 0.12))
    one_plus = min(pupils, round(susp * rng.uniform(0.4, 0.55)))
    cells = [
        str(schools),
        str(pupils),
        str(perm),
        f"{perm / pupils * 100:.2f}",
        str(susp),
        f"{susp / pupils * 100:.2f}",
        str(one_plus),
        _pct(one_plus, pupils),
    ]
    if perm < 3:
        cells[2:4] = ["c", "c"]
    return cells


def _school_rows(year: int, kind: str, rng: random.Random) -> list[list[str]]:
    rows = []
    time_period = f"{year}{(year + 1) % 100:02d}"
    for level, area, thousands in _school_areas(year):
        for school_type, type_share in SCHOOL_TYPES:
            for characteristic, share in CHARACTERISTICS:
                pupils = max(20, round(thousands * 1000 * type_share * share * rng.uniform(0.95, 1.05)))
                if kind == "absence":
                    cells = _absence_cells(rng, pupils, year, school_type == "Special")
                else:
                    schools = max(1, round(pupils / (250 if "primary" in school_type else 900)))
                    cells = _exclusion_cells(rng, pupils, schools)
                rows.append([time_period, "Academic year", level, *area, school_type, characteristic, *cells])
    return rows


def write_school_statistics(landing: Path, years: int) -> int:
    """EES absence and exclusions files, five academic years per release, with their metadata."""
    cells = 0
    chosen = SCHOOL_YEARS[-years:] if years else ()
    for kind, source, indicators in (
        ("absence", "school_absence", ABSENCE_INDICATORS),
        ("exclusions", "school_exclusions", EXCLUSION_INDICATORS),
    ):
        rng = random.Random(f"{SEED}-{kind}")
        folder = landing / source
        folder.mkdir(parents=True, exist_ok=True)
        header = [*AREA_COLUMNS, "school_type", "characteristic", *(name for name, *_ in indicators)]
        meta = [
            META_HEADER,
            ["school_type", "Filter", "School type", "", "", "Filter by school type", ""],
            ["characteristic", "Filter", "Pupil characteristic", "", "", "Filter by pupil characteristic", ""],
            *([name, "Indicator", label, "", unit, "", ""] for name, label, unit in indicators),
        ]
        for first in range(0, len(chosen), RELEASE_YEARS):
            block = chosen[first : first + RELEASE_YEARS]
            rows = [row for year in block for row in _school_rows(year, kind, rng)]
            name = f"{kind}_la_{block[0]}_{block[-1] + 1}"
            (folder / f"{name}.csv").write_text(_csv_text(header, rows), encoding="utf-8")
            (folder / f"{name}.meta.csv").write_text(_csv_text(meta[0], meta[1:]), encoding="utf-8")
            cells += len(rows) * len(indicators)
    return cells


# ------------------------------------------------------------------------------------------------------------
def generate(root: Path, scale: float = 1.0) -> BenchData:
    """Write the landing folder ``root/landing`` (and ``root/extra``) for ``scale``; returns what it holds."""
    landing, extra = root / "landing", root / "extra"
    for folder in (landing, extra):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    counts = {
        "ssda903_las": max(1, round(SSDA903_LAS * scale)),
        "ssda903_years": len(SSDA903_YEARS),
    }
    counts["ssda903_episode_rows"] = write_ssda903(landing, extra, counts["ssda903_las"])
    counts["case_audits"] = write_case_audits(landing, max(100, round(AUDITS * scale)))
    counts["school_years"] = max(1, round(len(SCHOOL_YEARS) * scale))
    counts["school_cells"] = write_school_statistics(landing, counts["school_years"])
    for source in ("ofsted", "adoption_scorecards"):
        shutil.copytree(REPO_RAW / source, landing / source)
    return BenchData(landing, extra, counts)
