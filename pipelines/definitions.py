"""The Dagster code location: every folder under ``pipelines/defs`` contributes its definitions."""

import dagster as dg

from pipelines.defs import jobs, ofsted, publish, reference, schools, transform
from pipelines.defs.resources import WarehouseResource

defs = dg.Definitions.merge(
    reference.defs,
    ofsted.defs,
    schools.defs,
    transform.defs,
    publish.defs,
    jobs.defs,
    dg.Definitions(resources={"warehouse": WarehouseResource()}, executor=dg.in_process_executor),
)
