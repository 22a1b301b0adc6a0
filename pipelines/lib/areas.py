"""Local authority codes: resolve DfE 3-digit and ONS codes to the DfE code."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.lib.ingest import discover_files
from pipelines.lib.parsing import classify_area_code


@dataclass
class LaLookup:
    """Known LAs, from the reference list (bundled seed or a council's override)."""

    ons_to_dfe: dict[str, str] = field(default_factory=dict)
    dfe_codes: set[str] = field(default_factory=set)

    @classmethod
    def from_rows(cls, rows: Iterable[dict]) -> "LaLookup":
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


BUNDLED_LA_CODES = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "reference" / "ref_la_codes.csv"


def load_la_lookup(reference_dir: Path, bundled: Path = BUNDLED_LA_CODES) -> LaLookup:
    """Known LAs: the LA list a council dropped into ``reference_dir`` if any, else the bundled seed.

    The same choice as the dbt model ``stg_reference__la_codes``, so ingest and marts agree.
    """
    from pipelines.lib.reference import parse_reference_file

    override: list[dict] = []
    for path in discover_files(reference_dir):
        try:
            tables = parse_reference_file(path)
        except Exception:  # noqa: BLE001 - the reference ingest logs why; here it just is not a list
            continue
        override += [row for t in tables if t.table_name == "reference_la_codes" for row in t.rows]
    if override:
        return LaLookup.from_rows(override)
    with bundled.open(newline="", encoding="utf-8") as fh:
        return LaLookup.from_rows(csv.DictReader(fh))
