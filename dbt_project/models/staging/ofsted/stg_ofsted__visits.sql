-- Monitoring and focused visits from the in-year sheets: dated events without a grade.
select
    la_code,
    trim(inspection_type) as visit_type,
    cast(inspection_date as date) as visit_date,
    cast(publication_date as date) as publication_date,
    nullif(trim(visit_theme), '') as visit_theme,
    _file_path as source_file,
    _row_number as source_row_number
from {{ source('ofsted', 'ofsted_workbook_rows') }}
where
    lower(inspection_type) like '%visit%'
    and inspection_date is not null
    and coalesce(
        overall_effectiveness, impact_of_leaders, help_and_protection, children_in_care,
        care_leavers
    ) is null
