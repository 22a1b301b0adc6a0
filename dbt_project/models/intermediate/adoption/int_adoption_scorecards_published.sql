-- Published scorecard values, one per area, period and indicator: where files repeat a value, the file
-- reaching the latest period wins (then the last file by path), so nothing is counted twice.
with with_file_recency as (
    select
        *,
        max(period_end_year) over (partition by source_file) as file_latest_period
    from {{ ref('stg_adoption_scorecards__published') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by area_code, period_end_year, scorecard_code
            order by file_latest_period desc, source_file desc, source_row_number asc
        ) as copy_number
    from with_file_recency
)

select
    period_end_year,
    geography_level,
    area_code,
    la_code,
    region_code,
    area_name,
    scorecard_code,
    value,
    status_symbol,
    children,
    source_file
from ranked
where copy_number = 1
