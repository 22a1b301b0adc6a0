-- Every indicator column of every loaded DfE school statistics file, long: nothing the files publish is
-- lost, whether or not the indicator catalogue names it. One row per source, indicator, area, period and
-- breakdown (where several files give the same, the newest release).
select
    source,
    indicator,
    indicator_label,
    indicator_grouping,
    indicator_unit,
    indicator_kind,
    area_code,
    area_name,
    published_area_name,
    geography_level,
    la_code,
    region_code,
    is_london_subregion,
    in_regional_sum,
    time_period,
    period_label,
    time_identifier,
    breakdown,
    breakdown_published,
    value,
    status_symbol,
    published_symbol,
    published_value,
    file_layout,
    source_file,
    source_row_number
from {{ ref('int_school_statistics_deduplicated') }}
