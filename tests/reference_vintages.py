"""Older vintages of DfE's LA list (las.csv), generated from the bundled seed in the published layout.

The March 2022 vintage of ``las.csv`` knew nothing of the LAs created since (Cumberland, Westmorland and Furness,
the 2023 unitaries, the new Barnsley and Sheffield codes), still listed as live the authorities that ended later,
and wrote ``x`` as the DfE code of every county abolished in 2009 (Bedfordshire 820 and Cheshire 875 included,
which the current list codes). Generated here, never copied from the published file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

SEED = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds" / "reference" / "ref_la_codes.csv"
LAS_COLUMNS = (
    "new_la_code",
    "la_name",
    "date_of_operation",
    "date_of_termination",
    "parent_geography_code",
    "entity_code",
    "entity_description",
    "status",
    "old_la_code",
)
ABOLISHED_IN_2009 = "2009-03-31"


def _day_first(iso: str) -> str:
    return dt.date.fromisoformat(iso).strftime("%d/%m/%Y") if iso else ""


def las_vintage(as_at: str = "2022-03-31", extra_rows: tuple[tuple[str, ...], ...] = ()) -> bytes:
    """The LA list as it stood on ``as_at`` (ISO), in the layout of las.csv, with ``x`` old codes for the 2009
    counties and the British Forces row coded ``z``; ``extra_rows`` (in LAS_COLUMNS order) appended."""
    with SEED.open(newline="", encoding="utf-8") as fh:
        seed = list(csv.DictReader(fh))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(LAS_COLUMNS)
    for row in seed:
        if row["date_of_operation"] > as_at:
            continue  # not created yet
        ended = row["date_of_termination"] if row["date_of_termination"] and row["date_of_termination"] <= as_at else ""
        old_code = "x" if ended == ABOLISHED_IN_2009 else row["la_code"]
        writer.writerow(
            [
                row["ons_code"],
                row["la_name"],
                _day_first(row["date_of_operation"]),
                _day_first(ended),
                row["region_code"],
                row["entity_code"],
                "",
                "terminated" if ended else "live",
                old_code,
            ]
        )
    writer.writerow(["z", "British Forces Post Office overseas establishments", "", "", "", "", "", "live", "702"])
    for extra in extra_rows:
        writer.writerow(extra)
    return out.getvalue().encode()


def created_after(as_at: str = "2022-03-31") -> dict[str, str]:
    """DfE code -> name of the LAs the vintage does not know (created after ``as_at``)."""
    with SEED.open(newline="", encoding="utf-8") as fh:
        return {r["la_code"]: r["la_name"] for r in csv.DictReader(fh) if r["date_of_operation"] > as_at}


def abolished_in_2009() -> dict[str, str]:
    """DfE code -> name of the counties abolished in 2009 that the bundled list codes."""
    with SEED.open(newline="", encoding="utf-8") as fh:
        return {r["la_code"]: r["la_name"] for r in csv.DictReader(fh) if r["date_of_termination"] == ABOLISHED_IN_2009}
