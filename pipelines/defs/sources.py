"""One declarative spec per source, and the one factory that makes every source's Dagster assets and checks.

A source module under ``pipelines/defs`` says *what* its source is (landing folder, raw tables and their
descriptions, group, tags, upstream assets, checks) as a :class:`SourceSpec` in its ``SPECS``, and keeps *how*
its files are read as one load function. What every ingest step shares (connecting, the tables created, the
pseudonym key of a child-level source, the rejected files logged, one materialisation per raw table with its
metadata, the Great Expectations checks, the accounting check) is written once, here. The refresh summary
lists the sources in the order the specs give (:func:`source_specs`).
"""

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import dagster as dg
import duckdb

from pipelines.defs.accounting import accounting_check
from pipelines.defs.gx_checks import run_suite_check
from pipelines.defs.ingest_metadata import source_metadata
from pipelines.defs.resources import WarehouseResource, child_level_key
from pipelines.lib.config import Settings
from pipelines.lib.ingest.load import RawTable, SourceResult, ensure_raw_table

KINDS = frozenset({"duckdb", "python"})


def raw_key(table: RawTable | str) -> dg.AssetKey:
    """The asset key of a raw table (``raw/<table>``), the key dbt's sources name in ``meta.dagster``."""
    return dg.AssetKey(["raw", table if isinstance(table, str) else table.name])


@dataclass(frozen=True)
class Table:
    """A raw table of a source and what its asset says it holds."""

    raw: RawTable
    description: str


def described(tables: Iterable[RawTable], descriptions: Mapping[str, str]) -> tuple[Table, ...]:
    """The source's raw tables (in its own order) with their descriptions; a table with none is an error, so a
    table added to a source is never left without its asset."""
    return tuple(Table(table, descriptions[table.name]) for table in tables)


@dataclass(frozen=True)
class LoadContext:
    """What a source's load function gets: the open working warehouse, the settings, the run, the pseudonym key
    (child-level sources only, else None) and a logger (the step's, in Dagster)."""

    con: duckdb.DuckDBPyConnection
    settings: Settings
    run_id: str
    pseudonym_key: str | None
    log: Any


@dataclass(frozen=True)
class SuiteRun:
    """The arguments of one Great Expectations check run: the suite, the SQL summary it validates instead of the
    whole raw table (None: the table), and a step preparing the frame (None: as read)."""

    suite: object
    query: str | None = None
    prepare: Callable | None = None


@dataclass(frozen=True)
class SuiteCheck:
    """A blocking Great Expectations check on one raw table. ``run`` builds the suite when the check runs (it
    may read the reference lists of the landing folder, so it takes the settings)."""

    name: str
    table: str
    description: str
    run: Callable[[Settings], SuiteRun]


@dataclass(frozen=True)
class SourceSpec:
    """One source: ``name`` is the source of ``quality.load_log`` and the ``<name>_raw`` step; ``tables`` its
    raw tables (one asset each, written by one step); ``accounting_table`` the table whose asset carries the
    rows-accounted-for check; ``position`` where the source comes in the refresh summary; ``child_level``: its
    files name children (the step gets the pseudonym key, and fails on real files with the development key);
    ``description``: what the step does."""

    name: str
    tables: tuple[Table, ...]
    load: Callable[[LoadContext], SourceResult]
    group: str
    tags: Mapping[str, str]
    accounting_table: str
    position: int
    deps: tuple[dg.AssetKey, ...] = ()
    checks: tuple[SuiteCheck, ...] = ()
    child_level: bool = False
    description: str | None = None


def log_outcomes(log, result: SourceResult) -> None:
    """Each rejected file as a warning (with its reason), each loaded file's counts as information."""
    for f in result.files:
        if f.status == "rejected":
            log.warning(f"{f.file_path} rejected: {f.reason}")
        elif f.status == "loaded":
            log.info(f"{f.file_path}: {f.rows_loaded} rows loaded, {f.rows_rejected} quarantined; {f.reason or ''}")


def _asset_specs(spec: SourceSpec) -> list[dg.AssetSpec]:
    return [
        dg.AssetSpec(
            raw_key(table.raw),
            group_name=spec.group,
            deps=list(spec.deps),
            kinds=set(KINDS),
            tags=dict(spec.tags),
            description=table.description,
        )
        for table in spec.tables
    ]


def ingest_asset(spec: SourceSpec) -> dg.AssetsDefinition:
    """The step loading the source's landing folder: one materialisation per raw table, with its metadata."""

    @dg.multi_asset(name=f"{spec.name}_raw", specs=_asset_specs(spec), can_subset=False, description=spec.description)
    def _ingest(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> Iterator[dg.MaterializeResult]:
        settings = warehouse.settings()
        key = child_level_key(context, settings, spec.name) if spec.child_level else None
        with warehouse.connect() as con:
            for table in spec.tables:
                ensure_raw_table(con, table.raw)
            result = spec.load(LoadContext(con, settings, context.run.run_id, key, context.log))
            log_outcomes(context.log, result)
            for table in spec.tables:
                yield dg.MaterializeResult(
                    asset_key=raw_key(table.raw), metadata=source_metadata(result, table.raw.name, con)
                )

    return _ingest


def suite_check(check: SuiteCheck) -> dg.AssetChecksDefinition:
    """A blocking check running ``check``'s suite on its raw table."""

    @dg.asset_check(asset=raw_key(check.table), blocking=True, name=check.name, description=check.description)
    def _gx(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        run = check.run(warehouse.settings())
        return run_suite_check(
            context, warehouse, table=check.table, suite=run.suite, query=run.query, prepare=run.prepare
        )

    return _gx


def source_definitions(*specs: SourceSpec) -> dg.Definitions:
    """Every spec's ingest asset, its suite checks and its accounting check."""
    return dg.Definitions(
        assets=[ingest_asset(spec) for spec in specs],
        asset_checks=[
            *(suite_check(check) for spec in specs for check in spec.checks),
            *(accounting_check(spec.name, raw_key(spec.accounting_table)) for spec in specs),
        ],
    )


def defs_modules(package: str = "pipelines.defs") -> list[Any]:
    """Every module directly under ``package`` (each source or stage folder, and the shared modules)."""
    root = importlib.import_module(package)
    return [importlib.import_module(f"{package}.{info.name}") for info in pkgutil.iter_modules(root.__path__)]


def source_specs(package: str = "pipelines.defs") -> list[SourceSpec]:
    """The specs the modules under ``package`` declare in their ``SPECS``, in their summary position."""
    specs = {spec.name: spec for module in defs_modules(package) for spec in getattr(module, "SPECS", ())}
    return sorted(specs.values(), key=lambda spec: (spec.position, spec.name))
