"""What the last successful refresh saw, so the next one re-runs only what changed.

After each publication the CLI records the landing folder's snapshot and a fingerprint
of the code and settings. The next refresh compares: a changed fingerprint (new code,
another home LA or key) or a missing published file means a full refresh; otherwise only
the sources whose folder changed are re-run, and nothing at all when nothing changed.

A refresh that fails leaves the working warehouse holding what it loaded (the published file stays as it
was): the state then keeps the last successful refresh's snapshot and notes the sources the failed refresh
re-ran (``stale_sources``; ``*`` for all), so the next refresh re-runs them whether or not their folder has
changed since (a file dropped in, then taken out again after the failure, leaves the warehouse).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from pipelines.lib.config import REPO_ROOT, Settings
from pipelines.lib.operations.landing import Snapshot, load_snapshot

CODE_FOLDERS = (
    "pipelines",
    "expectations",
    "dbt_project/models",
    "dbt_project/macros",
    "dbt_project/seeds",
    "dbt_project/tests",
)
CODE_FILES = ("dbt_project/dbt_project.yml", "uv.lock")


@dataclass(frozen=True)
class RefreshState:
    fingerprint: str
    snapshot: Snapshot
    finished_at: str
    stale_sources: tuple[str, ...] = ()


def code_fingerprint(settings: Settings, root: Path = REPO_ROOT) -> str:
    """Hash of the pipeline's code, dbt project and the settings that change every table."""
    digest = hashlib.sha256()
    files = [root / f for f in CODE_FILES]
    for folder in CODE_FOLDERS:
        files += sorted(p for p in (root / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    for path in files:
        if path.exists():
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    digest.update(settings.home_la.encode())
    digest.update(hashlib.sha256((settings.pseudonym_key or "").encode()).digest())
    digest.update(str(settings.raw_dir).encode())
    return digest.hexdigest()


def state_path(settings: Settings) -> Path:
    return settings.data_dir / "state" / "last_refresh.json"


def read_state(settings: Settings) -> RefreshState | None:
    """The last successful refresh's state, or None (never refreshed, or unreadable)."""
    try:
        data = json.loads(state_path(settings).read_text())
        return RefreshState(
            data["fingerprint"],
            load_snapshot(json.dumps(data["snapshot"])),
            data["finished_at"],
            tuple(str(s) for s in data.get("stale_sources", ())),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_state(settings: Settings, state: RefreshState) -> None:
    """Record a successful refresh (written aside, then renamed)."""
    path = state_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(
        json.dumps(
            {
                "fingerprint": state.fingerprint,
                "snapshot": state.snapshot,
                "finished_at": state.finished_at,
                "stale_sources": list(state.stale_sources),
            }
        )
    )
    os.replace(tmp, path)


ALL_SOURCES = "*"


def note_failed_refresh(settings: Settings, fingerprint: str, sources: set[str] | None) -> None:
    """After a refresh that did not publish: the sources it re-ran (None: all) are re-run by the next refresh."""
    state = read_state(settings)
    if state is None or state.fingerprint != fingerprint:
        return  # the next refresh is a full one anyway
    stale = {ALL_SOURCES} if sources is None else set(sources)
    write_state(
        settings,
        RefreshState(
            state.fingerprint, state.snapshot, state.finished_at, tuple(sorted(stale | set(state.stale_sources)))
        ),
    )


def clear_state(settings: Settings) -> None:
    """Forget the last refresh, so the next one is full."""
    state_path(settings).unlink(missing_ok=True)
