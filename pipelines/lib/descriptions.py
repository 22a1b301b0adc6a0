"""Descriptions as the Dagster UI shows them, and what each dbt test tests.

The UI renders descriptions as Markdown, where ``<YYYY>`` is an HTML tag and disappears: text that would be read
as HTML is escaped (outside code), so a description reads as written. A dbt test has no description of its own
unless one is written in its yml: it is made from the test's kind and arguments (generic tests) or from the
comment that opens its SQL file (singular tests and the project's generic test macros).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipelines.lib.config import DBT_PROJECT_DIR

_CODE = re.compile(r"(```.*?```|`[^`\n]*`)", re.DOTALL)
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_REF = re.compile(r"""ref\(\s*['"]([^'"]+)['"]\s*\)""")
_SQL_COMMENT = re.compile(r"\A(?:\s*\{\{.*?\}\}\s*)?((?:\s*--[^\n]*\n?)+)", re.DOTALL)
_JINJA_COMMENT = re.compile(r"\A\s*\{#-?(.*?)-?#\}", re.DOTALL)


def markdown_literal(text: str | None) -> str | None:
    """``text`` with every ``<`` that would open an HTML tag escaped, outside code spans and fenced blocks."""
    if text is None:
        return None
    parts = _CODE.split(text)
    return "".join(part if i % 2 else _TAG_START.sub("&lt;", part) for i, part in enumerate(parts))


def _listed(values) -> str:
    return ", ".join(str(v) for v in values) if isinstance(values, list | tuple) else str(values)


def _ref_name(text: str) -> str:
    found = _REF.search(text or "")
    return found.group(1) if found else str(text)


def _generic(name: str, kwargs: Mapping[str, Any], model: str) -> str | None:
    column = kwargs.get("column_name")
    if name == "not_null":
        return f"Every row of {model} has a {column} (never null)."
    if name == "unique":
        return f"No two rows of {model} have the same {column}."
    if name == "accepted_values":
        return f"{column} of {model} is always one of: {_listed(kwargs.get('values', []))} (nulls pass)."
    if name == "relationships":
        return (
            f"Every {column} of {model} is a {kwargs.get('field')} of {_ref_name(kwargs.get('to', ''))} (nulls pass)."
        )
    return None


def _leading_comment(path: Path) -> str:
    """The comment that opens a SQL file: ``--`` lines (after a config block) or a ``{# #}`` comment."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return ""
    jinja = _JINJA_COMMENT.match(text)
    if jinja:
        return " ".join(jinja.group(1).split())
    sql = _SQL_COMMENT.match(text)
    if not sql:
        return ""
    return " ".join(line.strip().removeprefix("--").strip() for line in sql.group(1).strip().splitlines())


def dbt_test_description(
    test: Mapping[str, Any], model: str, manifest: Mapping[str, Any], project_dir: Path = DBT_PROJECT_DIR
) -> str:
    """What a dbt test tests, in a sentence: from its yml description, its kind and arguments, or its SQL."""
    if test.get("description"):
        return test["description"]
    metadata = test.get("test_metadata") or {}
    if not metadata:  # a singular test: its SQL file says what it asserts
        comment = _leading_comment(project_dir / test["original_file_path"])
        return (
            f"{comment} (dbt test {test['name']}: fails on every row its query returns)"
            if comment
            else (f"dbt test {test['name']} on {model}: fails on every row its query returns.")
        )
    name, kwargs = metadata["name"], {k: v for k, v in (metadata.get("kwargs") or {}).items() if k != "model"}
    known = _generic(name, kwargs, model)
    if known:
        return known
    macro = manifest.get("macros", {}).get(f"macro.{test.get('package_name')}.test_{name}", {})
    comment = _leading_comment(project_dir / macro["original_file_path"]) if macro else ""
    arguments = ", ".join(f"{k}={_listed(v)}" for k, v in kwargs.items())
    return f"dbt test {name}({arguments}) on {model}" + (
        f": fails on {comment[0].lower()}{comment[1:]}" if comment else "."
    )
