"""Resources shared by every asset: the warehouse settings and a serialised DuckDB connection."""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb

from pipelines.lib.config import WORK_MEMORY_LIMIT, Settings
from pipelines.lib.ingest.load import ensure_quality_schema
from pipelines.lib.ingest.pseudonymise import PseudonymKeyMissing, pseudonym_key
from pipelines.lib.locking import refresh_lock


class WarehouseResource(dg.ConfigurableResource):
    """The landing folder, the data folder and the working DuckDB file.

    Settings come from the environment when a run starts (CSW_RAW_DIR, CSW_DATA_DIR,
    CSW_HOME_LA, CSW_PSEUDONYM_KEY); nothing is read at import. Every step opens the
    working database, does its work and closes it, so that dbt (another process)
    can open it next: runs execute one step at a time.
    """

    lock_wait_seconds: float = 1800

    def settings(self) -> Settings:
        return Settings.from_env()

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator["WarehouseResource"]:
        """Hold the data folder's refresh lock for the whole run: one refresh at a time, however started."""
        with refresh_lock(self.settings().data_dir, self.lock_wait_seconds):
            yield self

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection to the working warehouse, closed on exit."""
        settings = self.settings()
        settings.work_db.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(settings.work_db), config={"memory_limit": WORK_MEMORY_LIMIT})
        try:
            ensure_quality_schema(con)
            yield con
        finally:
            con.close()


def child_level_key(context: dg.AssetExecutionContext, settings: Settings, source: str) -> str:
    """The pseudonymisation key for a child-level source; fails the step (naming the file) when real data
    would be pseudonymised with the development key."""
    try:
        key, warning = pseudonym_key(settings.pseudonym_key, settings.raw_dir, source)
    except PseudonymKeyMissing as exc:
        raise dg.Failure(description=str(exc)) from None
    if warning:
        context.log.warning(warning)
    return key
