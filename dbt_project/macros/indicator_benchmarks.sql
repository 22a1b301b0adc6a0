{#-
  The benchmarks of every LA value of an indicator_values-shaped model (indicators.md, Benchmarks; the
  contract's "Rules of comparison"), used by marts.indicator_benchmarks (all values) and
  marts.published_indicator_benchmarks (after disclosure control).

  england_value   the England row (E92000001) of the same indicator, period and breakdown
  region_value    the row of the LA's region, dim_local_authority.region_code (E12 codes; London is E12000007,
                  so the Inner / Outer London E13 rows some files carry are never a region_value)
  sn_model        the statistical neighbour model in force for the period (models named by their year):
                  the latest model whose year is no later than the period's end year (2025 from 2025, 2021
                  for 2021-2024); for an earlier period, the earliest model loaded, sn_model saying so
                  ('2021 (earliest loaded; none in force for the period)') and sn_model_note why.
                  An LA with no neighbours in that model (a new or a former LA) takes the nearest model that
                  has it (sn_model_note says so); null when it has none
  sn_mean,        mean and median (the mean of the two middle values for an even count) of the values of
  sn_median,      those of its ten neighbours that have a value for the same indicator, period and breakdown,
  sn_count        rounded to 4 decimals; sn_count of them (0, with null mean and median, when none has). A
                  neighbour with no row for the period because it did not exist then (a successor before,
                  or a predecessor after, a reorganisation) takes its predecessors' / successors' figures
                  (mapped_la_values below); sn_mapping lists such substitutions ('838 from 835'). Two
                  neighbours mapped to the same LA count once
  rank, rank_of   rank() among all LAs with a value for the same indicator, period and breakdown, 1 = best by
                  the catalogue's polarity; ties share the lower rank (values 1, 2, 2, 4); rank_of = the number
                  of LAs with a value. Rank and quartile_band are null, and rank_note says why, for a null
                  value, a count (it measures an LA's size), an indicator the catalogue marks not ranked
                  (not_ranked_because), no polarity, or fewer than var('rank_min_las', 100) LAs with a value
  quartile_band   'A' best .. 'D' worst: the quarter the rank falls in, ceil(4 * rank / rank_of)
                  (1 = A .. 4 = D), so tied LAs share a band; null whenever rank is
  threshold, rag  from int_indicator_thresholds: 'green' when the value meets the threshold (<= when lower
                  is better, >= when higher is better), 'red' when not; 'amber' is not used
  Rows are stored in LA order (la_code, indicator_code, time_period, breakdown).
  Periods (period_end_date): a time_period of 4 digits is a year ending 31 March of that year; 6 digits with a
  '/' in period_label an academic year (201920 ends 31 August 2020); other 6 digits a month (its last day).
-#}
{% macro indicator_benchmarks(values_model) %}
{% set min_las = var('rank_min_las', 100) %}
with catalogue as (
    select indicator_code, title, domain, unit, polarity, not_ranked_because from {{ ref('indicator_catalogue') }}
),

all_values as (
    select * from {{ ref(values_model) }}
    -- in an incremental build, the indicators whose inputs changed (macros/incremental_by_key.sql)
    where {{ incremental_keys_filter('indicator_code', 'indicator_code') }}
),

local_authorities as (
    select la_code, la_name, region_code from {{ ref('dim_local_authority') }}
),

neighbours as (
    select la_code, neighbour_la_code, sn_model from {{ ref('dim_statistical_neighbours') }}
),

-- the models loaded, each named by its year ('2021', '2025', or an older model from raw/reference/)
sn_models as (
    select distinct sn_model, try_cast(left(sn_model, 4) as integer) as model_year
    from neighbours
    where try_cast(left(sn_model, 4) as integer) is not null
),

models_of_la as (
    select distinct neighbours.la_code, sn_models.sn_model, sn_models.model_year
    from neighbours
    inner join sn_models on neighbours.sn_model = sn_models.sn_model
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
        all_values.numerator,
        all_values.denominator,
        catalogue.title,
        catalogue.domain,
        catalogue.unit,
        catalogue.polarity,
        catalogue.not_ranked_because,
        {{ period_end_date('all_values.time_period', 'all_values.period_label') }} as period_end_date
    from all_values
    left join catalogue on all_values.indicator_code = catalogue.indicator_code
    where all_values.geography_level = 'local_authority' and all_values.la_code is not null
),

mapped as (
    {{ mapped_la_values('la_values') }}
),

periods as (
    select distinct time_period, period_end_date, year(period_end_date) as period_end_year from la_values
),

model_in_force as (
    select
        periods.time_period,
        periods.period_end_date,
        coalesce(
            max(sn_models.model_year) filter (where sn_models.model_year <= periods.period_end_year),
            min(sn_models.model_year)
        ) as model_year,
        max(sn_models.model_year) filter (where sn_models.model_year <= periods.period_end_year) is null
            as before_every_model
    from periods
    cross join sn_models
    group by all
),

-- the model of each LA and period (it depends on nothing else), chosen once per LA and period
la_periods as (
    select distinct la_code, time_period, period_end_date from la_values
),

la_period_model as (
    select
        la_periods.la_code,
        la_periods.time_period,
        la_periods.period_end_date,
        la_model.sn_model,
        -- the sn_model shown: for a period before every model loaded it says the earliest is used
        case
            when model_in_force.before_every_model and la_model.model_year = model_in_force.model_year
                then la_model.sn_model || ' (earliest loaded; none in force for the period)'
            else la_model.sn_model
        end as sn_model_shown,
        case
            when la_model.sn_model is null then null
            when la_model.model_year != model_in_force.model_year
                then 'the LA is not in the ' || model_in_force.model_year || ' model in force: the '
                || la_model.model_year || ' model is used'
            when model_in_force.before_every_model
                then 'no model for ' || year(la_periods.period_end_date) || ' is loaded: the earliest, '
                || la_model.model_year || ', is used'
        end as sn_model_note
    from la_periods
    left join model_in_force
        on la_periods.time_period = model_in_force.time_period
        and la_periods.period_end_date = model_in_force.period_end_date
    left join models_of_la as la_model on la_periods.la_code = la_model.la_code
    -- the model in force where the LA is in it, else the nearest model (the later of two as near)
    qualify row_number() over (
        partition by la_periods.la_code, la_periods.time_period, la_periods.period_end_date
        order by abs(la_model.model_year - model_in_force.model_year), la_model.model_year desc, la_model.sn_model
    ) = 1
),

chosen_model as (
    select
        la_values.*,
        la_period_model.sn_model,
        la_period_model.sn_model_shown,
        la_period_model.sn_model_note
    from la_values
    left join la_period_model
        on la_values.la_code = la_period_model.la_code
        and la_values.time_period = la_period_model.time_period
        and la_values.period_end_date = la_period_model.period_end_date
),

-- each value's neighbours in its model: (indicator, LA, period, breakdown) and the neighbour's code
cell_neighbours as (
    select
        chosen_model.indicator_code,
        chosen_model.la_code,
        chosen_model.time_period,
        chosen_model.breakdown,
        neighbours.neighbour_la_code
    from chosen_model
    -- a neighbour listed twice in a model counts once
    inner join (select distinct la_code, neighbour_la_code, sn_model from neighbours) as neighbours
        on chosen_model.la_code = neighbours.la_code and chosen_model.sn_model = neighbours.sn_model
),

-- a neighbour's own value
neighbour_own as (
    select
        cell_neighbours.indicator_code,
        cell_neighbours.la_code,
        cell_neighbours.time_period,
        cell_neighbours.breakdown,
        la_values.la_code as source_key,
        la_values.value
    from cell_neighbours
    inner join la_values
        on cell_neighbours.neighbour_la_code = la_values.la_code
        and cell_neighbours.indicator_code = la_values.indicator_code
        and cell_neighbours.time_period = la_values.time_period
        and cell_neighbours.breakdown = la_values.breakdown
    where la_values.value is not null and la_values.la_code != cell_neighbours.la_code
),

-- a neighbour's predecessors' / successors' figures (few rows): two neighbours mapped to the same LA, or
-- mapped to an LA that is itself a neighbour with a value, count once
neighbour_mapped as (
    select
        cell_neighbours.indicator_code,
        cell_neighbours.la_code,
        cell_neighbours.time_period,
        cell_neighbours.breakdown,
        mapped.mapped_from as source_key,
        any_value(mapped.value) as value,
        string_agg(
            cell_neighbours.neighbour_la_code || ' from ' || mapped.mapped_from, ', '
            order by cell_neighbours.neighbour_la_code
        ) as mapping_used
    from cell_neighbours
    inner join mapped
        on cell_neighbours.neighbour_la_code = mapped.la_code
        and cell_neighbours.indicator_code = mapped.indicator_code
        and cell_neighbours.time_period = mapped.time_period
        and cell_neighbours.breakdown = mapped.breakdown
    -- an LA is never its own neighbour through a mapping (835's neighbour 838 before 2019 is 835 itself)
    where mapped.value is not null
        and not list_contains(string_split(mapped.mapped_from, '+'), cell_neighbours.la_code)
    group by all
),

neighbour_mapped_once as (
    select neighbour_mapped.*
    from neighbour_mapped
    left join neighbour_own
        on {{ same_cell('neighbour_mapped', 'neighbour_own', ['indicator_code', 'la_code', 'time_period', 'breakdown', 'source_key']) }}
    where neighbour_own.source_key is null
),

neighbour_stats as (
    select
        indicator_code,
        la_code,
        time_period,
        breakdown,
        -- summed exactly (as decimals), so the mean rounds the same whatever order the values are added in
        round(avg(cast(value as decimal(38, 10))), 4) as sn_mean,
        round(median(value), 4) as sn_median,
        count(value) as sn_count
    from (
        select indicator_code, la_code, time_period, breakdown, value from neighbour_own
        union all
        select indicator_code, la_code, time_period, breakdown, value from neighbour_mapped_once
    )
    group by all
),

neighbour_mappings as (
    select
        indicator_code,
        la_code,
        time_period,
        breakdown,
        string_agg(mapping_used, ', ' order by mapping_used) as sn_mapping
    -- every substitution made, also one whose LA counted once as a neighbour of its own
    from neighbour_mapped
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
        end as value_rank,
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
),

benchmarked as (
    select
        chosen_model.*,
        england.value as england_value,
        regions.value as region_value,
        neighbour_stats.sn_mean,
        neighbour_stats.sn_median,
        neighbour_stats.sn_count,
        neighbour_mappings.sn_mapping,
        ranked.value_rank,
        coalesce(max(ranked.rank_of) over (
            partition by chosen_model.indicator_code, chosen_model.time_period, chosen_model.breakdown
        ), 0) as las_with_value,
        case
            when chosen_model.value is null
                then 'no value' || coalesce(' (' || chosen_model.status_symbol || ')', '')
            when chosen_model.unit = 'count' then 'not ranked: a count, which measures the size of an LA'
            when chosen_model.not_ranked_because is not null
                then 'not ranked: ' || chosen_model.not_ranked_because
            when chosen_model.polarity not in ('lower is better', 'higher is better')
                then 'not ranked: the indicator has no polarity'
        end as indicator_note,
        local_authorities.la_name,
        local_authorities.region_code,
        thresholds.threshold,
        thresholds.threshold_verified
    from chosen_model
    left join local_authorities on chosen_model.la_code = local_authorities.la_code
    left join england on {{ same_cell('chosen_model', 'england', ['indicator_code', 'time_period', 'breakdown']) }}
    left join regions
        on local_authorities.region_code = regions.area_code
        and chosen_model.indicator_code = regions.indicator_code
        and chosen_model.time_period = regions.time_period
        and chosen_model.breakdown = regions.breakdown
    left join neighbour_stats on {{ same_cell('chosen_model', 'neighbour_stats') }}
    left join neighbour_mappings on {{ same_cell('chosen_model', 'neighbour_mappings') }}
    left join ranked on {{ same_cell('chosen_model', 'ranked') }}
    left join thresholds on {{ same_cell('chosen_model', 'thresholds', ['indicator_code', 'la_code', 'time_period']) }}
),

noted as (
    select
        *,
        coalesce(
            indicator_note,
            case
                when las_with_value < {{ min_las }}
                    then 'not ranked: ' || las_with_value || ' LAs have a value, fewer than {{ min_las }}'
            end
        ) as rank_note
    from benchmarked
)

select
    indicator_code,
    la_code,
    time_period,
    breakdown,
    value,
    england_value,
    region_value,
    sn_mean,
    sn_median,
    cast(coalesce(sn_count, 0) as integer) as sn_count,
    sn_model_shown as sn_model,
    cast(case when rank_note is null then value_rank end as integer) as rank,
    cast(las_with_value as integer) as rank_of,
    case
        when rank_note is null
            then chr(cast(64 + (4 * value_rank + las_with_value - 1) // las_with_value as integer))
    end as quartile_band,
    threshold,
    case
        when threshold is null or value is null then null
        when polarity = 'lower is better' then case when value <= threshold then 'green' else 'red' end
        when polarity = 'higher is better' then case when value >= threshold then 'green' else 'red' end
    end as rag,
    la_name,
    region_code,
    period_label,
    title,
    unit,
    polarity,
    status_symbol,
    threshold_verified,
    rank_note,
    sn_model_note,
    sn_mapping
from noted
-- stored in LA order: an analyst's query for one LA then reads only that LA's row groups (DuckDB skips the
-- others by their min / max la_code), about 4 times faster at national scale (docs/performance.md)
order by la_code, indicator_code, time_period, breakdown
{% endmacro %}


{#- The join condition of two relations on the same indicator, LA, period and breakdown (or `columns`). -#}
{% macro same_cell(left, right, columns=['indicator_code', 'la_code', 'time_period', 'breakdown']) %}
{%- for column in columns %}{{ left }}.{{ column }} = {{ right }}.{{ column }}{% if not loop.last %} and {% endif %}{% endfor -%}
{% endmacro %}


{#- The last day of an indicator_values period (see indicator_benchmarks). -#}
{% macro period_end_date(time_period, period_label) %}
case
    when {{ time_period }} < 10000 then make_date(cast({{ time_period }} as integer), 3, 31)
    when {{ period_label }} like '%/%' then make_date(cast({{ time_period }} // 100 + 1 as integer), 8, 31)
    else last_day(make_date(cast({{ time_period }} // 100 as integer), cast({{ time_period }} % 100 as integer), 1))
end
{% endmacro %}


{#-
  Figures for an LA in a period when it did not exist, from the LAs it was reorganised from or into
  (marts.la_successions, the rows with stands_for_successor): a successor before change_date takes its
  predecessors' figures, a predecessor from change_date its successors'. `la_values` is a relation with
  indicator_code, la_code, time_period, period_label, breakdown, value, numerator, denominator, domain, unit
  and period_end_date. Never an LA's own judgement: no grade and nothing of the Inspection domain (the yes /
  no ofsted_good_or_better_pct), so a new LA is not given its predecessor's Ofsted grade
  (marts.ofsted_grades_in_force). Only where the LA has no row of its own for the indicator, period and breakdown (a
  suppressed row stays suppressed). From one LA: its value, except a count, which is taken only from an LA
  that went whole to it; from several (Bournemouth and Poole for BCP; Cumberland and Westmorland and Furness
  for Cumbria): the pooled rate sum(numerator) / sum(denominator) (x 100 for '%' and 'rate per 100') where
  every one has both, else nothing; never a count or a grade. mapped_from: the codes used, '+'-joined;
  from_predecessors: true for a successor's figures before its change (false: a predecessor's after it).
-#}
{% macro mapped_la_values(la_values) %}
    with successions as (
        select predecessor_la_code, successor_la_code, change_date, whole_area
        from {{ ref('la_successions') }}
        where stands_for_successor
    ),

    edges as (
        select successor_la_code as target_la_code, predecessor_la_code as source_la_code, change_date,
            whole_area, true as before_change
        from successions
        union all
        select predecessor_la_code, successor_la_code, change_date, whole_area, false
        from successions
    ),

    candidates as (
        select edges.target_la_code, edges.whole_area, edges.before_change, source.*
        from edges
        inner join {{ la_values }} as source
            on edges.source_la_code = source.la_code
            and (source.period_end_date < edges.change_date) = edges.before_change
        -- an LA's own judgement (a grade; the Inspection domain's yes / no Good or better) is never another's
        where source.unit is distinct from 'grade'
        and source.domain is distinct from 'Inspection'
        and not exists (
            select 1 from {{ la_values }} as own
            where own.la_code = edges.target_la_code
            and own.indicator_code = source.indicator_code
            and own.time_period = source.time_period
            and own.breakdown = source.breakdown
        )
    )

    select
        indicator_code,
        target_la_code as la_code,
        time_period,
        breakdown,
        any_value(period_label) as period_label,
        any_value(unit) as unit,
        string_agg(la_code, '+' order by la_code) as mapped_from,
        bool_or(before_change) as from_predecessors,
        case
            when count(*) = 1 and (any_value(unit) != 'count' or bool_and(whole_area)) then any_value(value)
            when any_value(unit) in ('count', 'grade') then null
            when count(numerator) = count(*) and count(denominator) = count(*) and sum(denominator) > 0
                then sum(numerator) / sum(denominator)
                * case when any_value(unit) in ('%', 'rate per 100') then 100 else 1 end
        end as value
    from candidates
    group by indicator_code, target_la_code, time_period, breakdown
{% endmacro %}
