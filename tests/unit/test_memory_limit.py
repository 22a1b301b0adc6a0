"""DuckDB's memory caps: the working warehouse's connections use ``WORK_MEMORY_LIMIT``; dbt's profile reads
``DBT_MEMORY_LIMIT`` from the variable the dbt asset sets, and its default (for dbt run by hand) is the same."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.defs.resources import WarehouseResource
from pipelines.lib.config import DBT_MEMORY_LIMIT, DBT_PROJECT_DIR, MEMORY_LIMIT_ENV, WORK_MEMORY_LIMIT


def _mib(limit: str) -> float:
    """A DuckDB size ("640MB", "1GB", or DuckDB's own "610.3 MiB") in MiB."""
    number, unit = re.fullmatch(r"([\d.]+)\s*([KMG]i?B)", limit.strip()).groups()
    factor = {"KB": 1e3, "MB": 1e6, "GB": 1e9, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30}[unit]
    return float(number) * factor / 2**20


def test_the_profile_reads_the_variable_with_the_same_default():
    profile = (DBT_PROJECT_DIR / "profiles.yml").read_text()
    (setting,) = re.findall(r"memory_limit:\s*(.+)", profile)
    assert setting.strip() == f"\"{{{{ env_var('{MEMORY_LIMIT_ENV}', '{DBT_MEMORY_LIMIT}') }}}}\""


def test_the_working_warehouse_connection_is_capped(tmp_path, monkeypatch):
    monkeypatch.setenv("CSW_DATA_DIR", str(tmp_path))
    with WarehouseResource().connect() as con:
        (limit,) = con.execute("select current_setting('memory_limit')").fetchone()
    assert _mib(limit) == pytest.approx(_mib(WORK_MEMORY_LIMIT), rel=0.01)


def _dbt_memory_limit(tmp_path, env: dict[str, str]) -> str:
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            "show",
            "--inline",
            "select current_setting('memory_limit') as memory_limit",
            "--profiles-dir",
            ".",
            "--target-path",
            str(tmp_path / "target"),
            "--output",
            "json",
            "--log-format",
            "text",
        ],
        cwd=DBT_PROJECT_DIR,
        env={**env, "CSW_WORK_DB": str(tmp_path / "children_services.duckdb")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (limit,) = re.findall(r'"memory_limit":\s*"([^"]+)"', done.stdout)
    return limit


def test_dbt_uses_the_variable_the_asset_sets(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != MEMORY_LIMIT_ENV}
    assert _mib(_dbt_memory_limit(tmp_path, {**env, MEMORY_LIMIT_ENV: "300MB"})) == pytest.approx(286.1, abs=0.2)
    assert _mib(_dbt_memory_limit(tmp_path, env)) == pytest.approx(_mib(DBT_MEMORY_LIMIT), rel=0.01)
