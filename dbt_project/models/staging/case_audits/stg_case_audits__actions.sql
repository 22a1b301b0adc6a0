-- Follow-up actions as loaded from every export file, typed. The free-text description is never loaded.
select
    action_id,
    audit_id,
    action_type,
    owner_team,
    cast(due_date as date) as due_date,
    cast(completed_date as date) as completed_date,
    _file_path as source_file,
    _sheet as source_sheet,
    _row_number as source_row_number
from {{ source('case_audits', 'case_audit_action_rows') }}
