"""Published adoption scorecards (benchmarks): ingest of raw/adoption_scorecards/ and its checks."""

from expectations.ssda903 import published_scorecards_suite
from pipelines.defs.reference import REFERENCE_LA_KEY
from pipelines.defs.sources import LoadContext, SourceSpec, SuiteCheck, SuiteRun, Table, source_definitions
from pipelines.lib.ingest.load import SourceResult, load_source
from pipelines.lib.reference.areas import load_la_lookup
from pipelines.lib.sources.adoption_scorecards import SOURCE, TABLE, TABLES, parse_scorecard_file


def load_adoption_scorecards(ctx: LoadContext) -> SourceResult:
    """Load every published scorecard file in raw/adoption_scorecards/, areas resolved by the LA list."""
    settings, con = ctx.settings, ctx.con
    lookup = load_la_lookup(settings.raw_dir / "reference")
    return load_source(
        con,
        source=SOURCE,
        folder=settings.raw_dir / "adoption_scorecards",
        tables=TABLES,
        parser=lambda path: parse_scorecard_file(path, lookup),
        run_id=ctx.run_id,
        rules_from=settings.raw_dir / "reference",
    )


SPECS = (
    SourceSpec(
        name=SOURCE,
        tables=(
            Table(
                TABLE,
                "Published adoption scorecard figures (England, regions, other LAs) from "
                "raw/adoption_scorecards/, EES-shaped CSV, one row per area, period and indicator.",
            ),
        ),
        load=load_adoption_scorecards,
        group="adoption_scorecards",
        tags={"csw/landing": "adoption_scorecards", "csw/kind": "statistics"},
        deps=(REFERENCE_LA_KEY,),
        checks=(
            SuiteCheck(
                "gx_adoption_scorecards_published",
                TABLE.name,
                "Great Expectations: indicator A1/A2/A3/A10, period end year, numeric values, "
                "one value per area, period and indicator in a file.",
                lambda settings: SuiteRun(published_scorecards_suite()),
            ),
        ),
        accounting_table=TABLE.name,
        position=6,
        description=load_adoption_scorecards.__doc__,
    ),
)

defs = source_definitions(*SPECS)
