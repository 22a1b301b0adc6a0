{{ config(meta={'dagster': {'ref': {'name': 'indicator_values'}}}) }}
-- A missing value always says why (indicators.md, "Rules of comparison"): every null value of
-- indicator_values and of the two benchmark tables has a status_symbol ('c', 'x', 'z', 'low', 'u').
select 'indicator_values' as table_name, indicator_code, area_code as la_code, time_period, breakdown
from {{ ref('indicator_values') }}
where value is null and status_symbol is null
union all
select 'indicator_benchmarks', indicator_code, la_code, time_period, breakdown
from {{ ref('indicator_benchmarks') }}
where value is null and status_symbol is null
union all
select 'published_indicator_benchmarks', indicator_code, la_code, time_period, breakdown
from {{ ref('published_indicator_benchmarks') }}
where value is null and status_symbol is null
