{{ config(meta={'dagster': {'ref': {'name': 'indicator_values'}}}) }}
-- The monthly totals add up to the marts: audits completed, and actions due, in every month.
with indicator_totals as (
    select time_period, indicator_code, value, denominator
    from {{ ref('indicator_values') }}
    where breakdown = 'Total' and indicator_code in ('case_audits_completed', 'case_audit_actions_on_time_pct')
),

mart_totals as (
    select
        cast(strftime(audit_month, '%Y%m') as integer) as time_period, 'case_audits_completed' as indicator_code,
        cast(count(*) as double) as expected
    from {{ ref('case_audits') }}
    group by all
    union all
    select cast(strftime(due_month, '%Y%m') as integer), 'case_audit_actions_on_time_pct', cast(count(*) as double)
    from {{ ref('case_audit_actions') }}
    group by all
)

-- using, not on: the full join's time_period and indicator_code are then one column each, from either side.
select *  -- noqa: RF02
from mart_totals
full join indicator_totals using (time_period, indicator_code)  -- noqa: ST07
where coalesce(
    case indicator_code when 'case_audits_completed' then indicator_totals.value else indicator_totals.denominator end,
    -1
) <> coalesce(mart_totals.expected, -1)
