"""``python -m pipelines.ui``: what `make ui` starts, the Dagster UI (dagster-webserver) and its daemon
(schedules, the landing-folder sensor, the run queue), the two processes of a Dagster deployment.

``dagster dev`` would start the same two, but the installed Dagster marks it as superseded (by ``dg dev``, of a
package this project does not install). Both use the instance in ``$DAGSTER_HOME`` (its ``dagster.yaml`` is
copied there from ``config/dagster.yaml`` by make). Ctrl-C or SIGTERM stops both; when one of them stops, the
other is stopped too.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pipelines.lib.config import REPO_ROOT


def commands(host: str, port: int, workspace: Path) -> list[list[str]]:
    """The daemon's and the webserver's command lines, executables of this environment."""
    bin_dir = Path(sys.executable).parent
    return [
        [str(bin_dir / "dagster-daemon"), "run", "-w", str(workspace)],
        [str(bin_dir / "dagster-webserver"), "-h", host, "-p", str(port), "-w", str(workspace)],
    ]


def stop(processes: list[subprocess.Popen], grace_seconds: float = 30) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + grace_seconds
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="pipelines.ui", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--workspace", type=Path, default=REPO_ROOT / "workspace.yaml")
    args = parser.parse_args(argv)
    if not os.environ.get("DAGSTER_HOME"):
        print(
            "DAGSTER_HOME is not set: start the UI with `make ui` (it sets up $CSW_DATA_DIR/dagster)", file=sys.stderr
        )
        return 2
    processes = [subprocess.Popen(command, cwd=REPO_ROOT) for command in commands(args.host, args.port, args.workspace)]
    stopping = []

    def on_signal(signum, _frame) -> None:
        stopping.append(signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print(f"Dagster UI on http://{args.host}:{args.port} (Ctrl-C stops it)", flush=True)
    while not stopping and all(p.poll() is None for p in processes):
        time.sleep(0.5)
    stop(processes)
    return 0 if stopping else next((p.returncode for p in processes if p.returncode), 1)


if __name__ == "__main__":
    sys.exit(main())
