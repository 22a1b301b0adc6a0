-- Published adoption scorecard figures (benchmarks), typed.
select
    cast(time_period as integer) as period_end_year,
    geographic_level as geography_level,
    area_code,
    la_code,
    region_code,
    area_name,
    indicator as scorecard_code,
    cast(value as double) as value,
    status_symbol,
    cast(children as integer) as children,
    _file_path as source_file,
    _row_number as source_row_number
from {{ source('adoption_scorecards', 'adoption_scorecards_published') }}
