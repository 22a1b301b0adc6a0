"""``python -m pipelines.cli run``: the refresh that `make run` launches.

Re-runs the sources whose landing folder changed since the last successful refresh
(all of them after a code or settings change, or with ``--full``), in this process,
one step at a time. Prints a short summary and exits 0 when the warehouse is published
and current, 1 (naming the failing check or file first) when it was not published.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from contextlib import ExitStack, contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipelines.lib.config import Settings
from pipelines.lib.ingest.pseudonymise import development_key_warning
from pipelines.lib.locking import RefreshBusy, refresh_lock
from pipelines.lib.operations.landing import diff_snapshots, take_snapshot
from pipelines.lib.operations.refresh_state import (
    ALL_SOURCES,
    RefreshState,
    code_fingerprint,
    note_failed_refresh,
    read_state,
    write_state,
)
from pipelines.lib.outputs.publish import discard_unfinished_publication
from pipelines.lib.outputs.summary import freshness_lines, refresh_summary

if TYPE_CHECKING:  # Dagster is imported when a refresh runs, not for one with nothing to do
    import dagster as dg

FILE_LOGS = {"loggers": {"console": {"config": {"log_level": "DEBUG"}}}}


@dataclass(frozen=True)
class Plan:
    """What a refresh will run: everything (keys None), some assets, or nothing."""

    keys: list[dg.AssetKey] | None
    reason: str
    sources: set[str] | None = None
    """The landing sources re-run (None: all of them)."""


def plan_refresh(settings: Settings, asset_graph, full: bool, fingerprint: str, snapshot) -> Plan:
    """Decide what to re-run from the last successful refresh's state.

    ``asset_graph`` may be a function returning the graph: it is then called only for an incremental plan,
    so that a refresh with nothing to do does not load the Dagster definitions (seconds, for nothing)."""
    state = read_state(settings)
    if full:
        return Plan(None, "full refresh (asked for)")
    if state is None or not settings.published_db.exists():
        return Plan(None, "full refresh (no earlier published refresh)")
    if state.fingerprint != fingerprint:
        return Plan(None, "full refresh (code or settings changed since the last refresh)")
    if ALL_SOURCES in state.stale_sources:
        return Plan(None, "full refresh (the refresh after the last successful one failed)")
    changes = diff_snapshots(state.snapshot, snapshot)
    if not changes and not state.stale_sources:
        return Plan([], f"nothing changed in the landing folder since the last refresh ({state.finished_at})")
    from pipelines.defs.operations import selection_for_sources

    graph = asset_graph() if callable(asset_graph) else asset_graph
    rerun = changes.sources() | set(state.stale_sources)
    keys = selection_for_sources(rerun).resolve(graph)
    why = [f"{len(changes.paths)} file(s) new, changed or removed"] if changes else []
    why += [f"{', '.join(state.stale_sources)} again after a failed refresh"] if state.stale_sources else []
    return Plan(
        sorted(keys, key=lambda k: k.to_user_string()),
        f"incremental refresh of {', '.join(sorted(rerun))} ({'; '.join(why)})",
        rerun,
    )


def _failure_reasons(result: dg.ExecuteInProcessResult) -> list[str]:
    import dagster as dg

    reasons = []
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
            reasons.append(
                f"blocking check '{evaluation.check_name}' on {evaluation.asset_key.to_user_string()} failed"
                + (f": {evaluation.description}" if evaluation.description else "")
            )
    for event in result.all_events:
        if event.is_step_failure:
            data = event.step_failure_data
            error = data.error
            while error is not None and error.cause is not None and "Error occurred while" in error.message:
                error = error.cause
            message = (data.user_failure_data.description if data.user_failure_data else None) or (
                error.message.strip().splitlines()[0] if error else "failed"
            )
            reasons.append(f"step '{event.step_key}' failed: {message}")
    return reasons


@dataclass(frozen=True)
class Outcome:
    """What a refresh that ran did: its Dagster run, whether it published, and why not (or what failed after)."""

    run_id: str
    published: bool
    reasons: list[str]


def run_refresh(instance: dg.DagsterInstance | None = None, full: bool = False) -> int:
    """Refresh what changed and publish; print the summary; return the exit status (0 published or current,
    1 not published, 2 another refresh holds the lock)."""
    settings = Settings.from_env()
    try:
        with refresh_lock(settings.data_dir):
            outcome = _refresh(settings, instance, full)
    except RefreshBusy as exc:
        print(f"Refresh refused: {exc}", file=sys.stderr)
        return 2
    if outcome is None:
        return 0
    _print_outcome(settings, outcome)
    return 0 if outcome.published else 1


def _refresh(settings: Settings, instance: dg.DagsterInstance | None, full: bool) -> Outcome | None:
    """Under the refresh lock: plan, run and record the refresh; None when there was nothing to do."""
    discard_unfinished_publication(settings.published_db)
    fingerprint = code_fingerprint(settings)
    snapshot = take_snapshot(settings.raw_dir)
    plan = plan_refresh(settings, _asset_graph, full, fingerprint, snapshot)
    print(f"Refresh plan: {plan.reason}.")
    if plan.keys == []:
        for line in freshness_lines(settings.work_db):
            print(line)
        print(f"Published: {settings.published_db} (current)")
        return None
    result = _execute(settings, instance, plan, fingerprint)
    outcome = Outcome(result.run_id, _published(result), _failure_reasons(result))
    # A step that failed after publication (a report, the dbt docs) is not recorded as done: the next
    # refresh runs again what changed since the last refresh that did everything.
    if outcome.published and not outcome.reasons:
        write_state(settings, RefreshState(fingerprint, snapshot, dt.datetime.now().isoformat(timespec="seconds")))
    elif not outcome.published:
        _note_failed_refresh(settings, fingerprint, plan.sources, outcome.run_id)
    return outcome


def _execute(
    settings: Settings, instance: dg.DagsterInstance | None, plan: Plan, fingerprint: str
) -> dg.ExecuteInProcessResult:
    """Run the refresh job over the plan's assets in this process, Dagster's and dbt's output to a log file.

    Dagster is imported here, not at the top: a refresh with nothing to do never pays for it."""
    import dagster as dg

    from pipelines.definitions import defs
    from pipelines.defs.jobs import REFRESH_JOB_NAME

    _freeze_imports()
    log_path = settings.data_dir / "logs" / f"refresh-{dt.datetime.now():%Y%m%d-%H%M%S}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    print(f"Progress log (Dagster and dbt): {log_path}", flush=True)
    with ExitStack() as history:
        if instance is None and os.environ.get("DAGSTER_HOME"):
            history.enter_context(_lighter_run_history())
        instance = instance or (
            dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
        )
        with log_path.open("w", buffering=1) as log, redirect_stdout(log), redirect_stderr(log):
            return defs.resolve_job_def(REFRESH_JOB_NAME).execute_in_process(
                instance=instance,
                raise_on_error=False,
                run_config=FILE_LOGS,
                asset_selection=plan.keys,
                tags=_run_tags(settings, fingerprint, incremental=plan.keys is not None),
            )


def _published(result: dg.ExecuteInProcessResult) -> bool:
    """Whether the run published the warehouse (materialised the publication asset)."""
    from pipelines.defs.publish import PUBLISHED_KEY

    return any(e.asset_key == PUBLISHED_KEY for e in result.get_asset_materialization_events())


def _print_outcome(settings: Settings, outcome: Outcome) -> None:
    """The refresh's verdict (failing check or file first), the summary of what it loaded, the key warning."""
    if outcome.published:
        print(f"Warehouse refreshed and published (run {outcome.run_id}).")
        for reason in outcome.reasons:
            print(f"WARNING: {reason}. The warehouse is published; the next refresh runs this again.", file=sys.stderr)
    else:
        reasons = outcome.reasons or ["the publish step did not run"]
        print(f"REFRESH FAILED: {reasons[0]}. The previously published warehouse is unchanged.", file=sys.stderr)
        for reason in reasons[1:]:
            print(f"  also: {reason}", file=sys.stderr)
    if settings.work_db.exists():
        published_db = settings.published_db if outcome.published else None
        for line in refresh_summary(settings.work_db, outcome.run_id, published_db):
            print(line)
    warning = development_key_warning(settings.pseudonym_key, settings.raw_dir)
    if warning:
        print(f"WARNING: {warning}")


