-- One row per inspection of an LA with an overall effectiveness judgement, and the grade that stands for the
-- LA (int_ofsted_overall_judgements, the one definition: for SLAC the worse of its safeguarding and looked
-- after children judgements; never an LSCB review or a safeguarding children partnership's). Published for
-- readers such as the committee report, which must not work the grade out again.
select
    la_code,
    inspection_id,
    framework,
    inspection_type,
    inspection_start_date,
    publication_date,
    overall_grade_label,
    cast(overall_grade_rank as integer) as overall_grade_rank,
    source_file
from {{ ref('int_ofsted_overall_judgements') }}
