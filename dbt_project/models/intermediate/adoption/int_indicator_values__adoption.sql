-- The adoption scorecard in the indicator_values shape: every LA row of marts.adoption_scorecard
-- (computed from SSDA903 returns, or published), and the published England and regional rows.
-- numerator / denominator: total days / children for A1, A2, A10; children placed in time / children for A3.
with codes as (
    select * from (
        values
        ('A1', 'adoption_a1_days'),
        ('A2', 'adoption_a2_days'),
        ('A3', 'adoption_a3_pct'),
        ('A10', 'adoption_a10_days')
    ) as codes (scorecard_code, indicator_code)
),

la_rows as (
    select
        codes.indicator_code,
        scorecard.la_code as area_code,
        las.la_name as area_name,
        'local_authority' as geography_level,
        scorecard.la_code,
        scorecard.period_end_year as time_period,
        scorecard.period_label,
        'Total' as breakdown,
        scorecard.value,
        -- a period without children (or without a child with a court authority and a match, for A2) has no
        -- mean or percentage: 'z', not applicable; any other missing value 'x', not available
        coalesce(
            scorecard.status_symbol,
            case when scorecard.value is null then case when scorecard.children = 0 then 'z' else 'x' end end
        ) as status_symbol,
        scorecard.numerator,
        scorecard.denominator,
        scorecard.source_file
    from {{ ref('adoption_scorecard') }} as scorecard
    inner join codes on scorecard.scorecard_code = codes.scorecard_code
    left join {{ ref('dim_local_authority') }} as las on scorecard.la_code = las.la_code
),

area_rows as (
    select
        codes.indicator_code,
        published.area_code,
        coalesce(regions.region_name, published.area_name) as area_name,
        published.geography_level,
        cast(null as varchar) as la_code,
        published.period_end_year as time_period,
        cast(published.period_end_year - 3 as varchar) || '-'
        || lpad(cast(published.period_end_year % 100 as varchar), 2, '0') as period_label,
        'Total' as breakdown,
        published.value,
        coalesce(published.status_symbol, case when published.value is null then 'x' end) as status_symbol,
        cast(null as double) as numerator,
        cast(published.children as double) as denominator,
        published.source_file
    from {{ ref('int_adoption_scorecards_published') }} as published
    inner join codes on published.scorecard_code = codes.scorecard_code
    left join {{ ref('stg_reference__regions') }} as regions on published.area_code = regions.region_code
    where published.geography_level in ('national', 'regional')
)

select * from la_rows
union all
select * from area_rows
