"""Reference lists a council drops into raw/reference/ to override the bundled seeds."""

from pipelines.defs.sources import LoadContext, SourceSpec, Table, raw_key, source_definitions
from pipelines.lib.ingest.load import SourceResult, load_source
from pipelines.lib.reference.lists import REFERENCE_TABLES, parse_reference_file

# The upstream of every source whose rows are resolved against the LA list (and, for some, the regions).
REFERENCE_LA_KEY = raw_key("reference_la_codes")
REFERENCE_REGIONS_KEY = raw_key("reference_regions")


def load_reference(ctx: LoadContext) -> SourceResult:
    """Load raw/reference/: LA code lists, regions and statistical neighbour groupings as published."""
    settings, con = ctx.settings, ctx.con
    return load_source(
        con,
        source="reference",
        folder=settings.raw_dir / "reference",
        tables=REFERENCE_TABLES,
        parser=parse_reference_file,
        run_id=ctx.run_id,
    )


SPECS = (
    SourceSpec(
        name="reference",
        tables=tuple(
            Table(
                table,
                f"Override of the bundled {table.name.removeprefix('reference_').replace('_', ' ')} "
                "from files in raw/reference/ (empty when none: the bundled seed is used).",
            )
            for table in REFERENCE_TABLES
        ),
        load=load_reference,
        group="reference",
        tags={"csw/landing": "reference"},
        accounting_table=REFERENCE_LA_KEY.path[-1],
        position=0,
        description=load_reference.__doc__,
    ),
)

defs = source_definitions(*SPECS)
