"""SSDA903 returns: ingest of raw/ssda903/ (pseudonymised) and the data-quality checks on its raw tables."""

import dagster as dg

from expectations.ssda903 import (
    ad1_check_query,
    ad1_suite,
    episodes_check_query,
    episodes_suite,
    header_check_query,
    header_suite,
    placed_adoption_suite,
)
from pipelines.defs.accounting import accounting_check
from pipelines.defs.gx_checks import run_suite_check
from pipelines.defs.ingest_metadata import source_metadata
from pipelines.defs.resources import WarehouseResource, child_level_key
from pipelines.lib.areas import load_la_lookup
from pipelines.lib.ingest import load_source
from pipelines.lib.ssda903 import (
    AD1_TABLE,
    EPISODES_TABLE,
    HEADER_TABLE,
    PLACED_ADOPTION_TABLE,
    SOURCE,
    TABLES,
    apply_cross_table_rules,
    mark_for_reload,
    ssda903_batch,
)

KEYS = {table.name: dg.AssetKey(["raw", table.name]) for table in TABLES}
REFERENCE_LA_KEY = dg.AssetKey(["raw", "reference_la_codes"])
DESCRIPTIONS = {
    HEADER_TABLE.name: "SSDA903 Header rows (one per child per return): child_key, sex, month of birth, ethnicity.",
    EPISODES_TABLE.name: "SSDA903 Episodes of care of every return loaded (each year repeats the episodes still "
                         "open), pseudonymised, with the return's LA and year.",
    AD1_TABLE.name: "SSDA903 AD1 rows (children adopted): decision, match, adopted by foster carers.",
    PLACED_ADOPTION_TABLE.name: "SSDA903 PlacedAdoption rows: decisions that a child should be placed for adoption.",
}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(key, group_name="ssda903", deps=[REFERENCE_LA_KEY], kinds={"duckdb", "python"},
                     tags={"csw/landing": "ssda903", "csw/kind": "returns"},
                     description=DESCRIPTIONS[name] + " From raw/ssda903/<YYYY>/ (home LA) and "
                                 "raw/ssda903/<la_code>/<YYYY>/.")
        for name, key in KEYS.items()
    ],
    can_subset=False,
)
def ssda903_raw(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Load every SSDA903 return (CSV tables and XML), pseudonymising child identifiers at ingest."""
    settings = warehouse.settings()
    key = child_level_key(context, settings, "ssda903")
    known_las = load_la_lookup(settings.raw_dir / "reference").dfe_codes
    folder = settings.raw_dir / "ssda903"
    with warehouse.connect() as con:
        if mark_for_reload(con, folder, settings.home_la, key):
            context.log.info("SSDA903 files changed: the returns they belong to are read again (rules join the "
                             "files of a return)")
        result = load_source(
            con, source=SOURCE, folder=folder, tables=TABLES, run_id=context.run_id, one_transaction=True,
            batch_parser=lambda batch_con, paths: ssda903_batch(batch_con, paths, root=folder, home_la=settings.home_la,
                                                                key=key, known_las=known_las),
        )
        moved = apply_cross_table_rules(con, context.run_id)
        if moved:
            context.log.warning(f"{moved} AD1 row(s) quarantined: DATE_MATCH after the adoption placement")
        for f in result.files:
            if f.status == "rejected":
                context.log.warning(f"{f.file_path} rejected: {f.reason}")
        for name, asset_key in KEYS.items():
            yield dg.MaterializeResult(asset_key=asset_key, metadata=source_metadata(result, name, con))


def _check(asset_name: str, suite_fn, description: str, query=None):
    @dg.asset_check(asset=KEYS[asset_name], blocking=True, name=f"gx_{asset_name}", description=description)
    def _gx(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
        return run_suite_check(context, warehouse, table=asset_name, suite=suite_fn(),
                               query=query() if query else None)

    return _gx


gx_episodes = _check(EPISODES_TABLE.name, episodes_suite,
                     "Great Expectations: child identifiers pseudonymised, DEC not before DECOM, codes in the DfE "
                     "lists, REC E11/E12 only with an adoption placement, one row per child and DECOM in a file "
                     "(validated on a summary of the table made in SQL).", query=episodes_check_query)
gx_header = _check(HEADER_TABLE.name, header_suite,
                   "Great Expectations: child identifiers pseudonymised, dates of birth cut to the month, one row "
                   "per child in a file (validated on a summary per file made in SQL).", query=header_check_query)
gx_ad1 = _check(AD1_TABLE.name, ad1_suite,
                "Great Expectations: DATE_MATCH not after the adoption placement (same return's Episodes), "
                "FOSTER_CARE 0 or 1, one row per child in a file.", query=ad1_check_query)
gx_placed_adoption = _check(PLACED_ADOPTION_TABLE.name, placed_adoption_suite,
                            "Great Expectations: DATE_PLACED present, not after DATE_PLACED_CEASED.")

defs = dg.Definitions(
    assets=[ssda903_raw],
    asset_checks=[gx_episodes, gx_header, gx_ad1, gx_placed_adoption,
                  accounting_check("ssda903", KEYS["ssda903_episodes"])],
)
