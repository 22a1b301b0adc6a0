"""A synthetic case-file audit export for raw/case_audits/, and the blank template councils fill in.

About 500 audits from April to December 2012 across four teams, as an audit tool would export them
after an inadequate safeguarding judgement: one workbook with an ``Audits`` sheet (theme grades in
``grade_*`` columns) and an ``Actions`` sheet (follow-up actions, some completed late, some still open
at the export date). Practice improves month by month: fewer inadequate audits, more good ones, fewer
children found to need a child protection plan, more actions done on time; one team lags behind.

Everything is made up with a fixed seed: child ids (``C`` and six digits), audit and action ids and the
action descriptions. Regenerate with ``python -m pipelines.sample_data`` (the template with
``python -m pipelines.sample_data.case_audits``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import sys
from pathlib import Path

from openpyxl import Workbook

from pipelines.sample_data.ofsted import _reproducible_zip

SEED = 20120401
GOLDEN_RATIO = 0.6180339887498949
SAMPLE_NAME = "case_file_audits_2012-04_to_2012-12.xlsx"
EXPORTED_ON = dt.date(2013, 1, 31)
FIXED_TIMESTAMP = dt.datetime(2013, 1, 31, 17, 0)
DATE_FORMAT = "dd/mm/yyyy"
TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "docs" / "templates"
TEMPLATE_NAME = "case_audit_template.xlsx"
TEMPLATE_AUDITS_CSV = "case_audit_template_audits.csv"
TEMPLATE_ACTIONS_CSV = "case_audit_template_actions.csv"

MONTHS = [dt.date(2012, m, 1) for m in range(4, 13)]
AUDITS_PER_MONTH = [78, 72, 64, 56, 50, 48, 46, 44, 42]
# Team: (share of audits, how far behind the others its improvement runs, in months).
TEAMS = {
    "North locality": (0.28, 0),
    "South locality": (0.27, 0),
    "West locality": (0.25, 3),
    "Children in care": (0.20, 1),
}
CASE_TYPES = [("CIN", 0.35), ("CP", 0.25), ("CLA", 0.22), ("EH", 0.12), ("CL", 0.06)]
CIC_CASE_TYPES = [("CLA", 0.8), ("CL", 0.2)]
AUDITORS = [("Independent", 0.45), ("Manager", 0.30), ("IRO", 0.15), ("CP chair", 0.10)]
THEMES = ("management_oversight", "assessment", "planning", "voice_of_child", "multi_agency")
GRADES = ("Outstanding", "Good", "Requires improvement", "Inadequate")
# Action type: (days allowed, description written by the auditor: free text, never loaded).
ACTION_TYPES = {
    "Increase visits": (14, "Visit at least fortnightly and record what the child says about home."),
    "Gather information": (21, "Request school attendance and health records and add them to the file."),
    "Multi-agency meeting": (28, "Hold a meeting with school, health visitor and police to share concerns."),
    "Strategy discussion": (7, "Convene a strategy discussion: the threshold for section 47 may be met."),
    "Re-assessment": (28, "Update the assessment: the last one no longer reflects the family's situation."),
    "Other": (21, "Chase the outstanding referral and record the outcome on the case file."),
}

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


def _pick(rng: random.Random, weighted: list[tuple[str, float]]) -> str:
    values, weights = zip(*weighted)
    return rng.choices(values, weights=weights)[0]


def _progress(month_index: int, lag: int) -> float:
    """0 at the start of the improvement programme, 1 when it has fully taken hold."""
    return max(0.0, min(1.0, (month_index - lag) / 7))


def _grade_quota(count: int, progress: float) -> list[str]:
    """The month's overall grades, worst first: the shares move steadily from inadequate towards good."""
    shares = {
        "Inadequate": 0.36 - 0.28 * progress,
        "Requires improvement": 0.0,
        "Good": 0.12 + 0.40 * progress,
        "Outstanding": 0.02 + 0.04 * progress,
    }
    counts = {grade: round(count * share) for grade, share in shares.items()}
    counts["Requires improvement"] = count - sum(counts.values())
    return [grade for grade in reversed(GRADES) for _ in range(counts[grade])]


def _theme_grade(rng: random.Random, overall: str) -> str:
    step = rng.choices((-1, 0, 1), weights=(0.2, 0.6, 0.2))[0]
    return GRADES[max(0, min(3, GRADES.index(overall) + step))]


