"""Descriptions read as written in the UI's Markdown, and every dbt-test check says what it tests."""

from __future__ import annotations

import json

import pytest
from markdown_it import MarkdownIt

from pipelines.definitions import defs
from pipelines.defs.transform import DBT_PROJECT
from pipelines.lib.descriptions import dbt_test_description, markdown_literal

MARKDOWN = MarkdownIt("commonmark")  # raw HTML on, as in the UI's renderer


def html_tokens(text: str) -> list[str]:
    found = []
    for token in MARKDOWN.parse(text):
        if token.type == "html_block":
            found.append(token.content)
        found += [child.content for child in token.children or [] if child.type == "html_inline"]
    return found


@pytest.fixture(scope="module")
def graph():
    return defs.resolve_asset_graph()


def test_placeholders_are_escaped_outside_code():
    text = "From raw/ssda903/<YYYY>/ and `raw/<la_code>/`; a < b.\n\n```sql\nselect '<x>'\n```"
    escaped = markdown_literal(text)
    assert html_tokens(text) and not html_tokens(escaped)
    assert "raw/ssda903/&lt;YYYY>/" in escaped and "`raw/<la_code>/`" in escaped and "a < b" in escaped
    assert "select '<x>'" in escaped
    rendered = MARKDOWN.render(escaped)
    assert "raw/ssda903/&lt;YYYY&gt;/" in rendered  # shown as <YYYY>


def test_no_asset_or_check_description_is_read_as_html(graph):
    descriptions = {key.to_user_string(): graph.get(key).description or "" for key in graph.get_all_asset_keys()}
    descriptions |= {
        key.to_user_string(): graph.get_check_spec(key).description or "" for key in graph.asset_check_keys
    }
    assert {name: html_tokens(text) for name, text in descriptions.items() if html_tokens(text)} == {}
    episodes = MARKDOWN.render(descriptions["raw/ssda903_episodes"])
    assert "raw/ssda903/&lt;YYYY&gt;/ (home LA) and raw/ssda903/&lt;la_code&gt;/&lt;YYYY&gt;/" in episodes


def test_every_check_has_a_description_and_dbt_tests_say_what_they_test(graph):
    specs = {key.to_user_string(): graph.get_check_spec(key) for key in graph.asset_check_keys}
    assert [name for name, spec in specs.items() if not (spec.description or "").strip()] == []
    manifest = json.loads(DBT_PROJECT.manifest_path.read_text())
    tests = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "test"}
    described = {spec.name: spec.description for spec in specs.values() if spec.name in tests}
    assert len(described) > 100
    for name, description in described.items():
        kind = (tests[name].get("test_metadata") or {}).get("name")
        column = (tests[name].get("test_metadata") or {}).get("kwargs", {}).get("column_name")
        if kind in ("not_null", "unique", "accepted_values", "relationships"):
            assert column in description, (name, description)
        assert not description.startswith("dbt test") or "fails on" in description, (name, description)


GENERATED = {  # a manifest's test nodes as dbt writes them, for kinds this project may not use yet
    "not_null": ({"column_name": "la_code"}, "Every row of marts/t has a la_code (never null)."),
    "unique": ({"column_name": "id"}, "No two rows of marts/t have the same id."),
    "accepted_values": (
        {"column_name": "rag", "values": ["green", "amber"]},
        "rag of marts/t is always one of: green, amber (nulls pass).",
    ),
    "relationships": (
        {"column_name": "la_code", "to": "ref('dim_local_authority')", "field": "la_code"},
        "Every la_code of marts/t is a la_code of dim_local_authority (nulls pass).",
    ),
}


@pytest.mark.parametrize("kind", sorted(GENERATED))
def test_generic_tests_are_described_from_their_arguments(kind):
    kwargs, expected = GENERATED[kind]
    node = {
        "name": f"{kind}_t",
        "package_name": "p",
        "test_metadata": {"name": kind, "kwargs": {**kwargs, "model": "{{ get_where_subquery(ref('t')) }}"}},
    }
    assert dbt_test_description(node, "marts/t", {"macros": {}}) == expected


def test_custom_and_singular_tests_are_described_from_their_sql(tmp_path):
    (tmp_path / "macros").mkdir()
    (tmp_path / "macros" / "between.sql").write_text("{#- Rows outside the range. -#}\n{% test between(model) %}")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "assert_x.sql").write_text(
        "{{ config(meta={'dagster': {}}) }}\n-- Totals add up:\n-- in every month.\nselect 1\n"
    )
    manifest = {"macros": {"macro.p.test_between": {"original_file_path": "macros/between.sql"}}}
    custom = {
        "name": "between_t",
        "package_name": "p",
        "test_metadata": {"name": "between", "kwargs": {"column_name": "v", "min_value": 0}},
    }
    assert dbt_test_description(custom, "marts/t", manifest, tmp_path) == (
        "dbt test between(column_name=v, min_value=0) on marts/t: fails on rows outside the range."
    )
    singular = {"name": "assert_x", "package_name": "p", "original_file_path": "tests/assert_x.sql"}
    assert dbt_test_description(singular, "marts/t", manifest, tmp_path) == (
        "Totals add up: in every month. (dbt test assert_x: fails on every row its query returns)"
    )
    assert dbt_test_description({"description": "As written."}, "m", manifest) == "As written."
