-- One row per graded Ofsted judgement, every framework and vintage, grades on one scale.
select
    la_code,
    inspection_id,
    framework,
    inspection_type,
    inspection_start_date,
    inspection_end_date,
    publication_date,
    service_area,
    judgement_area,
    grade_label,
    grade_rank,
    source_file,
    source_row_number,
    inspection_start_date_known,
    publication_date_known,
    copies,
    publication_date_disagreement,
    grade_disagreement
from {{ ref('int_inspection_judgements_deduplicated') }}
