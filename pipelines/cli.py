"""``python -m pipelines.cli run``: the refresh that `make run`, the schedule and the sensor launch.

Runs the refresh job in this process, prints a short summary and exits 0 when the
warehouse was published, 1 (naming the failing check or file first) when it was not.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import sys
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from pipelines.lib.config import Settings
from pipelines.lib.summary import refresh_summary


QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


class RefreshBusy(Exception):
    """Another refresh holds the data folder."""


@contextmanager
def refresh_lock(data_dir: Path):
    """Hold the data folder's refresh lock; a second refresh refuses at once instead of clashing."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / ".refresh.lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RefreshBusy(f"another refresh is running on {data_dir}; try again when it has finished") from None
        yield


def _failure_reasons(result: dg.ExecuteInProcessResult) -> list[str]:
    reasons = []
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed:
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
                error.message.strip().splitlines()[0] if error else "failed")
            reasons.append(f"step '{event.step_key}' failed: {message}")
    return reasons


def run_refresh(instance: dg.DagsterInstance | None = None) -> int:
    """Refresh and publish; print the summary; return the exit status."""
    from pipelines.definitions import defs
    from pipelines.defs.jobs import REFRESH_JOB_NAME
    from pipelines.defs.publish import PUBLISHED_KEY

    settings = Settings.from_env()
    try:
        with refresh_lock(settings.data_dir):
            instance = instance or (
                dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral())
            result = defs.resolve_job_def(REFRESH_JOB_NAME).execute_in_process(
                instance=instance, raise_on_error=False, run_config=QUIET_LOGS)
    except RefreshBusy as exc:
        print(f"Refresh refused: {exc}", file=sys.stderr)
        return 2
    published = any(e.asset_key == PUBLISHED_KEY for e in result.get_asset_materialization_events())
    if published:
        print(f"Warehouse refreshed and published (run {result.run_id}).")
    else:
        reasons = _failure_reasons(result) or ["the publish step did not run"]
        print(f"REFRESH FAILED: {reasons[0]}. The previously published warehouse is unchanged.", file=sys.stderr)
        for reason in reasons[1:]:
            print(f"  also: {reason}", file=sys.stderr)
    if settings.work_db.exists():
        for line in refresh_summary(settings.work_db, result.run_id, settings.published_db if published else None):
            print(line)
    return 0 if published else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pipelines.cli", description=__doc__)
    parser.add_argument("command", choices=["run"], help="run: refresh the warehouse and publish it")
    parser.parse_args(argv)
    return run_refresh()


if __name__ == "__main__":
    sys.exit(main())
