"""Derive the bundled reference seeds (dbt) from the public reference lists.

Usage::

    .venv/bin/python -m pipelines.tools.extract_reference_seeds SRC_DIR [--out DIR]

SRC_DIR holds the four published lists (LA codes, regions, 2021 and 2025 statistical
neighbours), recognised by their headers, not their names. The seeds hold the facts
taken from them, not copies of the files; they are written to
``dbt_project/seeds/reference/`` unless ``--out`` says otherwise. Rows the parsers
quarantine are listed on stderr.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections.abc import Callable
from pathlib import Path

from pipelines.lib.ingest.readers import Sheet, UnreadableFile, read_tables
from pipelines.lib.ingest.rules import ParsedTable
from pipelines.lib.reference.lists import (
    parse_las,
    parse_regions,
    parse_sn_2021,
    parse_sn_2025,
    recognise_reference_sheet,
)

DEFAULT_OUT_DIR = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "reference"

PARSERS: dict[str, Callable[[Sheet], ParsedTable]] = {
    "las": parse_las,
    "regions": parse_regions,
    "sn_2021": parse_sn_2021,
    "sn_2025": parse_sn_2025,
}

SEED_COLUMNS: dict[str, tuple[str, ...]] = {
    "ref_la_codes": (
        "ons_code",
        "la_code",
        "la_name",
        "region_code",
        "date_of_operation",
        "date_of_termination",
        "status",
        "entity_code",
    ),
    "ref_regions": ("region_code", "region_name"),
    "ref_statistical_neighbours": ("la_code", "neighbour_la_code", "neighbour_rank", "closeness", "sn_model"),
    "ref_la_names": ("la_code", "name_variant"),
}

# regions.csv lists regions only. England is added because indicator values at national level carry
# area_code E92000001 and need a name like any other area.
ENGLAND = {"region_code": "E92000001", "region_name": "England"}


class ExtractionError(Exception):
    """The source folder does not hold exactly one of each reference list."""


def read_reference_dir(src_dir: Path) -> dict[str, ParsedTable]:
    """Parse every reference list found in ``src_dir`` (recursively), keyed by kind ('las', 'regions', ...)."""
    tables: dict[str, ParsedTable] = {}
    for path in sorted(p for p in src_dir.rglob("*") if p.is_file()):
        for sheet in _sheets(path):
            kind = recognise_reference_sheet(sheet)
            if kind is None:
                continue
            if kind in tables:
                raise ExtractionError(f"more than one {kind} list in {src_dir} (again in {path.name})")
            tables[kind] = PARSERS[kind](sheet)
    missing = sorted(set(PARSERS) - set(tables))
    if missing:
        raise ExtractionError(f"no {', '.join(missing)} list found in {src_dir}")
    return tables


def _sheets(path: Path) -> list[Sheet]:
    try:
        return read_tables(path)[1]
    except UnreadableFile:
        return []


def build_seeds(tables: dict[str, ParsedTable]) -> dict[str, list[dict]]:
    """The rows of each seed, in a stable order, from the parsed reference lists."""
    la_codes = sorted(tables["las"].rows, key=lambda row: row["ons_code"])
    regions = sorted([*tables["regions"].rows, ENGLAND], key=lambda row: row["region_code"])
    neighbour_rows = [row for kind in ("sn_2021", "sn_2025") for row in tables[kind].rows]
    neighbours = sorted(neighbour_rows, key=lambda row: (row["sn_model"], row["la_code"], int(row["neighbour_rank"])))
    return {
        "ref_la_codes": la_codes,
        "ref_regions": regions,
        "ref_statistical_neighbours": neighbours,
        "ref_la_names": name_variants(la_codes, neighbour_rows),
    }


def name_variants(la_codes: list[dict], neighbour_rows: list[dict]) -> list[dict]:
    """Names the neighbour files give an LA that are not written the same way in the LA code list."""
    listed: dict[str, set[str]] = {}
    for row in la_codes:
        listed.setdefault(row["la_code"], set()).add(row["la_name"])
    variants = {
        (row["la_code"], row["la_name"])
        for row in neighbour_rows
        if row["la_name"] and row["la_code"] in listed and row["la_name"] not in listed[row["la_code"]]
    }
    return [{"la_code": code, "name_variant": name} for code, name in sorted(variants)]


def render_csv(rows: list[dict], columns: tuple[str, ...]) -> str:
    """CSV text (LF line ends, blank for None) of ``rows`` restricted to ``columns``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([["" if row.get(column) is None else row[column] for column in columns] for row in rows])
    return buffer.getvalue()


def render_seeds(seeds: dict[str, list[dict]]) -> dict[str, str]:
    """File name -> CSV text for every seed."""
    return {f"{name}.csv": render_csv(rows, SEED_COLUMNS[name]) for name, rows in seeds.items()}


def report_rejections(tables: dict[str, ParsedTable]) -> list[str]:
    """One line per quarantined cell, naming the list, the row and the reason."""
    return [
        f"{kind} row {rejection.row_number} {rejection.column}={rejection.value!r}: {rejection.reason}"
        for kind, table in tables.items()
        for rejection in table.rejections
    ]


def main(argv: list[str] | None = None) -> int:
    """Read SRC_DIR, write the seeds, list quarantined rows on stderr. Returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src_dir", type=Path, help="folder holding the four public reference lists")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT_DIR, help="where to write the seed CSVs")
    args = parser.parse_args(argv)
    try:
        tables = read_reference_dir(args.src_dir)
    except ExtractionError as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    for file_name, text in render_seeds(build_seeds(tables)).items():
        (args.out / file_name).write_text(text, encoding="utf-8", newline="")
        print(f"wrote {args.out / file_name} ({text.count(chr(10)) - 1} rows)")
    for line in report_rejections(tables):
        print(f"quarantined: {line}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
