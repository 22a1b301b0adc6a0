"""The Dagster code location: every folder under ``pipelines/defs`` contributes its definitions."""

import warnings

import dagster as dg

from pipelines.defs import (
    adoption_scorecards,
    case_audits,
    jobs,
    ofsted,
    operations,
    publish,
    reference,
    reports,
    schools,
    ssda903,
    transform,
)
from pipelines.defs.resources import WarehouseResource
from pipelines.lib.descriptions import markdown_literal


def _literal_descriptions(spec: dg.AssetSpec) -> dg.AssetSpec:
    """The UI renders descriptions as Markdown: ``raw/ssda903/<YYYY>/`` must not lose ``<YYYY>`` as an HTML tag."""
    return spec.replace_attributes(description=markdown_literal(spec.description))


def _definitions() -> dg.Definitions:
    """Every folder's definitions, merged (built in a function: one Definitions object at module scope)."""
    merged = dg.Definitions.merge(
        reference.defs,
        ofsted.defs,
        case_audits.defs,
        schools.defs,
        ssda903.defs,
        adoption_scorecards.defs,
        transform.defs,
        publish.defs,
        reports.defs,
        jobs.defs,
        operations.defs,
        dg.Definitions(resources={"warehouse": WarehouseResource()}, executor=dg.in_process_executor),
    )
    with warnings.catch_warnings():  # map_asset_specs is marked "preview" in Dagster 1.13 (the version is locked)
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return merged.map_asset_specs(func=_literal_descriptions)


defs = _definitions()
