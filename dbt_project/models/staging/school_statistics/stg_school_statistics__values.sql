-- Every indicator cell of every school statistics file (absence and exclusions), typed.
with unioned as (
    select 'school_absence' as source, * from {{ source('school_absence', 'school_absence_values') }}
    union all by name
    select 'school_exclusions' as source, * from {{ source('school_exclusions', 'school_exclusions_values') }}
)

select
    source,
    _file_path as source_file,
    _row_number as source_row_number,
    file_layout,
    cast(time_period as integer) as time_period,
    time_identifier,
    period_label,
    geographic_level as published_geographic_level,
    geography_level,
    area_code,
    area_name,
    la_code,
    case when geography_level = 'national' then null else area_region_code end as region_code,
    is_london_subregion = 'true' as is_london_subregion,
    region_code as published_region_code,
    region_name as published_region_name,
    old_la_code as published_old_la_code,
    new_la_code as published_new_la_code,
    la_name as published_la_name,
    case geography_level
        when 'local_authority' then la_name
        when 'regional' then coalesce(region_name, la_name)
        else coalesce(la_name, area_name)
    end as published_area_name,
    breakdown,
    breakdown_published,
    indicator,
    indicator_label,
    indicator_grouping,
    indicator_unit,
    indicator_kind,
    raw_value as published_value,
    cast(value as double) as value,
    status_symbol,
    published_symbol
from unioned
