{#-
  The benchmarks of every LA value of an indicator_values-shaped model (indicators.md, Benchmarks), used by
  marts.indicator_benchmarks (all values) and marts.published_indicator_benchmarks (after disclosure control).

  england_value   the England row (E92000001) of the same indicator, period and breakdown
  region_value    the row of the LA's region, dim_local_authority.region_code (E12 codes; London is E12000007,
                  so the Inner / Outer London E13 rows some files carry are never a region_value)
  sn_model        the statistical neighbour model in force for the period: '2025' for periods ending in or
                  after var('sn_model_2025_from_year', 2025), '2021' before; an LA without neighbours in that
                  model (a new or a former LA) takes the other model; null when it has neither
  sn_mean,        mean and median (the mean of the two middle values for an even count) of the values of
  sn_median,      those of its ten neighbours that have a value for the same indicator, period and breakdown,
  sn_count        rounded to 4 decimals; sn_count of them (0, with null mean and median, when none has)
  rank, rank_of   rank() among all LAs with a value for the same indicator, period and breakdown, 1 = best by
                  the catalogue's polarity (lowest value when lower is better); ties share the lower rank
                  (values 1, 2, 2, 4); rank_of = the number of LAs with a value. Null rank for 'no polarity'
  quartile_band   'A' best .. 'D' worst: the quarter the rank falls in, ceil(4 * rank / rank_of)
                  (1 = A .. 4 = D), so tied LAs share a band. Null without a rank or when fewer than 4 LAs
                  have a value (a quarter of fewer than four LAs means nothing)
  threshold, rag  from int_indicator_thresholds: 'green' when the value meets the threshold (<= when lower
                  is better, >= when higher is better), 'red' when not; 'amber' is not used
  Rows are stored in LA order (la_code, indicator_code, time_period, breakdown).
  Periods: time_period of 4 digits is a year ending 31 March (end year itself); 6 digits with a '/' in
  period_label an academic year (201920 ends in 2020); other 6 digits a month (202501 is in 2025).
-#}
{% macro indicator_benchmarks(values_model) %}
with catalogue as (
    select indicator_code, title, unit, polarity from {{ ref('indicator_catalogue') }}
),

all_values as (
    select * from {{ ref(values_model) }}
),

local_authorities as (
    select la_code, la_name, region_code from {{ ref('dim_local_authority') }}
),

neighbours as (
    select la_code, neighbour_la_code, sn_model from {{ ref('dim_statistical_neighbours') }}
),

models_of_la as (
    select distinct la_code, sn_model from neighbours
),

la_values as (
    select
        all_values.indicator_code,
        all_values.la_code,
        all_values.time_period,
        all_values.period_label,
        all_values.breakdown,
        all_values.value,
        all_values.status_symbol,
        catalogue.title,
        catalogue.unit,
        catalogue.polarity,
        case
            when all_values.time_period < 10000 then all_values.time_period
            when all_values.period_label like '%/%' then all_values.time_period // 100 + 1
            else all_values.time_period // 100
        end as period_end_year
    from all_values
    left join catalogue on all_values.indicator_code = catalogue.indicator_code
    where all_values.geography_level = 'local_authority' and all_values.la_code is not null
),

with_model as (
    select
        la_values.*,
        case when la_values.period_end_year >= {{ var('sn_model_2025_from_year', 2025) }} then '2025' else '2021' end
            as preferred_model
    from la_values
),

chosen_model as (
    select
        with_model.*,
        coalesce(preferred.sn_model, fallback.sn_model) as sn_model
    from with_model
    left join models_of_la as preferred
        on with_model.la_code = preferred.la_code and with_model.preferred_model = preferred.sn_model
    left join models_of_la as fallback
        on with_model.la_code = fallback.la_code and with_model.preferred_model != fallback.sn_model
),

neighbour_stats as (
    select
        chosen_model.indicator_code,
        chosen_model.la_code,
        chosen_model.time_period,
        chosen_model.breakdown,
        round(avg(neighbour_values.value), 4) as sn_mean,
        round(median(neighbour_values.value), 4) as sn_median,
        count(neighbour_values.value) as sn_count
    from chosen_model
    inner join neighbours
        on chosen_model.la_code = neighbours.la_code and chosen_model.sn_model = neighbours.sn_model
    left join la_values as neighbour_values
        on neighbours.neighbour_la_code = neighbour_values.la_code
        and chosen_model.indicator_code = neighbour_values.indicator_code
        and chosen_model.time_period = neighbour_values.time_period
        and chosen_model.breakdown = neighbour_values.breakdown
        and neighbour_values.value is not null
    group by all
),

