"""The refresh job: every asset from raw files to the published warehouse, one step at a time."""

import dagster as dg

REFRESH_JOB_NAME = "refresh_warehouse"

refresh_job = dg.define_asset_job(
    REFRESH_JOB_NAME,
    selection=dg.AssetSelection.all(),
    description="Load the landing folder, build and test the dbt models, run the checks, publish.",
)

defs = dg.Definitions(jobs=[refresh_job])
