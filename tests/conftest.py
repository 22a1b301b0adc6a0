"""Shared test fixtures: where the public fixture files are, and an isolated warehouse per test.

The public fixture files are read in place from ``../shared/fixtures/public`` (``FIXTURES``), or from the folder
named by ``CSW_TEST_FIXTURES`` when it is set: ``.ci/run`` points it at an empty folder to run the tests that touch
the fixtures once more as on a fresh clone without them. Every test that reaches the fixture folder through
:func:`fixture_path` or :func:`fixtures_dir` (itself, or through a fixture or helper it uses) is marked
``fixtures`` at collection, so ``pytest -m fixtures`` selects exactly those.
"""

from __future__ import annotations

import inspect
import os
import shutil
import signal
import socket
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = REPO_ROOT.parent / "shared" / "fixtures" / "public"
SAMPLE_RAW = REPO_ROOT / "raw"
FIXTURES_ENV = "CSW_TEST_FIXTURES"
FIXTURE_HELPERS = ("fixture_path", "fixtures_dir")

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")


def fixtures_dir() -> Path:
    """The public fixture folder: ``$CSW_TEST_FIXTURES`` when set, else ``../shared/fixtures/public``.
    It may be absent: use :func:`fixture_path` to read a file, or test ``.exists()``."""
    return Path(os.environ.get(FIXTURES_ENV) or FIXTURES)


def fixture_path(*parts: str) -> Path:
    """A public fixture file read in place; skips the test with a clear message where it is absent."""
    path = fixtures_dir().joinpath(*parts)
    if not path.exists():
        pytest.skip(f"public fixture {path} is absent (../shared/fixtures/public is not beside this clone)")
    return path


def _names(code) -> set[str]:
    """The global names a code object uses, with those of the functions and lambdas defined inside it."""
    return set(code.co_names).union(*(_names(c) for c in code.co_consts if inspect.iscode(c)))


def touches_fixtures(func, seen: set | None = None) -> bool:
    """Whether ``func`` calls a fixture helper, itself or through a function of its module (followed down)."""
    seen = set() if seen is None else seen
    func = inspect.unwrap(func)
    code = getattr(func, "__code__", None)
    if code is None or code in seen:
        return False
    seen.add(code)
    names = _names(code)
    if names & set(FIXTURE_HELPERS):
        return True
    called = (func.__globals__.get(name) for name in names)
    return any(inspect.isfunction(f) and touches_fixtures(f, seen) for f in called)


def pytest_collection_modifyitems(items):
    """Mark ``fixtures`` every test that reaches the fixture folder, itself or through the fixtures it uses."""
    for item in items:
        funcs = [getattr(item, "function", None)]
        definitions = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {})
        for name in getattr(item, "fixturenames", ()):
            funcs += [d.func for d in definitions.get(name, ())]
        if any(f is not None and touches_fixtures(f) for f in funcs):
            item.add_marker(pytest.mark.fixtures)


@pytest.fixture
def warehouse_dirs(tmp_path, monkeypatch):
    """An empty landing folder and data folder for one test, set in the environment."""
    raw = tmp_path / "raw"
    data = tmp_path / "data"
    raw.mkdir()
    monkeypatch.setenv("CSW_RAW_DIR", str(raw))
    monkeypatch.setenv("CSW_DATA_DIR", str(data))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    return raw, data


def copy_sample(raw: Path, *sources: str) -> None:
    """Copy the bundled sample landing sub-folders into a test's landing folder."""
    for source in sources:
        shutil.copytree(SAMPLE_RAW / source, raw / source)
    shutil.copy(SAMPLE_RAW / ".sample-manifest", raw / ".sample-manifest")


def free_port() -> int:
    """A loopback TCP port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process_group(process: subprocess.Popen, grace_seconds: float) -> None:
    """Stop a process started with ``start_new_session=True`` and everything it started (SIGTERM, then SIGKILL)."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
