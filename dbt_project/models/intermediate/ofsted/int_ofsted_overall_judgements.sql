-- One row per inspection of an LA's children's services with an overall effectiveness judgement: the grade
-- that stands for the LA (indicators.md, "Ofsted"). SLAC graded safeguarding and looked after children
-- separately: the worse of the two stands for the inspection. A review of the Local Safeguarding Children
-- Board (LSCB, judged alongside SIF inspections) judges the board, not the LA: never an overall grade here.
with overall as (
    select *
    from {{ ref('inspection_judgements') }}
    where
        lower(trim(judgement_area)) = 'overall effectiveness'
        and not {{ is_lscb_judgement('service_area') }}
        and not {{ is_lscb_judgement('judgement_area') }}
        and not {{ is_lscb_judgement('inspection_type') }}
        and not {{ is_lscb_judgement('framework') }}
)

select
    la_code,
    inspection_id,
    framework,
    any_value(inspection_type) as inspection_type,
    inspection_start_date,
    publication_date,
    max(grade_rank) as overall_grade_rank,
    arg_max(grade_label, grade_rank) as overall_grade_label,
    any_value(source_file) as source_file
from overall
group by la_code, inspection_id, framework, inspection_start_date, publication_date
