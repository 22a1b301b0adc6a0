"""docs/warehouse.md documents every published table and column, and the README lists every mart."""

from __future__ import annotations

import json
import re

import pytest

from pipelines.lib.config import REPO_ROOT
from pipelines.tools import warehouse_docs


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(warehouse_docs.MANIFEST.read_text())


def test_committed_docs_equal_what_the_tool_writes(manifest):
    """Run `.venv/bin/python -m pipelines.tools.warehouse_docs` after adding a mart or a column."""
    assert warehouse_docs.OUT.read_text(encoding="utf-8") == warehouse_docs.render(manifest)


def test_every_mart_and_column_is_documented(manifest):
    text = warehouse_docs.OUT.read_text(encoding="utf-8")
    marts = warehouse_docs.mart_models(manifest)
    assert len(marts) >= 15
    sections = dict(re.findall(r"^### `([a-z_.]+)`\n(.*?)(?=^### |\Z)", text, flags=re.MULTILINE | re.DOTALL))
    for model in marts:
        section = sections[f"marts.{model['name']}"]
        assert [c for c in model["columns"] if f"| `{c}` |" not in section] == [], model["name"]
    for table in ("load_log", "rejected_rows", "check_results"):
        assert "| `reason` |" in sections["quality.rejected_rows"] and f"quality.{table}" in sections
    assert "quality.file_state" not in sections  # internal: not published


def test_readme_lists_every_mart_and_links_the_docs(manifest):
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `marts\.([a-z_]+)`(?:, `marts\.([a-z_]+)`)? \|", readme, flags=re.MULTILINE))
    names = {name for pair in listed for name in pair if name}
    assert {m["name"] for m in warehouse_docs.mart_models(manifest)} - names == set()
    assert "(docs/warehouse.md)" in readme and "../shared/spec" not in readme
