-- Ofsted overall effectiveness as an indicator: one value per LA and inspection, dated by publication month.
with overall as (
    select
        la_code,
        inspection_id,
        publication_date,
        max(grade_rank) as grade_rank,
        any_value(source_file) as source_file
    from {{ ref('inspection_judgements') }}
    where lower(judgement_area) = 'overall effectiveness'
    group by la_code, inspection_id, publication_date
),

latest_in_month as (
    select
        *,
        row_number() over (
            partition by la_code, date_trunc('month', publication_date) order by publication_date desc
        ) as recency
    from overall
)

select
    'ofsted_overall_grade_rank' as indicator_code,
    overall.la_code as area_code,
    las.la_name as area_name,
    'local_authority' as geography_level,
    overall.la_code,
    cast(strftime(overall.publication_date, '%Y%m') as integer) as time_period,
    strftime(overall.publication_date, '%Y-%m') as period_label,
    'Total' as breakdown,
    cast(overall.grade_rank as double) as value,
    cast(null as varchar) as status_symbol,
    cast(null as double) as numerator,
    cast(null as double) as denominator,
    overall.source_file
from latest_in_month as overall
left join {{ ref('dim_local_authority') }} as las on overall.la_code = las.la_code
where overall.recency = 1
