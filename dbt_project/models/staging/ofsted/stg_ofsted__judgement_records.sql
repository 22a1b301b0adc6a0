-- Judgement records for the older frameworks (SLAC, CP, SIF) and hand-keyed reports.
select
    la_code,
    upper(trim(framework)) as framework,
    coalesce(inspection_type, upper(trim(framework)) || ' inspection') as inspection_type,
    cast(inspection_start_date as date) as inspection_start_date,
    cast(inspection_end_date as date) as inspection_end_date,
    cast(publication_date as date) as publication_date,
    trim(service_area) as service_area,
    trim(judgement_area) as judgement_area,
    trim(grade) as grade_label,
    {{ grade_rank('grade') }} as grade_rank,
    4 as source_priority,
    _file_path as source_file,
    _row_number as source_row_number
from {{ source('ofsted', 'ofsted_judgement_records') }}