def _note_failed_refresh(settings: Settings, fingerprint: str, sources: set[str] | None, run_id: str) -> None:
    """A refresh that did not publish: the next one re-runs its sources and re-reads the files it read."""
    import duckdb

    from pipelines.lib.ingest.load import forget_unpublished_loads

    note_failed_refresh(settings, fingerprint, sources)
    if settings.work_db.exists():
        con = duckdb.connect(str(settings.work_db))
        try:
            forget_unpublished_loads(con, run_id)
        finally:
            con.close()


def _freeze_imports() -> None:
    """Leave the objects of the imports (Dagster, dbt, Great Expectations: about half a million) out of Python's
    cyclic garbage collector, which otherwise walks all of them again and again while the parsers allocate:
    that halves the time of parsing a large source in this process. They live as long as the process anyway."""
    import gc

    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # as expectations.runner does before its import
    import great_expectations  # noqa: F401 - every refresh runs GX checks; imported now to be frozen too

    gc.collect()
    gc.freeze()


def _run_tags(settings: Settings, fingerprint: str, incremental: bool = False) -> dict[str, str]:
    """The dbt unit tests test the code: skipped when it is the code the last successful refresh ran. dbt's
    incremental models are built incrementally only in an incremental refresh (planned only when the code is
    the last successful refresh's); otherwise whole."""
    from pipelines.defs.transform import INCREMENTAL_TAG, UNIT_TESTS_TAG

    state = read_state(settings)
    tags = {UNIT_TESTS_TAG: "skip"} if state is not None and state.fingerprint == fingerprint else {}
    return {**tags, INCREMENTAL_TAG: "true"} if incremental and tags else tags


