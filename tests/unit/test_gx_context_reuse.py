"""The checks of a process share one GX file context per project folder, and Data Docs compile their templates
once per process, without a check ever writing to another project or the Data Docs losing a validation."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from expectations.runner import data_docs_index, validate_frame

FRAME = pd.DataFrame({"a": [1, 2]})


def _suite(name="raw_things"):
    import great_expectations as gx

    return gx.ExpectationSuite(
        name=name,
        expectations=[gx.expectations.ExpectColumnValuesToNotBeNull(column="a", meta={"check": "a present"})],
    )


def _check(project_dir, name="raw_things"):
    assert [o.passed for o in validate_frame(FRAME, _suite(name), project_dir, asset_name=name)] == [True]


def _results(project_dir, suite="raw_things") -> list[str]:
    return sorted(p.name for p in (project_dir / "gx" / "uncommitted" / "validations" / suite).glob("*/*"))


@pytest.fixture
def contexts_made(monkeypatch):
    """How many GX file contexts were made, by project folder (as given to ``gx.get_context``)."""
    import great_expectations as gx

    made: list[str] = []
    get_context = gx.get_context

    def counting(*args, **kwargs):
        made.append(kwargs["project_root_dir"])
        return get_context(*args, **kwargs)

    monkeypatch.setattr(gx, "get_context", counting)
    return made


def test_checks_in_one_project_reuse_its_context_and_both_are_listed(tmp_path, contexts_made):
    _check(tmp_path)
    _check(tmp_path, "raw_others")
    assert contexts_made == [str(tmp_path)]
    index = data_docs_index(tmp_path).read_text()
    assert len(_results(tmp_path)) == 1 and len(_results(tmp_path, "raw_others")) == 1
    assert all(run in index for run in _results(tmp_path) + _results(tmp_path, "raw_others"))


def test_checks_in_two_projects_each_write_their_own_results(tmp_path, contexts_made):
    from great_expectations.data_context.data_context.context_factory import project_manager

    first, second = tmp_path / "first", tmp_path / "second"
    _check(first)
    _check(second)
    _check(first)  # the first project's context again: its results and pages, not the second's
    assert contexts_made == [str(first), str(second)]
    # and made GX's current context, as gx.get_context would have (what GX falls back on for objects of none)
    assert project_manager.get_current_project().root_directory == str(first / "gx")
    assert len(_results(first)) == 2 and len(_results(second)) == 1
    first_index, second_index = data_docs_index(first).read_text(), data_docs_index(second).read_text()
    assert all(run in first_index and run not in second_index for run in _results(first))
    assert all(run in second_index and run not in first_index for run in _results(second))
    pages = first / "gx" / "uncommitted" / "data_docs" / "local_site" / "validations" / "raw_things"
    assert sorted(p.name for p in pages.glob("*/*")) == _results(first)


def test_results_pruned_on_disk_leave_the_index_of_a_reused_context(tmp_path, monkeypatch, contexts_made):
    monkeypatch.setattr("expectations.runner.KEEP_RESULTS", 2)
    seen = []
    for _ in range(3):
        _check(tmp_path)
        seen.append(_results(tmp_path)[-1])
    assert contexts_made == [str(tmp_path)]
    assert _results(tmp_path) == seen[1:]
    index = data_docs_index(tmp_path).read_text()
    assert seen[0] not in index and all(run in index for run in seen[1:])


def test_a_project_removed_between_checks_gets_a_new_context(tmp_path, contexts_made):
    _check(tmp_path)
    shutil.rmtree(tmp_path / "gx")
    _check(tmp_path)
    assert contexts_made == [str(tmp_path), str(tmp_path)]
    assert len(_results(tmp_path)) == 1
    assert (tmp_path / "gx" / "great_expectations.yml").exists()
    assert _results(tmp_path)[0] in data_docs_index(tmp_path).read_text()


def test_the_data_docs_site_uses_the_shared_views(tmp_path):
    import yaml

    _check(tmp_path)
    site = yaml.safe_load((tmp_path / "gx" / "great_expectations.yml").read_text())["data_docs_sites"]["local_site"]
    assert site["site_index_builder"]["view"]["class_name"] == "SharedJinjaIndexPageView"
    assert {s["view"]["class_name"] for s in site["site_section_builders"].values()} == {"SharedJinjaPageView"}


def test_a_second_check_compiles_no_template(tmp_path, monkeypatch):
    from jinja2 import Environment

    _check(tmp_path)
    compiled: list[str] = []
    compile_ = Environment.compile

    def counting(self, source, name=None, *args, **kwargs):
        compiled.append(name)
        return compile_(self, source, name, *args, **kwargs)

    monkeypatch.setattr(Environment, "compile", counting)
    _check(tmp_path)
    assert compiled == []
    assert _results(tmp_path)[-1] in data_docs_index(tmp_path).read_text()


def test_the_shared_views_render_the_pages_gx_renders(tmp_path):
    import re

    from great_expectations.render.renderer import ValidationResultsPageRenderer
    from great_expectations.render.view import DefaultJinjaPageView

    from expectations.data_docs_views import SharedJinjaPageView
    from expectations.runner import file_context

    _check(tmp_path)
    store = file_context(tmp_path).validation_results_store
    result = store.get(store.list_keys()[0])

    def page(view) -> str:  # without the ids made up for HTML elements and the time of rendering
        html = view.render(ValidationResultsPageRenderer().render(result))  # a new document: render escapes it
        return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d{8}T\d{6}\.\d{6}Z", "", html)

    assert page(DefaultJinjaPageView()) == page(SharedJinjaPageView()) == page(SharedJinjaPageView())
    assert "raw_things" in page(SharedJinjaPageView())
