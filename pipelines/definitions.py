"""The Dagster code location: every folder under ``pipelines/defs`` contributes its definitions."""

import dagster as dg

from pipelines.defs import case_audits, jobs, ofsted, operations, publish, reference, schools, transform
from pipelines.defs.resources import WarehouseResource

defs = dg.Definitions.merge(
    reference.defs,
    ofsted.defs,
    case_audits.defs,
    schools.defs,
    transform.defs,
    publish.defs,
    jobs.defs,
    operations.defs,
    dg.Definitions(resources={"warehouse": WarehouseResource()}, executor=dg.in_process_executor),
)
