"""Extract the published Ofsted ILACS facts from the official workbook into ``pipelines/sample_data/facts``.

Run by hand when a new workbook is published::

    .venv/bin/python -m pipelines.tools.extract_ofsted_facts [PATH_TO_ODS_OR_XLSX]

Only facts are kept (codes, names, regions, dates, inspection types, grades, visit themes), in two
small CSVs from which ``pipelines.sample_data.ofsted`` rebuilds the workbook layout.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from pathlib import Path

from python_calamine import CalamineWorkbook

from pipelines.sample_data.ofsted import (
    HEADERS,
    HISTORY_SHEET,
    IN_YEAR_SHEET,
    JUDGEMENTS,
    JUDGEMENTS_FACTS,
    VISITS_FACTS,
)

DEFAULT_SOURCE = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "fixtures"
    / "public"
    / "ofsted"
    / "LA_Inspection_Outcomes_as_at_31_March_2025.ods"
)
GRADES = {"Outstanding", "Good", "Requires improvement to be good", "Inadequate"}
JUDGEMENT_COLUMNS = [
    "ons_code",
    "la_name",
    "la_status",
    "ofsted_region",
    "inspection_date",
    "publication_date",
    "inspection_type",
    "judgement",
    "grade",
]
VISIT_COLUMNS = ["ons_code", "visit_date", "publication_date", "visit_type", "visit_theme"]


def read_table(workbook: CalamineWorkbook, sheet: str) -> list[dict]:
    """The rows below the header in row 3 of ``sheet``, keyed by header, after checking the header."""
    rows = workbook.get_sheet_by_name(sheet).to_python()
    header = [str(h).strip() for h in rows[2]]
    if header != HEADERS[sheet]:
        raise ValueError(f"{sheet}: unexpected header {header}")
    return [dict(zip(header, row)) for row in rows[3:] if any(v != "" for v in row)]


def iso(value: object) -> str:
    if not isinstance(value, (dt.date, dt.datetime)):
        raise ValueError(f"not a date cell: {value!r}")
    return (value.date() if isinstance(value, dt.datetime) else value).isoformat()


def judgement_facts(history: list[dict]) -> list[list[str]]:
    facts = []
    for row in history:
        for key, column in JUDGEMENTS.items():
            grade = row[column].strip()
            if not grade:
                continue
            if grade not in GRADES:
                raise ValueError(f"unexpected grade {grade!r} in {row}")
            facts.append(
                [
                    row["Local authority area code"],
                    row["Local authority name"],
                    row["Local authority status"],
                    row["Ofsted region"],
                    iso(row["Inspection date"]),
                    iso(row["Publication date"]),
                    row["Inspection type"],
                    key,
                    grade,
                ]
            )
    return facts


def visit_facts(in_year: list[dict], known_las: set[str]) -> list[list[str]]:
    facts = []
    for row in in_year:
        theme = row["Visit Theme"].strip()
        if not theme:
            continue
        if row["Local authority area code"] not in known_las:
            raise ValueError(f"visit to an LA absent from the history: {row}")
        facts.append(
            [
                row["Local authority area code"],
                iso(row["Inspection/Visit date"]),
                iso(row["Publication date"]),
                row["Inspection/Visit type"],
                theme,
            ]
        )
    return facts


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else DEFAULT_SOURCE
    workbook = CalamineWorkbook.from_path(str(source))
    history = read_table(workbook, HISTORY_SHEET)
    judgements = judgement_facts(history)
    visits = visit_facts(read_table(workbook, IN_YEAR_SHEET), {r["Local authority area code"] for r in history})
    write_csv(JUDGEMENTS_FACTS, JUDGEMENT_COLUMNS, judgements)
    write_csv(VISITS_FACTS, VISIT_COLUMNS, visits)
    print(f"{JUDGEMENTS_FACTS}: {len(judgements)} rows from {len(history)} inspections")
    print(f"{VISITS_FACTS}: {len(visits)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
