-- Ofsted's wide history sheets, one row per graded judgement (SLAC, CP, TLAC, SIF, ILACS), typed.
-- Most give only the publication date: the inspection start date is filled from other files later.
select
    la_code,
    framework,
    inspection_type,
    cast(inspection_date as date) as inspection_start_date,
    cast(null as date) as inspection_end_date,
    cast(publication_date as date) as publication_date,
    service_area,
    judgement_area,
    trim(grade) as grade_label,
    {{ grade_rank('grade', digits=true) }} as grade_rank,
    1 as source_priority,
    _file_path as source_file,
    _row_number as source_row_number
from {{ source('ofsted', 'ofsted_history_judgements') }}
where grade is not null
