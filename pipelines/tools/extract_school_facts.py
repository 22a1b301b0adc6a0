"""Extract published school statistics facts for the sample data into ``pipelines/sample_data/facts``.

Run by hand when the facts should change::

    .venv/bin/python -m pipelines.tools.extract_school_facts [FIXTURES_DIR]

The published figures of England, every region and every LA are kept (so that the sample's benchmarks
rank every LA): exclusions 2010/11-2016/17 from DfE's exclusions LA time series, and absence
2012/13-2016/17 (full year, by school type) from DfE's absence-by-term file. ``pipelines.sample_data.schools``
rebuilds the sample files in DfE's layouts from them.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from pipelines.sample_data.schools import (
    ABSENCE_FACT_COLUMNS,
    ABSENCE_FACTS,
    EXCLUSION_FACT_COLUMNS,
    EXCLUSION_FACTS,
)

DEFAULT_SOURCE = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "public"
EXCLUSION_YEARS = {str(y * 100 + (y + 1) % 100) for y in range(2010, 2017)}
ABSENCE_YEARS = {str(y * 100 + (y + 1) % 100) for y in range(2012, 2017)}


def _read(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def extract_exclusions(source: Path) -> list[dict]:
    rows = [r for r in _read(source / "ees_exclusions" / "clean_la_data.csv") if r["year"] in EXCLUSION_YEARS]
    return [{c: r[c] for c in EXCLUSION_FACT_COLUMNS} for r in rows]


def extract_absence(source: Path) -> list[dict]:
    out = []
    for r in _read(source / "ees_absence" / "absence_by_term.csv"):
        name = {"National": "England", "Regional": r["region_name"]}.get(r["geographic_level"], r["la_name"])
        if r["time_period"] in ABSENCE_YEARS and r["term"] == "Total":
            out.append(
                {
                    "year": r["time_period"],
                    "area": name,
                    "old_la_code": r["old_la_code"],
                    **{c: r[c] for c in ABSENCE_FACT_COLUMNS[3:]},
                }
            )
    return out


def write(path: Path, columns: tuple[str, ...], rows: list[dict]) -> None:
    rows = sorted(rows, key=lambda r: tuple(r[c] for c in columns[:4]))
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else DEFAULT_SOURCE
    write(EXCLUSION_FACTS, EXCLUSION_FACT_COLUMNS, extract_exclusions(source))
    write(ABSENCE_FACTS, ABSENCE_FACT_COLUMNS, extract_absence(source))
    print(EXCLUSION_FACTS)
    print(ABSENCE_FACTS)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
