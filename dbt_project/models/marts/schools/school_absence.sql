-- Pupil absence indicators as columns: one row per area, period and breakdown.
{% set indicators = ['absence_overall_rate', 'absence_persistent_rate', 'absence_persistent_rate_15pct'] %}
with values_ as (
    select * from {{ ref('int_indicator_values__schools') }}
    where indicator_code in (
        '{{ indicators | join("', '") }}'
    )
)

select
    values_.area_code,
    any_value(values_.area_name) as area_name,
    values_.geography_level,
    values_.la_code,
    any_value(case when values_.geography_level = 'regional' then values_.area_code else las.region_code end)
        as region_code,
    values_.time_period,
    any_value(values_.period_label) as period_label,
    values_.breakdown,
    {% for code in indicators %}
    max(values_.value) filter (where values_.indicator_code = '{{ code }}') as {{ code }},
    max(values_.status_symbol) filter (where values_.indicator_code = '{{ code }}') as {{ code }}_status,
    {% endfor %}
    max(values_.numerator) filter (where values_.indicator_code = 'absence_overall_rate') as sessions_overall,
    max(values_.denominator) filter (where values_.indicator_code = 'absence_overall_rate') as sessions_possible,
    string_agg(distinct values_.source_file, '; ' order by values_.source_file) as source_files
from values_
left join {{ ref('dim_local_authority') }} as las on values_.la_code = las.la_code
group by values_.area_code, values_.geography_level, values_.la_code, values_.time_period, values_.breakdown
