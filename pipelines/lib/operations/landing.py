"""What is in the landing folder, and what changed since a snapshot.

A snapshot maps each file (path relative to the landing folder) to its size and
modification time in nanoseconds: cheap to take, and it changes whenever a file is
added, replaced or touched. Which sources changed decides what a refresh re-runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pipelines.lib.ingest.load import discover_files

Snapshot = dict[str, tuple[int, int]]


def take_snapshot(raw_dir: Path) -> Snapshot:
    """Size and mtime (ns) of every file in the landing folder, keyed by relative path."""
    snapshot: Snapshot = {}
    for path in discover_files(raw_dir):
        stat = path.stat()
        snapshot[path.relative_to(raw_dir).as_posix()] = (stat.st_size, stat.st_mtime_ns)
    return snapshot


@dataclass(frozen=True)
class Changes:
    """Files added, changed (size or mtime) and removed between two snapshots."""

    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]

    @property
    def paths(self) -> tuple[str, ...]:
        return self.added + self.changed + self.removed

    def __bool__(self) -> bool:
        return bool(self.paths)

    def sources(self) -> set[str]:
        """Landing sub-folders (sources) with at least one change."""
        return {source_of(path) for path in self.paths}


def diff_snapshots(old: Snapshot, new: Snapshot) -> Changes:
    """What changed from ``old`` to ``new``."""
    return Changes(
        added=tuple(sorted(set(new) - set(old))),
        changed=tuple(sorted(p for p in set(new) & set(old) if tuple(new[p]) != tuple(old[p]))),
        removed=tuple(sorted(set(old) - set(new))),
    )


def source_of(relative_path: str) -> str:
    """The source of a landing file: its top folder (``ofsted/x.xlsx`` -> ``ofsted``)."""
    return relative_path.split("/", 1)[0] if "/" in relative_path else ""


def dump_snapshot(snapshot: Snapshot) -> str:
    return json.dumps(snapshot, sort_keys=True, separators=(",", ":"))


def load_snapshot(text: str | None) -> Snapshot:
    """A snapshot from its JSON; an empty one for None or unreadable text."""
    if not text:
        return {}
    try:
        return {k: (int(v[0]), int(v[1])) for k, v in json.loads(text).items()}
    except (ValueError, TypeError, IndexError, AttributeError):
        return {}
