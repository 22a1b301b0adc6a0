"""The Dagster code location: every folder under ``pipelines/defs`` contributes its definitions."""

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

defs = dg.Definitions.merge(
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
