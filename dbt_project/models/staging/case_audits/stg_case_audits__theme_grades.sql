-- Theme grades (the grade_* columns of the audits table), one row per audit, theme and file.
select
    audit_id,
    theme,
    grade as grade_label,
    {{ grade_rank('grade') }} as grade_rank,
    _file_path as source_file,
    _row_number as source_row_number
from {{ source('case_audits', 'case_audit_theme_grades') }}