def generate(seed: int = SEED) -> tuple[list[list], list[list]]:
    """(audit rows, action rows) in export order, values as the audit tool writes them."""
    rng = random.Random(seed)
    children = [f"C{n:06d}" for n in rng.sample(range(100000, 999999), 430)]
    audits: list[list] = []
    actions: list[list] = []
    team_names = list(TEAMS)
    for month_index, (month, count) in enumerate(zip(MONTHS, AUDITS_PER_MONTH)):
        days_in_month = ((month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - month).days
        teams = rng.choices(team_names, weights=[TEAMS[t][0] for t in team_names], k=count)
        dates = sorted(month + dt.timedelta(days=rng.randrange(days_in_month)) for _ in range(count))
        # The worst grades go to the audits of the cases in the weakest practice: a lagging team's most often.
        weakness = [rng.random() + 0.5 * (1 - _progress(month_index, TEAMS[team][1])) for team in teams]
        by_weakness = sorted(range(count), key=lambda i: -weakness[i])
        grades = dict(zip(by_weakness, _grade_quota(count, _progress(month_index, 1))))
        for i, (team, audit_date) in enumerate(zip(teams, dates)):
            progress = _progress(month_index, TEAMS[team][1])
            case_type = _pick(rng, CIC_CASE_TYPES if team == "Children in care" else CASE_TYPES)
            overall = grades[i]
            themes = [_theme_grade(rng, overall) if rng.random() > 0.08 else None for _ in THEMES]
            needs_plan = (
                case_type in ("EH", "CIN")
                and overall in ("Inadequate", "Requires improvement")
                and rng.random() < 0.55 - 0.45 * progress
            )
            assessment = _pick(rng, [("Y", 0.55 + 0.3 * progress), ("N", 0.35 - 0.3 * progress), (None, 0.10)])
            audit_id = f"AUD-{len(audits) + 1:04d}"
            audits.append(
                [
                    audit_id,
                    rng.choice(children),
                    audit_date,
                    team,
                    case_type,
                    _pick(rng, AUDITORS),
                    overall,
                    *themes,
                    "Y" if needs_plan else "N",
                    assessment,
                ]
            )
            _append_actions(rng, actions, audit_id, audit_date, team, overall, needs_plan, month_index)
    return audits, actions


def _append_actions(
    rng: random.Random,
    actions: list[list],
    audit_id: str,
    audit_date: dt.date,
    team: str,
    overall: str,
    needs_plan: bool,
    month_index: int,
) -> None:
    """The actions of one audit appended to ``actions``: more for a worse grade, a strategy discussion when a
    plan is needed, completed on time more often as the team improves."""
    n_actions = {
        "Inadequate": rng.randint(2, 4),
        "Requires improvement": rng.randint(1, 2),
        "Good": rng.randint(0, 1),
        "Outstanding": 0,
    }[overall]
    if needs_plan:
        n_actions = max(n_actions, 1)
    types = rng.sample(list(ACTION_TYPES), n_actions)
    if needs_plan and "Strategy discussion" not in types:
        types[0] = "Strategy discussion"
    for action_type in types:
        days_allowed, description = ACTION_TYPES[action_type]
        due = audit_date + dt.timedelta(days=days_allowed)
        on_time = 0.40 + 0.52 * _progress(month_index + days_allowed / 30, TEAMS[team][1])
        # An evenly spread sequence (not random draws), so each month's share tracks the trend closely.
        roll = (len(actions) * GOLDEN_RATIO) % 1
        if roll < on_time:
            completed = due - dt.timedelta(days=rng.randint(0, days_allowed - 1))
        elif roll < on_time + (1 - on_time) * 0.8:
            completed = due + dt.timedelta(days=rng.randint(1, 45))
        else:
            completed = None
        if completed is not None and completed > EXPORTED_ON:
            completed = None
        owner = team if rng.random() < 0.9 else "Multi-agency safeguarding hub"
        actions.append([f"ACT-{len(actions) + 1:05d}", audit_id, action_type, owner, due, completed, description])


def _sheet(wb: Workbook, name: str, header: list[str], rows: list[list]) -> None:
    ws = wb.create_sheet(name)
    ws.append(header)
    for row in rows:
        ws.append(row)
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, dt.date):
                cell.number_format = DATE_FORMAT


