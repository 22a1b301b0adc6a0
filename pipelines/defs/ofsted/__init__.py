"""Ofsted inspection outcomes: ingest of raw/ofsted/ and its data-quality checks."""

import pandas as pd

from expectations.ofsted import history_suite, judgement_records_suite, workbook_suite
from pipelines.defs.reference import REFERENCE_LA_KEY
from pipelines.defs.sources import LoadContext, SourceSpec, SuiteCheck, SuiteRun, described, source_definitions
from pipelines.lib.config import Settings
from pipelines.lib.ingest.load import SourceResult, load_source
from pipelines.lib.reference.areas import load_la_lookup
from pipelines.lib.reference.school_areas import load_area_reference
from pipelines.lib.sources.ofsted import (
    HISTORY_TABLE,
    RECORD_TABLE,
    TABLES,
    WORKBOOK_TABLE,
    parse_ofsted_file,
)

DESCRIPTIONS = {
    WORKBOOK_TABLE.name: "Rows of Ofsted's 'Local authority inspection outcomes' workbooks (.ods/.xlsx) in "
    "raw/ofsted/, one per sheet row, as text.",
    HISTORY_TABLE.name: "Ofsted's wide inspection-history sheets (2009- SLAC, CP, TLAC, SIF, ILACS side by side on "
    "one row per LA) unpivoted at ingest: one row per graded judgement, as text.",
    RECORD_TABLE.name: "Ofsted judgement records (CSV/XLSX, one row per graded judgement) in raw/ofsted/.",
}


def load_ofsted(ctx: LoadContext) -> SourceResult:
    """Load every file in raw/ofsted/: workbooks of every vintage and judgement records, recognised by headers."""
    settings, con = ctx.settings, ctx.con
    areas = load_area_reference(settings.raw_dir / "reference")
    return load_source(
        con,
        source="ofsted",
        folder=settings.raw_dir / "ofsted",
        tables=TABLES,
        parser=lambda path: parse_ofsted_file(path, areas),
        run_id=ctx.run_id,
        rules_from=settings.raw_dir / "reference",
    )


def _known_codes(settings: Settings) -> set[str]:
    return load_la_lookup(settings.raw_dir / "reference").dfe_codes


def _with_keys(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["service_key"] = frame["service_area"].str.strip().str.lower()
    frame["judgement_key"] = frame["judgement_area"].str.strip().str.lower()
    return frame


CHECKS = (
    SuiteCheck(
        "gx_ofsted_workbook",
        WORKBOOK_TABLE.name,
        "Great Expectations: LA code known, grades in the ILACS scale, published after "
        "the inspection, one overall judgement per inspection.",
        lambda settings: SuiteRun(workbook_suite(_known_codes(settings))),
    ),
    SuiteCheck(
        "gx_ofsted_history",
        HISTORY_TABLE.name,
        "Great Expectations: LA code known, framework known, grades on Ofsted's four-point "
        "scale, every judgement dated.",
        lambda settings: SuiteRun(history_suite(_known_codes(settings))),
    ),
    SuiteCheck(
        "gx_ofsted_judgement_records",
        RECORD_TABLE.name,
        "Great Expectations: LA code known, framework known, grade in its framework's "
        "scale, dates in order, one overall judgement per inspection and service area.",
        lambda settings: SuiteRun(judgement_records_suite(_known_codes(settings)), prepare=_with_keys),
    ),
)

SPECS = (
    SourceSpec(
        name="ofsted",
        tables=described(TABLES, DESCRIPTIONS),
        load=load_ofsted,
        group="ofsted",
        tags={"csw/landing": "ofsted", "csw/kind": "statistics"},
        deps=(REFERENCE_LA_KEY,),
        checks=CHECKS,
        accounting_table=WORKBOOK_TABLE.name,
        position=1,
        description=load_ofsted.__doc__,
    ),
)

defs = source_definitions(*SPECS)
