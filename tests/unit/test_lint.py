"""`make lint` under `make test`: ruff (lint rules, formatting) and sqlfluff over the tree, so that a lint error
fails the suite like any other broken behaviour. Each test names the command it ran and lists what it found,
with the command that fixes what can be fixed automatically. The venv's own binaries (the locked versions), run
from the repository root, where pyproject.toml's [tool.ruff] and .sqlfluff are found."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.lint

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SQL_PATHS = ["dbt_project/models", "dbt_project/tests"]


def _tool(name: str) -> str:
    """The venv's binary: a locked dev dependency, so a missing one is a broken set-up, not a reason to skip."""
    path = BIN / name
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make setup` (it is a locked dev dependency)")
    return str(path)


def _run(args: list[str], env: dict[str, str] | None = None, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def _fail_unless_clean(what: str, fix: str, result: subprocess.CompletedProcess) -> None:
    """Fails with the command's own listing of what it found (no traceback: the listing is the message)."""
    if result.returncode != 0:
        found = (result.stdout + result.stderr).strip()
        pytest.fail(f"{what} found violations (exit {result.returncode}). Fix: {fix}\n{found}", pytrace=False)


def _sqlfluff_env(tmp_path: Path) -> dict[str, str]:
    """The dbt templater opens the profile's DuckDB file: a throwaway one, never the data folder's warehouse."""
    return {**os.environ, "CSW_WORK_DB": str(tmp_path / "lint.duckdb")}


def test_ruff_check_finds_nothing():
    result = _run([_tool("ruff"), "check", "--output-format", "concise", "."])
    _fail_unless_clean("ruff check", "`.venv/bin/ruff check --fix .`, then by hand what it lists", result)


def test_ruff_format_has_nothing_to_change():
    result = _run([_tool("ruff"), "format", "--check", "--output-format", "concise", "."])
    _fail_unless_clean("ruff format --check", "`.venv/bin/ruff format .`", result)


def test_sqlfluff_finds_nothing_in_the_dbt_project(tmp_path):
    result = _run([_tool("sqlfluff"), "lint", *SQL_PATHS], env=_sqlfluff_env(tmp_path))
    _fail_unless_clean(
        "sqlfluff lint " + " ".join(SQL_PATHS),
        "`make lint` lists them; `.venv/bin/sqlfluff fix <file>` fixes most layout ones (check its diff)",
        result,
    )


def test_the_ruff_configuration_catches_what_it_should(tmp_path):
    """The configuration is the repository's (not ruff's defaults): isort, pyflakes and 120 columns apply."""
    bad = tmp_path / "bad.py"
    bad.write_text("import sys\nimport os\n\nx = '" + "a" * 130 + "'\n")
    config = ["--config", str(REPO / "pyproject.toml")]
    checked = _run([_tool("ruff"), "check", *config, "--output-format", "concise", str(bad)], cwd=tmp_path)
    assert checked.returncode == 1
    for rule in ("I001", "F401", "E501"):
        assert rule in checked.stdout, checked.stdout
    formatted = _run([_tool("ruff"), "format", *config, "--check", str(bad)], cwd=tmp_path)
    assert formatted.returncode == 1, "single quotes should be reformatted to double"


def test_the_sqlfluff_configuration_wants_lowercase_keywords(tmp_path):
    """The repository's .sqlfluff applies (duckdb dialect, lowercase keywords), checked on SQL with no jinja."""
    result = subprocess.run(
        [_tool("sqlfluff"), "lint", "--templater", "raw", "--rules", "CP01", "-"],
        cwd=REPO,
        input="SELECT la_code FROM las\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1 and "CP01" in result.stdout, result.stdout + result.stderr
