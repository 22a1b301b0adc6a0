-- Audit rows as loaded from every export file, typed. The same audit may be in several exports.
select
    audit_id,
    child_key,
    la_code,
    cast(audit_date as date) as audit_date,
    team,
    case_type,
    auditor_type,
    overall_grade as overall_grade_label,
    {{ grade_rank('overall_grade') }} as overall_grade_rank,
    cp_plan_needed = 'Y' as cp_plan_needed,
    case assessment_up_to_date when 'Y' then true when 'N' then false end as assessment_up_to_date,
    _file_path as source_file,
    _row_number as source_row_number
from {{ source('case_audits', 'case_audit_rows') }}
