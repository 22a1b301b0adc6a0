-- Each current LA's most recently published overall effectiveness judgement (int_ofsted_overall_judgements:
-- for SLAC the worse of safeguarding and looked after children; never an LSCB review). LAs that no longer
-- exist (Bournemouth, Poole, the Dorset and Northamptonshire and Cumbria counties) are left out; their
-- judgements stay in marts.inspection_judgements.
with latest as (
    select
        *,
        row_number() over (
            partition by la_code order by publication_date desc, inspection_start_date desc
        ) as recency
    from {{ ref('int_ofsted_overall_judgements') }}
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
inner join {{ ref('dim_local_authority') }} as las on latest.la_code = las.la_code
where latest.recency = 1 and las.is_current
