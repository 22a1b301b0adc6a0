"""SSDA903 returns: ingest of raw/ssda903/ (pseudonymised) and the data-quality checks on its raw tables."""

from expectations.ssda903 import (
    ad1_check_query,
    ad1_suite,
    episodes_check_query,
    episodes_suite,
    header_check_query,
    header_suite,
    placed_adoption_suite,
)
from pipelines.defs.reference import REFERENCE_LA_KEY
from pipelines.defs.sources import LoadContext, SourceSpec, SuiteCheck, SuiteRun, described, source_definitions
from pipelines.lib.ingest.load import SourceResult, load_source
from pipelines.lib.reference.areas import load_la_lookup
from pipelines.lib.sources.ssda903 import (
    AD1_TABLE,
    EPISODES_TABLE,
    HEADER_TABLE,
    PLACED_ADOPTION_TABLE,
    SOURCE,
    TABLES,
    apply_cross_table_rules,
    mark_for_reload,
    ssda903_batch,
    ssda903_batching,
)

DESCRIPTIONS = {
    HEADER_TABLE.name: "SSDA903 Header rows (one per child per return): child_key, sex, month of birth, ethnicity.",
    EPISODES_TABLE.name: "SSDA903 Episodes of care of every return loaded (each year repeats the episodes still "
    "open), pseudonymised, with the return's LA and year.",
    AD1_TABLE.name: "SSDA903 AD1 rows (children adopted): decision, match, adopted by foster carers.",
    PLACED_ADOPTION_TABLE.name: "SSDA903 PlacedAdoption rows: decisions that a child should be placed for adoption.",
}
FOLDERS = "From raw/ssda903/<YYYY>/ (home LA) and raw/ssda903/<la_code>/<YYYY>/."


def load_ssda903(ctx: LoadContext) -> SourceResult:
    """Load every SSDA903 return (CSV tables and XML), pseudonymising child identifiers at ingest."""
    settings, con, key = ctx.settings, ctx.con, ctx.pseudonym_key
    known_las = load_la_lookup(settings.raw_dir / "reference").dfe_codes
    folder = settings.raw_dir / "ssda903"
    if mark_for_reload(con, folder, settings.home_la, key):
        ctx.log.info(
            "SSDA903 files changed: the returns they belong to are read again (rules join the files of a return)"
        )
    result = load_source(
        con,
        source=SOURCE,
        folder=folder,
        tables=TABLES,
        run_id=ctx.run_id,
        one_transaction=True,
        batch_parser=lambda batch_con, paths: ssda903_batch(
            batch_con, paths, root=folder, home_la=settings.home_la, key=key, known_las=known_las
        ),
        batching=ssda903_batching(folder, progress=ctx.log.info),
    )
    moved = apply_cross_table_rules(con, ctx.run_id)
    if moved:
        ctx.log.warning(f"{moved} AD1 row(s) quarantined: DATE_MATCH after the adoption placement")
    return result


CHECKS = (
    SuiteCheck(
        "gx_ssda903_episodes",
        EPISODES_TABLE.name,
        "Great Expectations: child identifiers pseudonymised, DEC not before DECOM, codes in the DfE "
        "lists, REC E11/E12 only with an adoption placement, one row per child and DECOM in a file "
        "(validated on a summary of the table made in SQL).",
        lambda settings: SuiteRun(episodes_suite(), query=episodes_check_query()),
    ),
    SuiteCheck(
        "gx_ssda903_header",
        HEADER_TABLE.name,
        "Great Expectations: child identifiers pseudonymised, dates of birth cut to the month, one row "
        "per child in a file (validated on a summary per file made in SQL).",
        lambda settings: SuiteRun(header_suite(), query=header_check_query()),
    ),
    SuiteCheck(
        "gx_ssda903_ad1",
        AD1_TABLE.name,
        "Great Expectations: DATE_MATCH not after the adoption placement (same return's Episodes), "
        "FOSTER_CARE 0 or 1, one row per child in a file.",
        lambda settings: SuiteRun(ad1_suite(), query=ad1_check_query()),
    ),
    SuiteCheck(
        "gx_ssda903_placed_adoption",
        PLACED_ADOPTION_TABLE.name,
        "Great Expectations: DATE_PLACED present, not after DATE_PLACED_CEASED.",
        lambda settings: SuiteRun(placed_adoption_suite()),
    ),
)

SPECS = (
    SourceSpec(
        name=SOURCE,
        tables=described(TABLES, {name: f"{text} {FOLDERS}" for name, text in DESCRIPTIONS.items()}),
        load=load_ssda903,
        group="ssda903",
        tags={"csw/landing": "ssda903", "csw/kind": "returns"},
        deps=(REFERENCE_LA_KEY,),
        checks=CHECKS,
        accounting_table=EPISODES_TABLE.name,
        position=5,
        child_level=True,
        description=load_ssda903.__doc__,
    ),
)

defs = source_definitions(*SPECS)
