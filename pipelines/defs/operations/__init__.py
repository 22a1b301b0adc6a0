"""Keeping the warehouse fresh: schedules, the file-arrival sensor and freshness checks."""

import datetime as dt
import functools
import hashlib
import operator

import dagster as dg

from pipelines.defs.gx_checks import record_check_results
from pipelines.defs.jobs import REFRESH_JOB_NAME, STATISTICS_JOB_NAME
from pipelines.defs.resources import WarehouseResource
from pipelines.lib.config import Settings
from pipelines.lib.operations.freshness import RULES, FreshnessRule, evaluate
from pipelines.lib.operations.landing import Snapshot, diff_snapshots, dump_snapshot, load_snapshot, take_snapshot
from pipelines.lib.operations.refresh_state import code_fingerprint, read_state

LANDING_TAG = "csw/landing"
ACTIVE_STATUSES = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


def selection_for_sources(sources: set[str]) -> dg.AssetSelection:
    """The raw assets fed by these landing folders, and everything downstream of them."""
    parts = [dg.AssetSelection.tag(LANDING_TAG, source) for source in sorted(sources)]
    return functools.reduce(operator.or_, parts, dg.AssetSelection.assets()).downstream()


def refresh_in_progress(instance: dg.DagsterInstance) -> bool:
    """Whether a refresh run is queued or running (the sensor never starts a second one)."""
    runs = instance.get_run_records(filters=dg.RunsFilter(job_name=REFRESH_JOB_NAME, statuses=ACTIVE_STATUSES), limit=1)
    return bool(runs)


@dg.sensor(
    job_name=REFRESH_JOB_NAME,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts one refresh for each batch of new, changed or removed files in $CSW_RAW_DIR, re-running "
    "only the sources whose folder changed. Never starts a run while a refresh is in progress.",
)
def landing_folder_sensor(context: dg.SensorEvaluationContext):
    settings = Settings.from_env()
    snapshot = take_snapshot(settings.raw_dir)
    baseline, built = sensor_baseline(context.cursor, settings)
    changes = diff_snapshots(baseline, snapshot)
    if not changes:
        if context.cursor is None:  # seeded from the last successful refresh: from now on, its own cursor
            context.update_cursor(dump_snapshot(snapshot))
            return dg.SkipReason("no new, changed or removed files since the last successful refresh")
        return dg.SkipReason("no new, changed or removed files in the landing folder")
    if refresh_in_progress(context.instance):
        return dg.SkipReason(f"{len(changes.paths)} changed file(s) wait for the refresh in progress to finish")
    cursor = dump_snapshot(snapshot)
    graph = context.repository_def.asset_graph
    if not built or not settings.published_db.exists():
        keys = graph.get_all_asset_keys()  # nothing built yet: a partial run would miss the tables it joins
    else:
        keys = selection_for_sources(changes.sources()).resolve(graph)
    context.update_cursor(cursor)
    if not keys:
        return dg.SkipReason(f"changed files are in no source folder: {', '.join(changes.paths[:5])}")
    return dg.RunRequest(
        run_key=hashlib.sha256(cursor.encode()).hexdigest()[:16],
        asset_selection=sorted(keys, key=lambda k: k.to_user_string()),
        tags={"csw/trigger": "file-arrival", "csw/sources": ",".join(sorted(changes.sources()))},
    )


def sensor_baseline(cursor: str | None, settings: Settings) -> tuple[Snapshot, bool]:
    """What the sensor compares the landing folder with, and whether a published warehouse stands for it.

    Its cursor once it has one. At its first tick, the landing folder as the last successful refresh saw it
    (state/last_refresh.json), when that refresh ran this code with these settings and its warehouse is
    published: then a `make ui` after `make run` starts nothing until a file changes. Otherwise nothing."""
    if cursor is not None:
        return load_snapshot(cursor), True
    state = read_state(settings)
    if state is None or not settings.published_db.exists() or state.fingerprint != code_fingerprint(settings):
        return {}, False
    return state.snapshot, True


nightly_refresh = dg.ScheduleDefinition(
    name="nightly_refresh",
    job_name=REFRESH_JOB_NAME,
    cron_schedule="0 2 * * *",
    execution_timezone="Europe/London",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="The whole warehouse every night at 02:00.",
)

monthly_statistics_refresh = dg.ScheduleDefinition(
    name="monthly_statistics_refresh",
    job_name=STATISTICS_JOB_NAME,
    cron_schedule="0 4 1 * *",
    execution_timezone="Europe/London",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="The published statistics sources (Ofsted, DfE) and what depends on them, on the 1st of each month.",
)


def freshness_check(rule: FreshnessRule) -> dg.AssetChecksDefinition:
    """A warning-level check that the source's newest data is within its publication cycle."""

    @dg.asset_check(
        asset=dg.AssetKey(["raw", rule.tables[0]]),
        name=f"freshness_{rule.source}",
        blocking=False,
        description=f"{rule.source} is published {rule.cadence}: warns when its newest data is more than "
        f"{rule.max_age_days} days old.",
    )
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connect() as con:
            result = evaluate(con, rule, dt.date.today())
            record_check_results(
                con,
                context.run.run_id,
                f"raw/{rule.tables[0]}",
                [(f"freshness: {rule.source}", not result.stale, "WARN", result.describe())],
            )
        return dg.AssetCheckResult(
            passed=not result.stale,
            severity=dg.AssetCheckSeverity.WARN,  # the UI draws a stale source with its warning icon, not an error
            description=(
                f"Warning (the warehouse is still published): {result.describe()}"
                if result.stale
                else result.describe()
            ),
            metadata={
                "newest_data": result.newest.isoformat() if result.newest else "none",
                "age_days": result.age_days if result.age_days is not None else -1,
                "max_age_days": rule.max_age_days,
            },
        )

    return _check


defs = dg.Definitions(
    sensors=[landing_folder_sensor],
    schedules=[nightly_refresh, monthly_statistics_refresh],
    asset_checks=[freshness_check(rule) for rule in RULES],
)
