"""One refresh at a time per data folder, whoever starts it (make run, the UI, the schedule, the sensor).

An exclusive ``flock`` on ``$CSW_DATA_DIR/.refresh.lock``. The lock is re-entrant inside one
process (the CLI holds it while the in-process run's resource takes it again); another process
waits up to ``wait_seconds`` and then gets :class:`RefreshBusy` with a message saying why.
The kernel drops the lock when a process dies, so a killed refresh never leaves it stuck.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from contextlib import contextmanager
from pathlib import Path

_held: dict[str, tuple[int, int]] = {}
_guard = threading.Lock()


class RefreshBusy(Exception):
    """Another process is refreshing the same data folder."""


def _acquire(path: Path, wait_seconds: float) -> None:
    key = str(path)
    with _guard:
        if key in _held:
            fd, depth = _held[key]
            _held[key] = (fd, depth + 1)
            return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                raise RefreshBusy(
                    f"another refresh is running on {path.parent} (lock {path.name}); try again when it has finished"
                ) from None
            time.sleep(0.5)
    with _guard:
        _held[key] = (fd, 1)


def _release(path: Path) -> None:
    key = str(path)
    with _guard:
        fd, depth = _held[key]
        if depth > 1:
            _held[key] = (fd, depth - 1)
            return
        del _held[key]
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


@contextmanager
def refresh_lock(data_dir: Path, wait_seconds: float = 0):
    """Hold the data folder's refresh lock for the duration of the block."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / ".refresh.lock"
    _acquire(path, wait_seconds)
    try:
        yield
    finally:
        _release(path)