def _workbook(sheets: list[tuple[str, list[str], list[list]]], title: str) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for name, header, rows in sheets:
        _sheet(wb, name, header, rows)
    wb.properties.creator = "pipelines.sample_data"
    wb.properties.title = title
    wb.properties.created = FIXED_TIMESTAMP
    wb.properties.modified = FIXED_TIMESTAMP
    return _reproducible_zip(wb)


def write_case_audit_samples(raw_dir: Path) -> list[Path]:
    """Write the sample export (one workbook, Audits and Actions sheets) under ``raw_dir/case_audits``."""
    out_dir = Path(raw_dir) / "case_audits"
    out_dir.mkdir(parents=True, exist_ok=True)
    audits, actions = generate()
    path = out_dir / SAMPLE_NAME
    path.write_bytes(
        _workbook(
            [("Audits", AUDIT_HEADER, audits), ("Actions", ACTION_HEADER, actions)],
            f"Case-file audits April to December 2012, exported {EXPORTED_ON:%d/%m/%Y} (synthetic sample)",
        )
    )
    return [path]


GUIDANCE = [
    ["Case-file audit export: how to fill in this template (see docs/case_audits.md)"],
    ["Sheet", "Column", "Required", "What to write"],
    ["Audits", "audit_id", "yes", "Unique per audit, e.g. AUD-0001."],
    [
        "Audits",
        "child_id",
        "yes",
        "The child's identifier in the case management system, as in the SSDA903 "
        "return (CHILD). Pseudonymised on load; never stored.",
    ],
    ["Audits", "audit_date", "yes", "dd/mm/yyyy or a date cell; not in the future."],
    ["Audits", "team", "yes (column)", "The team holding the case (blank: counted in totals only)."],
    ["Audits", "case_type", "yes", "EH, CIN, CP, CLA or CL."],
    ["Audits", "auditor_type", "no", "e.g. Manager, Independent, IRO, CP chair."],
    ["Audits", "overall_grade", "yes", "Outstanding, Good, Requires improvement (or Adequate), Inadequate."],
    ["Audits", "grade_<theme>", "no", "Any number of theme columns, same scale; blank if not graded."],
    [
        "Audits",
        "cp_plan_needed",
        "yes",
        "Y if the child should be subject to a child protection plan and is not, else N.",
    ],
    ["Audits", "assessment_up_to_date", "no", "Y, N or blank."],
    ["Actions", "action_id", "yes", "Unique per action."],
    ["Actions", "audit_id", "yes", "The audit that raised it (on the Audits sheet or in another export)."],
    [
        "Actions",
        "action_type",
        "no",
        "e.g. Increase visits, Gather information, Multi-agency meeting, Strategy discussion, Re-assessment, Other.",
    ],
    ["Actions", "owner_team", "no", "The team that must complete it."],
    ["Actions", "due_date", "yes", "dd/mm/yyyy or a date cell."],
    ["Actions", "completed_date", "yes (column)", "Blank while the action is open; not before the audit date."],
    ["Actions", "description", "no", "Free text. It is never loaded into the warehouse."],
]


def write_case_audit_template(out_dir: Path = TEMPLATE_DIR) -> list[Path]:
    """The blank export template: a workbook (Audits, Actions, Guidance sheets) and the two CSV headers."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    workbook = out_dir / TEMPLATE_NAME
    workbook.write_bytes(
        _workbook(
            [("Audits", AUDIT_HEADER, []), ("Actions", ACTION_HEADER, []), ("Guidance", GUIDANCE[0], GUIDANCE[1:])],
            "Case-file audit export template",
        )
    )
    paths = [workbook]
    for name, header in ((TEMPLATE_AUDITS_CSV, AUDIT_HEADER), (TEMPLATE_ACTIONS_CSV, ACTION_HEADER)):
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerow(header)
        (out_dir / name).write_text(out.getvalue(), encoding="utf-8", newline="")
        paths.append(out_dir / name)
    return paths


if __name__ == "__main__":
    for written in write_case_audit_template(Path(sys.argv[1]) if len(sys.argv) > 1 else TEMPLATE_DIR):
        print(written)
