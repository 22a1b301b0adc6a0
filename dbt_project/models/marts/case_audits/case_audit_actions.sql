-- One row per follow-up action whose audit exists and that was not completed before its audit.
select
    action_id,
    audit_id,
    action_type,
    owner_team,
    due_date,
    cast(date_trunc('month', due_date) as date) as due_month,
    completed_date,
    completed_date is null as is_open,
    case when completed_date is not null then completed_date <= due_date end as completed_on_time,
    cast(completed_date - audit_date as integer) as days_to_complete,
    case when completed_date > due_date then cast(completed_date - due_date as integer) end as days_late,
    source_file,
    source_row_number
from {{ ref('int_case_audit_actions_validated') }}
where rejection_reason is null