@contextmanager
def _lighter_run_history():
    """While the refresh runs, let the Dagster run history (sqlite files in $DAGSTER_HOME, WAL mode) take
    each event without an fsync and without a checkpoint.

    Dagster stores every event of a run (about 900 in a full refresh) with a connection of its own, and
    commits it. With sqlite's default ``synchronous=FULL`` each commit is an fsync (15-30 s a refresh on a busy
    disk); ``synchronous=NORMAL`` in WAL mode keeps the files consistent, and a killed process loses nothing:
    only an operating-system crash can lose the newest events of the history (never the warehouse). And when
    the last connection to a file closes, sqlite checkpoints the WAL into the file and deletes it: one more
    connection to each file, held open until the run ends, leaves that to the end (about 10 times less time
    per event). This process only: the UI and its daemon keep Dagster's defaults."""
    import sqlite3

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    kept_open: dict[str, sqlite3.Connection] = {}

    def on_connect(dbapi_connection, _record) -> None:
        if type(dbapi_connection).__module__ != "sqlite3":
            return
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA synchronous=NORMAL")
            path = next((row[2] for row in cursor.execute("PRAGMA database_list") if row[1] == "main"), "")
        finally:
            cursor.close()
        if path:
            if path not in kept_open:
                kept_open[path] = sqlite3.connect(path, check_same_thread=False)
            kept_open[path].execute("PRAGMA schema_version").fetchall()  # a read: the keeper joins the WAL

    event.listen(Engine, "connect", on_connect)
    try:
        yield kept_open
    finally:
        event.remove(Engine, "connect", on_connect)
        for connection in kept_open.values():
            connection.close()


def _asset_graph():
    from pipelines.definitions import defs

    return defs.resolve_asset_graph()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="pipelines.cli", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["run"], help="run: refresh the warehouse and publish it")
    parser.add_argument("--full", action="store_true", help="rebuild everything, changed or not")
    args = parser.parse_args(argv)
    try:
        return run_refresh(full=args.full)
    except OSError as exc:
        settings = Settings.from_env()
        print(
            f"REFRESH FAILED: cannot use the data folder {settings.data_dir} "
            f"({exc.strerror or exc}{': ' + exc.filename if exc.filename else ''}). "
            "The previously published warehouse is unchanged.",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
