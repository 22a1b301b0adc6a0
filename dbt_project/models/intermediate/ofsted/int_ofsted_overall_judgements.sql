-- One row per inspection of an LA's children's services with an overall effectiveness judgement: the grade
-- that stands for the LA (indicators.md, "Ofsted"). SLAC graded safeguarding and looked after children
-- separately: the worse of the two stands for the inspection. A SLAC re-inspection of one of them (its
-- inspection_type names it: "re-inspection of safeguarding") leaves the other standing: its grade is the
-- worse of the re-inspected strand's new judgement and the other strand's latest judgement published by
-- then. A review of the Local Safeguarding Children Board (LSCB, judged alongside SIF inspections) judges the
-- board, and a targeted looked after children inspection (TLAC, 2013) one service: never an overall grade.
with overall as (
    select *
    from {{ ref('inspection_judgements') }}
    where
        lower(trim(judgement_area)) = 'overall effectiveness'
        and not {{ is_lscb_judgement('service_area') }}
        and not {{ is_lscb_judgement('judgement_area') }}
        and not {{ is_lscb_judgement('inspection_type') }}
        and not {{ is_lscb_judgement('framework') }}
        and not {{ is_tlac_judgement('framework') }}
        and not {{ is_tlac_judgement('inspection_type') }}
),

slac_reinspections as (
    select distinct la_code, inspection_id, framework, inspection_type, inspection_start_date, publication_date
    from overall
    where framework = 'SLAC' and coalesce(contains(lower(inspection_type), 're-inspection'), false)
),

-- for each SLAC re-inspection, the latest earlier judgement of every strand it did not re-inspect
carried_strands as (
    select
        reinspection.la_code,
        reinspection.inspection_id,
        reinspection.framework,
        reinspection.inspection_type,
        reinspection.inspection_start_date,
        reinspection.publication_date,
        earlier.grade_rank,
        earlier.grade_label,
        cast(null as varchar) as source_file
    from slac_reinspections as reinspection
    inner join overall as earlier
        on earlier.la_code = reinspection.la_code
        and earlier.framework = 'SLAC'
        and earlier.inspection_id != reinspection.inspection_id
        and earlier.publication_date <= reinspection.publication_date
    where
        not exists (
            select 1 from overall as own
            where
                own.inspection_id = reinspection.inspection_id
                and lower(trim(own.service_area)) = lower(trim(earlier.service_area))
        )
    qualify row_number() over (
        partition by reinspection.inspection_id, lower(trim(earlier.service_area))
        order by earlier.publication_date desc, earlier.grade_rank desc
    ) = 1
),

strands as (
    select
        la_code, inspection_id, framework, inspection_type, inspection_start_date, publication_date,
        grade_rank, grade_label, source_file
    from overall
    union all
    select * from carried_strands
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
from strands
group by la_code, inspection_id, framework, inspection_start_date, publication_date
