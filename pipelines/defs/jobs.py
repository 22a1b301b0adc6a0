"""The refresh job: every asset from raw files to the published warehouse, one step at a time."""

import dagster as dg

REFRESH_JOB_NAME = "refresh_warehouse"
STATISTICS_JOB_NAME = "refresh_statistics"
KIND_TAG = "csw/kind"

refresh_job = dg.define_asset_job(
    REFRESH_JOB_NAME,
    selection=dg.AssetSelection.all(),
    description="Load the landing folder, build and test the dbt models, run the checks, publish.",
)

statistics_job = dg.define_asset_job(
    STATISTICS_JOB_NAME,
    selection=dg.AssetSelection.tag(KIND_TAG, "statistics").downstream(),
    description="The published statistics sources (Ofsted outcomes, DfE statistics) and everything downstream.",
)

defs = dg.Definitions(jobs=[refresh_job, statistics_job])
