-- Case-audit indicators of the home LA by month, in total and by team, in the indicator_values shape.
--   case_audits_completed            audits dated in the month
--   case_audits_good_or_better_pct   % of those audits graded Outstanding or Good
--   case_audits_inadequate_pct       % of those audits graded Inadequate
--   case_audits_cp_plan_needed       audits finding that the child should be on a child protection plan and is not
--   case_audit_actions_on_time_pct   % of the actions due in the month that were completed by their due date
--                                    (an action still open counts as not on time)
-- The team of an audit is the team holding the case; the team of an action is its owner_team (the audit's
-- team where owner_team is blank). Percentages are rounded to one decimal; numerator and denominator are exact.
with audits as (
    select
        la_code,
        audit_month as month,
        team,
        overall_grade_rank,
        cp_plan_needed,
        source_file
    from {{ ref('case_audits') }}
),

actions as (
    select
        audits.la_code,
        actions.due_month as month,
        coalesce(actions.owner_team, audits.team) as team,
        coalesce(actions.completed_on_time, false) as on_time,
        actions.source_file
    from {{ ref('case_audit_actions') }} as actions
    inner join {{ ref('case_audits') }} as audits on actions.audit_id = audits.audit_id
),

audit_groups as (
    select *, 'Total' as breakdown from audits
    union all
    select *, 'team=' || team as breakdown from audits
    where team is not null
),

action_groups as (
    select *, 'Total' as breakdown from actions
    union all
    select *, 'team=' || team as breakdown from actions
    where team is not null
),

audit_counts as (
    select
        la_code,
        month,
        breakdown,
        count(*) as audits,
        count(*) filter (where overall_grade_rank <= 2) as good_or_better,
        count(*) filter (where overall_grade_rank = 4) as inadequate,
        count(*) filter (where cp_plan_needed) as cp_plan_needed,
        string_agg(distinct source_file, '; ' order by source_file) as source_file
    from audit_groups
    group by la_code, month, breakdown
),

action_counts as (
    select
        la_code,
        month,
        breakdown,
        count(*) as due,
        count(*) filter (where on_time) as on_time,
        string_agg(distinct source_file, '; ' order by source_file) as source_file
    from action_groups
    group by la_code, month, breakdown
),

indicator_rows as (
    select
        'case_audits_completed' as indicator_code, la_code, month, breakdown,
        cast(audits as double) as value, cast(null as double) as numerator, cast(null as double) as denominator,
        source_file
    from audit_counts
    union all
    select
        'case_audits_good_or_better_pct', la_code, month, breakdown,
        round(100.0 * good_or_better / audits, 1), good_or_better, audits, source_file
    from audit_counts
    union all
    select
        'case_audits_inadequate_pct', la_code, month, breakdown,
        round(100.0 * inadequate / audits, 1), inadequate, audits, source_file
    from audit_counts
    union all
    select
        'case_audits_cp_plan_needed', la_code, month, breakdown,
        cp_plan_needed, null, null, source_file
    from audit_counts
    union all
    select
        'case_audit_actions_on_time_pct', la_code, month, breakdown,
        round(100.0 * on_time / due, 1), on_time, due, source_file
    from action_counts
)

select
    indicator_rows.indicator_code,
    indicator_rows.la_code as area_code,
    las.la_name as area_name,
    'local_authority' as geography_level,
    indicator_rows.la_code,
    cast(strftime(indicator_rows.month, '%Y%m') as integer) as time_period,
    strftime(indicator_rows.month, '%Y-%m') as period_label,
    indicator_rows.breakdown,
    cast(indicator_rows.value as double) as value,
    -- a percentage of no audits or no actions due has no value: 'z', not applicable
    case when indicator_rows.value is null then 'z' end as status_symbol,
    cast(indicator_rows.numerator as double) as numerator,
    cast(indicator_rows.denominator as double) as denominator,
    indicator_rows.source_file
from indicator_rows
left join {{ ref('dim_local_authority') }} as las on indicator_rows.la_code = las.la_code
