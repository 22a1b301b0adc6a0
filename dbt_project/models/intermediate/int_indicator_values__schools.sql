{{ config(materialized='table') }}
-- School absence and exclusions indicators (../shared/spec/indicators.md) in the indicator_values shape.
-- Each indicator takes the first of its source columns present in a file row; numerator and denominator
-- come from the same row. Where several files give the same indicator, area, period and breakdown, the
-- newest release wins (as int_school_statistics_deduplicated). A table: indicator_values and the two wide
-- marts all read it.
{% set sources = [
    ('absence_overall_rate', 'sess_overall_percent', 1),
    ('absence_overall_rate', 'pt_overall', 3),
    ('absence_persistent_rate', 'enrolments_pa_10_exact_percent', 1),
    ('absence_persistent_rate', 'pt_pupils_pa_10_exact', 2),
    ('absence_persistent_rate', 'pt_enrolments_pa_10_exact', 3),
    ('absence_persistent_rate_15pct', 'enrolments_pa_15_exact_percent', 1),
    ('absence_persistent_rate_15pct', 'enrolments_pa_15_percent', 2),
    ('absence_persistent_rate_15pct', 'pt_pupils_pa_15_exact', 3),
    ('absence_persistent_rate_15pct', 'pt_enrolments_pa_15_exact', 4),
    ('exclusions_permanent', 'perm_excl', 1),
    ('exclusions_permanent_rate', 'perm_excl_rate', 1),
    ('exclusions_suspensions', 'suspension', 1),
    ('exclusions_suspensions', 'fixed_excl', 2),
    ('exclusions_suspension_rate', 'susp_rate', 1),
    ('exclusions_suspension_rate', 'fixed_excl_rate', 2),
    ('exclusions_one_plus_suspension_rate', 'one_plus_susp_rate', 1),
    ('exclusions_one_plus_suspension_rate', 'one_plus_fixed_rate', 2),
    ('exclusions_one_plus_suspension_rate', 'one_or_more_fixed_excl_rate', 3),
] %}
{% set parts = [
    ('absence_overall_rate', 'numerator', 'sess_overall', 1),
    ('absence_overall_rate', 'numerator', 't_sess_overall', 2),
    ('absence_overall_rate', 'denominator', 'sess_possible', 1),
    ('absence_overall_rate', 'denominator', 't_sess_possible', 2),
    ('absence_persistent_rate', 'numerator', 'enrolments_pa_10_exact', 1),
    ('absence_persistent_rate', 'numerator', 't_pupils_pa_10_exact', 2),
    ('absence_persistent_rate', 'denominator', 'enrolments', 1),
    ('absence_persistent_rate', 'denominator', 't_pupils', 2),
    ('absence_persistent_rate_15pct', 'numerator', 'enrolments_pa_15_exact', 1),
    ('absence_persistent_rate_15pct', 'numerator', 't_pupils_pa_15_exact', 2),
    ('absence_persistent_rate_15pct', 'denominator', 'enrolments', 1),
    ('absence_persistent_rate_15pct', 'denominator', 't_pupils', 2),
    ('exclusions_permanent_rate', 'numerator', 'perm_excl', 1),
    ('exclusions_permanent_rate', 'denominator', 'headcount', 1),
    ('exclusions_permanent_rate', 'denominator', 'enrolments', 2),
    ('exclusions_suspension_rate', 'numerator', 'suspension', 1),
    ('exclusions_suspension_rate', 'numerator', 'fixed_excl', 2),
    ('exclusions_suspension_rate', 'denominator', 'headcount', 1),
    ('exclusions_suspension_rate', 'denominator', 'enrolments', 2),
    ('exclusions_one_plus_suspension_rate', 'numerator', 'one_plus_susp', 1),
    ('exclusions_one_plus_suspension_rate', 'numerator', 'one_plus_fixed', 2),
    ('exclusions_one_plus_suspension_rate', 'denominator', 'headcount', 1),
    ('exclusions_one_plus_suspension_rate', 'denominator', 'enrolments', 2),
] %}

