-- Each LA's most recently published overall effectiveness judgement. SLAC graded safeguarding and
-- looked after children separately: the worse of the two stands for the inspection.
with overall as (
    select
        la_code,
        inspection_id,
        framework,
        inspection_start_date,
        publication_date,
        max(grade_rank) as overall_grade_rank,
        arg_max(grade_label, grade_rank) as overall_grade_label
    from {{ ref('inspection_judgements') }}
    where lower(judgement_area) = 'overall effectiveness'
    group by all
),

latest as (
    select
        *,
        row_number() over (
            partition by la_code order by publication_date desc, inspection_start_date desc
        ) as recency
    from overall
)

select
    latest.la_code,
    las.la_name,
    latest.inspection_id,
    latest.framework,
    latest.inspection_start_date,
    latest.publication_date,
    latest.overall_grade_label,
    latest.overall_grade_rank
from latest
left join {{ ref('dim_local_authority') }} as las on latest.la_code = las.la_code
where latest.recency = 1
