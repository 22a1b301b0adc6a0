"""The public fixtures can be hidden (``CSW_TEST_FIXTURES``), and every test that reads them is marked."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests import conftest
from tests.conftest import REPO_ROOT, fixture_path, fixtures_dir, touches_fixtures


def test_hidden_fixtures_skip_with_a_message_naming_the_path(tmp_path, monkeypatch):
    monkeypatch.setenv("CSW_TEST_FIXTURES", str(tmp_path))
    assert fixtures_dir() == tmp_path
    with pytest.raises(pytest.skip.Exception, match=f"public fixture {tmp_path}/ofsted/x.ods is absent"):
        fixture_path("ofsted", "x.ods")
    (tmp_path / "ofsted").mkdir()
    (tmp_path / "ofsted" / "x.ods").write_bytes(b"")
    assert fixture_path("ofsted", "x.ods") == tmp_path / "ofsted" / "x.ods"
    monkeypatch.delenv("CSW_TEST_FIXTURES")
    assert fixtures_dir() == conftest.FIXTURES


def _direct():
    return fixture_path("a")


def _through_a_helper():
    return _direct()


def _in_a_closure():
    return lambda: fixtures_dir() / "ssda903"


def _unrelated():
    return REPO_ROOT / "raw"


def test_a_test_reaching_the_fixtures_is_recognised_however_it_gets_there():
    assert touches_fixtures(_direct) and touches_fixtures(_through_a_helper) and touches_fixtures(_in_a_closure)
    assert not touches_fixtures(_unrelated)


def test_no_test_builds_the_fixture_path_itself():
    """Only tests/conftest.py names ../shared: a test that built the path itself would not be hidden by CI."""
    offenders = []
    for path in (REPO_ROOT / "tests").rglob("*.py"):
        if path in (REPO_ROOT / "tests" / "conftest.py", Path(__file__)):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and (node.value == "shared" or "fixtures/public" in node.value)
            ):
                offenders.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno}")
    assert offenders == []


def test_ci_reruns_the_tests_that_read_the_fixtures_through_module_fixtures():
    listed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-m",
            "fixtures",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/integration/test_adoption.py",
            "tests/integration/test_foundation.py",
            "tests/unit/test_reference.py",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    ).stdout
    assert "test_adoption.py::test_no_clear_identifier_in_any_text_column_of_the_published_file" in listed
    assert "test_foundation.py::test_real_ofsted_workbook_ingests_in_place" in listed
    assert "test_reference.py::test_seed_row_counts" in listed  # through its reference_dir fixture
    assert "test_foundation.py::test_sample_refresh_publishes_every_la" not in listed


def hidden_pass(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(REPO_ROOT / ".ci" / "fixtures-hidden"), *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_ci_hidden_pass_skips_the_fixture_tests_and_passes_when_there_are_none():
    run = hidden_pass("tests/unit/test_sample_data.py", "-rs")
    assert run.returncode == 0, run.stdout[-2000:]
    assert "1 skipped" in run.stdout and "LA_Inspection_Outcomes_as_at_31_March_2025.ods is absent" in run.stdout
    none = hidden_pass("tests/unit/test_parsing.py")  # no test there touches the fixtures: pytest exits 5
    assert none.returncode == 0 and "no test touches the public fixtures" in none.stdout
    assert (REPO_ROOT / ".ci" / "run").read_text().splitlines()[-2:] == ["make test", ".ci/fixtures-hidden"]
