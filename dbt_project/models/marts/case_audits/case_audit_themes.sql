-- One row per theme grade of an audit (the grade_* columns of the export, e.g. theme 'planning').
select
    audit_id,
    theme,
    grade_label,
    grade_rank,
    source_file
from {{ ref('int_case_audit_theme_grades_deduplicated') }}
