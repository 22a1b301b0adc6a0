"""Shared test fixtures: where the public fixture files are, and an isolated warehouse per test."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = REPO_ROOT.parent / "shared" / "fixtures" / "public"
SAMPLE_RAW = REPO_ROOT / "raw"

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")


def fixture_path(*parts: str) -> Path:
    """A public fixture file read in place; skips the test with a clear message where ../shared is absent."""
    path = FIXTURES.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"public fixture {path} is absent (../shared/fixtures/public is not beside this clone)")
    return path


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