with cells as (
    select * from {{ ref('stg_school_statistics__values') }}
),

source_columns as (
    select * from (
        values
        {% for code, column, priority in sources %}
        ('{{ code }}', '{{ column }}', {{ priority }}){% if not loop.last %},{% endif %}
        {% endfor %}
    ) as t (indicator_code, indicator, priority)
),

part_columns as (
    select * from (
        values
        {% for code, role, column, priority in parts %}
        ('{{ code }}', '{{ role }}', '{{ column }}', {{ priority }}){% if not loop.last %},{% endif %}
        {% endfor %}
    ) as t (indicator_code, part, indicator, priority)
),

direct as (
    select
        source_columns.indicator_code,
        source_columns.priority,
        cells.source,
        cells.source_file,
        cells.source_row_number,
        cells.file_layout,
        cells.area_code,
        cells.area_name,
        cells.geography_level,
        cells.la_code,
        cells.time_period,
        cells.period_label,
        cells.breakdown,
        cells.value,
        cells.status_symbol
    from cells
    inner join source_columns on cells.indicator = source_columns.indicator
),

-- absence_overall_rate where a file has the sessions but not the rate: sess_overall / sess_possible * 100.
computed_absence as (
    select
        'absence_overall_rate' as indicator_code,
        2 as priority,
        overall.source,
        overall.source_file,
        overall.source_row_number,
        overall.file_layout,
        overall.area_code,
        overall.area_name,
        overall.geography_level,
        overall.la_code,
        overall.time_period,
        overall.period_label,
        overall.breakdown,
        case when possible.value > 0 then overall.value / possible.value * 100 end as value,
        case
            when overall.status_symbol is not null then overall.status_symbol
            when possible.status_symbol is not null then possible.status_symbol
            when possible.value = 0 then 'z'
        end as status_symbol
    from cells as overall
    inner join cells as possible
        on overall.source_file = possible.source_file
        and overall.source_row_number = possible.source_row_number
        and possible.indicator = 'sess_possible'
    where overall.indicator = 'sess_overall'
),

candidates as (
    select * from direct
    union all by name
    select * from computed_absence
),

first_present as (
    select *
    from candidates
    qualify row_number() over (
        partition by source_file, source_row_number, indicator_code order by priority
    ) = 1
),

row_parts as (
    select
        part_columns.indicator_code,
        cells.source_file,
        cells.source_row_number,
        part_columns.part,
        cells.value
    from cells
    inner join part_columns on cells.indicator = part_columns.indicator
    qualify row_number() over (
        partition by cells.source_file, cells.source_row_number, part_columns.indicator_code, part_columns.part
        order by part_columns.priority
    ) = 1
),

files as (
    select
        source_file,
        max(case when time_period < 10000 then time_period * 100 else time_period end) as latest_period,
        min(case when file_layout = 'ees' then 0 else 1 end) as layout_rank
    from cells
    group by source_file
),

valued as (
    select
        first_present.*,
        numerators.value as numerator,
        denominators.value as denominator,
        files.latest_period,
        files.layout_rank
    from first_present
    inner join files on first_present.source_file = files.source_file
    left join row_parts as numerators
        on first_present.source_file = numerators.source_file
        and first_present.source_row_number = numerators.source_row_number
        and first_present.indicator_code = numerators.indicator_code
        and numerators.part = 'numerator'
    left join row_parts as denominators
        on first_present.source_file = denominators.source_file
        and first_present.source_row_number = denominators.source_row_number
        and first_present.indicator_code = denominators.indicator_code
        and denominators.part = 'denominator'
)

select
    indicator_code,
    area_code,
    area_name,
    geography_level,
    la_code,
    time_period,
    period_label,
    breakdown,
    cast(value as double) as value,
    status_symbol,
    cast(numerator as double) as numerator,
    cast(denominator as double) as denominator,
    source_file
from valued
qualify row_number() over (
    partition by indicator_code, area_code, time_period, breakdown
    order by latest_period desc, layout_rank asc, source_file desc, source_row_number asc
) = 1