ranked as (
    select
        indicator_code,
        la_code,
        time_period,
        breakdown,
        case
            when polarity = 'lower is better'
                then rank() over (partition by indicator_code, time_period, breakdown order by value asc)
            when polarity = 'higher is better'
                then rank() over (partition by indicator_code, time_period, breakdown order by value desc)
        end as rank,
        count(*) over (partition by indicator_code, time_period, breakdown) as rank_of
    from la_values
    where value is not null
),

england as (
    select indicator_code, time_period, breakdown, value
    from all_values
    where area_code = 'E92000001'
),

regions as (
    select indicator_code, area_code, time_period, breakdown, value
    from all_values
    where geography_level = 'regional'
),

thresholds as (
    select indicator_code, la_code, time_period, threshold, threshold_verified
    from {{ ref('int_indicator_thresholds') }}
)

select
    chosen_model.indicator_code,
    chosen_model.la_code,
    chosen_model.time_period,
    chosen_model.breakdown,
    chosen_model.value,
    england.value as england_value,
    regions.value as region_value,
    neighbour_stats.sn_mean,
    neighbour_stats.sn_median,
    cast(coalesce(neighbour_stats.sn_count, 0) as integer) as sn_count,
    chosen_model.sn_model,
    cast(ranked.rank as integer) as rank,
    cast(coalesce(max(ranked.rank_of) over (
        partition by chosen_model.indicator_code, chosen_model.time_period, chosen_model.breakdown
    ), 0) as integer) as rank_of,
    case
        when ranked.rank is not null and ranked.rank_of >= 4
            then chr(cast(64 + (4 * ranked.rank + ranked.rank_of - 1) // ranked.rank_of as integer))
    end as quartile_band,
    thresholds.threshold,
    case
        when thresholds.threshold is null or chosen_model.value is null then null
        when chosen_model.polarity = 'lower is better'
            then case when chosen_model.value <= thresholds.threshold then 'green' else 'red' end
        when chosen_model.polarity = 'higher is better'
            then case when chosen_model.value >= thresholds.threshold then 'green' else 'red' end
    end as rag,
    local_authorities.la_name,
    local_authorities.region_code,
    chosen_model.period_label,
    chosen_model.title,
    chosen_model.unit,
    chosen_model.polarity,
    chosen_model.status_symbol,
    thresholds.threshold_verified
from chosen_model
left join local_authorities on chosen_model.la_code = local_authorities.la_code
left join england
    on chosen_model.indicator_code = england.indicator_code
    and chosen_model.time_period = england.time_period
    and chosen_model.breakdown = england.breakdown
left join regions
    on local_authorities.region_code = regions.area_code
    and chosen_model.indicator_code = regions.indicator_code
    and chosen_model.time_period = regions.time_period
    and chosen_model.breakdown = regions.breakdown
left join neighbour_stats
    on chosen_model.indicator_code = neighbour_stats.indicator_code
    and chosen_model.la_code = neighbour_stats.la_code
    and chosen_model.time_period = neighbour_stats.time_period
    and chosen_model.breakdown = neighbour_stats.breakdown
left join ranked
    on chosen_model.indicator_code = ranked.indicator_code
    and chosen_model.la_code = ranked.la_code
    and chosen_model.time_period = ranked.time_period
    and chosen_model.breakdown = ranked.breakdown
left join thresholds
    on chosen_model.indicator_code = thresholds.indicator_code
    and chosen_model.la_code = thresholds.la_code
    and chosen_model.time_period = thresholds.time_period
-- stored in LA order: an analyst's query for one LA then reads only that LA's row groups (DuckDB skips the
-- others by their min / max la_code), about 4 times faster at national scale (docs/performance.md)
order by chosen_model.la_code, chosen_model.indicator_code, chosen_model.time_period, chosen_model.breakdown
{% endmacro %}
