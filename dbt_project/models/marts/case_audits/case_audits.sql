-- One row per case-file audit of the home LA, with the number of follow-up actions it raised.
with actions as (
    select audit_id, count(*) as actions_raised
    from {{ ref('int_case_audit_actions_validated') }}
    where rejection_reason is null
    group by audit_id
)

select
    audits.audit_id,
    audits.child_key,
    audits.la_code,
    audits.audit_date,
    cast(date_trunc('month', audits.audit_date) as date) as audit_month,
    audits.team,
    audits.case_type,
    audits.auditor_type,
    audits.overall_grade_label,
    audits.overall_grade_rank,
    audits.cp_plan_needed,
    audits.assessment_up_to_date,
    cast(coalesce(actions.actions_raised, 0) as integer) as actions_raised,
    audits.source_file,
    audits.source_row_number
from {{ ref('int_case_audits_deduplicated') }} as audits
left join actions on audits.audit_id = actions.audit_id
