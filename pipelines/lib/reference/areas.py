"""Local authority codes: resolve DfE 3-digit and ONS codes to the DfE code."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.lib.ingest.load import discover_files
from pipelines.lib.ingest.parsing import classify_area_code
from pipelines.lib.reference.lists import parse_reference_file


@dataclass
class LaLookup:
    """Known LAs, from the reference list (bundled seed or a council's override)."""

    ons_to_dfe: dict[str, str] = field(default_factory=dict)
    dfe_codes: set[str] = field(default_factory=set)

    @classmethod
    def from_rows(cls, rows: Iterable[dict]) -> LaLookup:
        """Build from reference rows with ``ons_code`` and ``la_code``."""
        lookup = cls()
        for row in rows:
            la_code = (row.get("la_code") or "").strip()
            if not la_code:
                continue
            lookup.dfe_codes.add(la_code)
            ons = (row.get("ons_code") or "").strip().upper()
            if ons:
                lookup.ons_to_dfe[ons] = la_code
        return lookup

    def resolve(self, text: str | None) -> str:
        """The DfE code for a DfE or ONS LA code; ValueError naming the code if it is unknown."""
        kind, code = classify_area_code(text)
        if kind == "dfe":
            if code not in self.dfe_codes:
                raise ValueError(f"LA code '{code}' is not in the reference LA list")
            return code
        if code not in self.ons_to_dfe:
            raise ValueError(f"ONS code '{code}' is not in the reference LA list")
        return self.ons_to_dfe[code]


BUNDLED_LA_CODES = Path(__file__).resolve().parents[3] / "dbt_project" / "seeds" / "reference" / "ref_la_codes.csv"


def updated_reference(bundled: Iterable[dict], override: Iterable[dict], key: str) -> list[dict]:
    """The bundled list updated and extended by a council's: its rows replace the bundled rows of the same
    ``key`` (an ONS code, a region code) and add the others; a bundled row it does not list stays (a former LA
    an older list leaves out, or a row of it that was quarantined). The rule of the dbt staging models
    ``stg_reference__*``, so ingest, checks and marts agree."""
    rows = {(row.get(key) or "").strip().upper(): row for row in bundled}
    rows.update({(row.get(key) or "").strip().upper(): row for row in override})
    return list(rows.values())


def dropped_in_rows(reference_dir: Path | None, table_names: Iterable[str]) -> dict[str, list[dict]]:
    """The rows of the reference lists a council dropped into ``reference_dir``, per raw table, the newest list
    last (the list whose latest date of operation or termination is latest; then by file path), so that
    :func:`updated_reference` lets the newest win, as the dbt staging models do."""
    wanted = set(table_names)
    found: list[tuple[str, str, str, list[dict]]] = []
    for path in discover_files(reference_dir) if reference_dir is not None else []:
        try:
            tables = parse_reference_file(path)
        except Exception:
            continue
        for table in (t for t in tables if t.table_name in wanted):
            dates = [
                d for row in table.rows for d in (row.get("date_of_operation"), row.get("date_of_termination")) if d
            ]
            found.append((max(dates, default=""), str(path), table.table_name, table.rows))
    rows: dict[str, list[dict]] = {name: [] for name in wanted}
    for _vintage, _path, name, table_rows in sorted(found, key=lambda f: f[:2]):
        rows[name] += table_rows
    return rows


def load_la_lookup(reference_dir: Path, bundled: Path = BUNDLED_LA_CODES) -> LaLookup:
    """Known LAs: the bundled seed, updated and extended by the LA lists a council dropped into ``reference_dir``."""
    override = dropped_in_rows(reference_dir, ["reference_la_codes"])["reference_la_codes"]
    with bundled.open(newline="", encoding="utf-8") as fh:
        return LaLookup.from_rows(updated_reference(csv.DictReader(fh), override, "ons_code"))
