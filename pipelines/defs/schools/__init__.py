"""School absence and exclusions: ingest of raw/school_absence/ and raw/school_exclusions/ and their checks.

Both folders take the same files (DfE EES open-data CSVs with or without their .meta.csv, and the pre-EES
LA time series); each folder is its own source with its own long raw table.
"""

from collections.abc import Callable

from expectations.schools import check_query, prepare_frame, school_statistics_suite
from pipelines.defs.reference import REFERENCE_LA_KEY, REFERENCE_REGIONS_KEY
from pipelines.defs.sources import LoadContext, SourceSpec, SuiteCheck, SuiteRun, Table, source_definitions
from pipelines.lib.config import Settings
from pipelines.lib.ingest.load import SourceResult, load_source
from pipelines.lib.reference.school_areas import load_area_reference
from pipelines.lib.sources.school_statistics import (
    SOURCES,
    meta_companions,
    parse_period,
    parse_school_statistics_batch,
    values_table,
)

DESCRIPTIONS = {
    "school_absence": "pupil absence",
    "school_exclusions": "exclusions and suspensions",
}
# Where each source comes in the refresh summary: after the case audits, before SSDA903.
POSITION = 3


def loader(source: str) -> Callable[[LoadContext], SourceResult]:
    """The load function of one of the two folders."""
    table = values_table(source)

    def load_school_statistics(ctx: LoadContext) -> SourceResult:
        settings, con = ctx.settings, ctx.con
        reference = load_area_reference(settings.raw_dir / "reference")
        return load_source(
            con,
            source=source,
            folder=settings.raw_dir / source,
            tables=[table],
            batch_parser=lambda batch_con, paths: parse_school_statistics_batch(batch_con, paths, source, reference),
            run_id=ctx.run_id,
            companions=meta_companions,
            rules_from=settings.raw_dir / "reference",
        )

    return load_school_statistics


def _suite(table_name: str) -> Callable[[Settings], SuiteRun]:
    def run(settings: Settings) -> SuiteRun:
        reference = load_area_reference(settings.raw_dir / "reference")

        def known_in_period(la_code, time_period, time_identifier):
            try:
                return reference.exists_in(la_code, parse_period(time_period, time_identifier or "").period)
            except ValueError:
                return False

        return SuiteRun(
            school_statistics_suite(table_name, reference.known_la_codes, reference.regions),
            prepare=lambda frame: prepare_frame(frame, known_in_period),
            query=check_query(table_name),
        )

    return run


def spec(source: str, position: int) -> SourceSpec:
    table = values_table(source)
    return SourceSpec(
        name=source,
        tables=(
            Table(
                table,
                f"DfE {DESCRIPTIONS[source]} statistics in raw/{source}/ (EES open-data CSVs with their "
                ".meta.csv, and the pre-EES LA time series), one row per indicator cell: period, area, "
                "breakdown, indicator, the published text, the number and its status symbol.",
            ),
        ),
        load=loader(source),
        group=source,
        tags={"csw/landing": source, "csw/kind": "statistics"},
        deps=(REFERENCE_LA_KEY, REFERENCE_REGIONS_KEY),
        checks=(
            SuiteCheck(
                f"gx_{table.name}",
                table.name,
                "Great Expectations: required EES columns present, geographic levels National/Regional/Local "
                "authority, England, region and LA codes known (LAs for their period), percentages within "
                "0-100, counts not negative (fractional counts load as published), status symbols c/x/z/low/u.",
                _suite(table.name),
            ),
        ),
        accounting_table=table.name,
        position=position,
        description=f"Load every file in raw/{source}/ (DfE EES open data and the pre-EES LA time series).",
    )


SPECS = tuple(spec(source, POSITION + i) for i, source in enumerate(SOURCES))

defs = source_definitions(*SPECS)
