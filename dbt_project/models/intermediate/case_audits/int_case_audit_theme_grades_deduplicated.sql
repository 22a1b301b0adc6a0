-- Theme grades of the audit rows that won the deduplication: one row per audit and theme.
select
    grades.audit_id,
    grades.theme,
    grades.grade_label,
    grades.grade_rank,
    grades.source_file,
    grades.source_row_number
from {{ ref('stg_case_audits__theme_grades') }} as grades
inner join {{ ref('int_case_audits_deduplicated') }} as audits
    on grades.audit_id = audits.audit_id
    and grades.source_file = audits.source_file
    and grades.source_row_number = audits.source_row_number
