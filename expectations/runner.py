"""Validate a pandas frame with a suite and build Data Docs under the data folder."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

# Validation results (and their Data Docs pages) kept per suite: two months of nightly refreshes. Without a
# limit every check of every refresh adds a result and a page (about 60 KB), for ever.
KEEP_RESULTS = 60

# The checks of a refresh run one after another in one process, all in one GX project: its file context (the
# great_expectations.yml parsed, the stores set up) is made once and used by each check. Kept by resolved project
# folder, with the stat of its great_expectations.yml after the last check: a project whose file has changed
# since (deleted, or written by anything else) gets a new context. Tests use a project per temporary folder,
# hence a bound.
CONTEXTS_KEPT = 4
_contexts: dict[Path, tuple[object, tuple[int, int] | None]] = {}

# The Data Docs views: GX's, with one jinja2 Environment per process (expectations/data_docs_views.py).
DATA_DOCS_VIEWS = "expectations.data_docs_views"
PAGE_VIEW = {"module_name": DATA_DOCS_VIEWS, "class_name": "SharedJinjaPageView"}
INDEX_VIEW = {"module_name": DATA_DOCS_VIEWS, "class_name": "SharedJinjaIndexPageView"}
SITE_SECTIONS = ("expectations", "validations", "profiling")


@dataclass
class ExpectationOutcome:
    """One expectation's verdict, as recorded in quality.check_results."""

    name: str
    passed: bool
    details: str


def _describe(result) -> str:
    res = result.result or {}
    unexpected = res.get("unexpected_count")
    if unexpected is None:
        return "passed" if result.success else "failed"
    sample = res.get("partial_unexpected_list") or []
    shown = ", ".join(str(v) for v in sample[:5])
    return f"{unexpected} unexpected value(s)" + (f", e.g. {shown}" if shown else "")


def validate_frame(frame: pd.DataFrame, suite, project_dir: Path, asset_name: str) -> list[ExpectationOutcome]:
    """Run ``suite`` on ``frame``; results and Data Docs go to the GX project at ``project_dir``."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    project_dir.mkdir(parents=True, exist_ok=True)
    keep_recent_results(project_dir, suite.name, KEEP_RESULTS - 1)  # the Data Docs index is then rebuilt
    context = file_context(project_dir)
    datasource = context.data_sources.add_or_update_pandas("warehouse")
    try:
        asset = datasource.get_asset(asset_name)
    except LookupError:
        asset = datasource.add_dataframe_asset(asset_name)
    try:
        batch_definition = asset.get_batch_definition("whole_table")
    except (KeyError, LookupError, ValueError):
        batch_definition = asset.add_batch_definition_whole_dataframe("whole_table")
    validation = gx.ValidationDefinition(data=batch_definition, suite=suite, name=asset_name)
    checkpoint = context.checkpoints.add_or_update(  # saves the validation definition and its suite too
        gx.Checkpoint(
            name=asset_name,
            validation_definitions=[validation],
            actions=[gx.checkpoint.UpdateDataDocsAction(name="update_data_docs")],
            result_format={"result_format": "SUMMARY"},
        )
    )
    run = checkpoint.run(batch_parameters={"dataframe": frame})
    _keep_context(project_dir, context)
    outcomes = []
    for validation_result in run.run_results.values():
        for result in validation_result.results:
            config = result.expectation_config
            name = (config.meta or {}).get("check") or config.type
            outcomes.append(ExpectationOutcome(name=name, passed=bool(result.success), details=_describe(result)))
    return outcomes


def file_context(project_dir: Path):
    """The GX file context of the project at ``project_dir``, made current (as ``gx.get_context`` makes the
    context it returns): the one the last check in this project used, while its great_expectations.yml is as
    that check left it; else a new one, its Data Docs site rendered by the shared views."""
    import great_expectations as gx
    from great_expectations.data_context import set_context

    root = project_dir.resolve()
    context, stat = _contexts.pop(root, (None, None))
    if context is not None and stat is not None and stat == _config_stat(root):
        set_context(context)
        return context
    context = gx.get_context(mode="file", project_root_dir=str(project_dir))
    _use_shared_views(context)
    return context


def _config_stat(root: Path) -> tuple[int, int] | None:
    try:
        stat = (root / "gx" / "great_expectations.yml").stat()
    except FileNotFoundError:
        return None
    return stat.st_mtime_ns, stat.st_size


def _keep_context(project_dir: Path, context) -> None:
    """Keep ``context`` for the project's next check (after the check: GX rewrites its yml as it runs)."""
    root = project_dir.resolve()
    _contexts.pop(root, None)
    _contexts[root] = (context, _config_stat(root))
    while len(_contexts) > CONTEXTS_KEPT:
        del _contexts[next(iter(_contexts))]


def _use_shared_views(context) -> None:
    """Each Data Docs site's pages and index rendered by the views of ``expectations.data_docs_views`` (the
    same pages, the templates compiled once per process); saved in great_expectations.yml if it changes."""
    for name, site in context.list_data_docs_sites().items():
        updated = with_shared_views(site)
        if updated != site:
            context.update_data_docs_site(name, updated)


def with_shared_views(site: dict) -> dict:
    """A Data Docs site's config with its section pages and index rendered by the shared views."""
    sections = dict(site.get("site_section_builders") or {})
    for section in SITE_SECTIONS:
        if isinstance(sections.get(section, {}), dict):  # not a section switched off ("None")
            sections[section] = {**sections.get(section, {}), "view": dict(PAGE_VIEW)}
    index = {"class_name": "DefaultSiteIndexBuilder", **(site.get("site_index_builder") or {})}
    return {**site, "site_section_builders": sections, "site_index_builder": {**index, "view": dict(INDEX_VIEW)}}


def keep_recent_results(project_dir: Path, suite_name: str, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest validation results of a suite, and their Data Docs pages; returns
    what was deleted. Results are stored as ``<suite>/<run name>/<run time>/``, the run time sortable."""
    uncommitted = project_dir / "gx" / "uncommitted"
    removed = []
    for root in (
        uncommitted / "validations" / suite_name,
        uncommitted / "data_docs" / "local_site" / "validations" / suite_name,
    ):
        runs = sorted(root.glob("*/*"), key=lambda run: run.name)
        for run in runs[: max(len(runs) - keep, 0)]:
            shutil.rmtree(run, ignore_errors=True)
            removed.append(run)
            if not any(run.parent.iterdir()):
                run.parent.rmdir()
    return removed


def data_docs_index(project_dir: Path) -> Path:
    """Where the Data Docs site's front page is written."""
    return project_dir / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
