"""The Dagster code location: every module under ``pipelines/defs`` that exposes ``defs`` contributes them.

The modules are discovered (``pkgutil`` over the package), so a new source or stage folder is part of the code
location without a line here. (Dagster's ``load_from_defs_folder`` would need a ``dg`` project layout and a
component per folder; the discovery it does for us is these few lines.)"""

import warnings

import dagster as dg

from pipelines.defs.resources import WarehouseResource
from pipelines.defs.sources import defs_modules
from pipelines.lib.descriptions import markdown_literal


def _literal_descriptions(spec: dg.AssetSpec) -> dg.AssetSpec:
    """The UI renders descriptions as Markdown: ``raw/ssda903/<YYYY>/`` must not lose ``<YYYY>`` as an HTML tag."""
    return spec.replace_attributes(description=markdown_literal(spec.description))


def discovered_definitions(package: str = "pipelines.defs") -> list[dg.Definitions]:
    """The ``defs`` of every module directly under ``package`` that has one (the shared helper modules have none)."""
    modules = defs_modules(package)
    return [module.defs for module in modules if isinstance(getattr(module, "defs", None), dg.Definitions)]


def _definitions() -> dg.Definitions:
    """Every folder's definitions, merged (built in a function: one Definitions object at module scope)."""
    merged = dg.Definitions.merge(
        *discovered_definitions(),
        dg.Definitions(resources={"warehouse": WarehouseResource()}, executor=dg.in_process_executor),
    )
    with warnings.catch_warnings():  # map_asset_specs is marked "preview" in Dagster 1.13 (the version is locked)
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return merged.map_asset_specs(func=_literal_descriptions)


defs = _definitions()
