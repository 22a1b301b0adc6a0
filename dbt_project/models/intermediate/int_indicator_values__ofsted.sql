-- Ofsted as indicators, at each snapshot date (31 March; time_period = the year, as a year ending 31 March):
--   ofsted_overall_grade_rank  each LA's overall effectiveness grade in force (marts.ofsted_grades_in_force),
--                              null with status 'x' where none is
--   ofsted_good_or_better_pct  England and each region: the percentage of the LAs with a grade in force
--                              that are Outstanding or Good (numerator / denominator: those LAs); each LA:
--                              100 or 0, so that its benchmarks give the England, region and neighbours'
--                              shares; null with status 'x' without a grade
with in_force as (
    select * from {{ ref('ofsted_grades_in_force') }}
),

regions as (
    select region_code, region_name from {{ ref('stg_reference__regions') }}
),

la_rows as (
    select
        'ofsted_overall_grade_rank' as indicator_code,
        cast(overall_grade_rank as double) as value,
        cast(null as double) as numerator,
        cast(null as double) as denominator,
        *
    from in_force
    union all
    select
        'ofsted_good_or_better_pct',
        case when overall_grade_rank <= 2 then 100.0 when overall_grade_rank > 2 then 0.0 end,
        cast(null as double),
        cast(null as double),
        *
    from in_force
),

area_shares as (
    select
        case when grouping(region_code) = 1 then 'E92000001' else region_code end as area_code,
        case when grouping(region_code) = 1 then 'national' else 'regional' end as geography_level,
        snapshot_year,
        cast(count(*) filter (where overall_grade_rank <= 2) as double) as numerator,
        cast(count(overall_grade_rank) as double) as denominator,
        -- every file behind the share, named once, in order
        string_agg(distinct source_file, '; ' order by source_file) as source_file
    from in_force
    -- sqlfluff's duckdb grammar has no grouping sets: not parsed (PRS) up to the enable below.
    -- noqa: disable=PRS
    group by grouping sets ((snapshot_year), (snapshot_year, region_code))
    having grouping(region_code) = 1 or region_code is not null
    -- noqa: enable=PRS
)

select
    indicator_code,
    la_code as area_code,
    la_name as area_name,
    'local_authority' as geography_level,
    la_code,
    snapshot_year as time_period,
    '31 March ' || snapshot_year as period_label,
    'Total' as breakdown,
    value,
    status_symbol,
    numerator,
    denominator,
    source_file
from la_rows
union all
select
    'ofsted_good_or_better_pct' as indicator_code,
    area_shares.area_code,
    coalesce(regions.region_name, area_shares.area_code) as area_name,
    area_shares.geography_level,
    cast(null as varchar) as la_code,
    area_shares.snapshot_year as time_period,
    '31 March ' || area_shares.snapshot_year as period_label,
    'Total' as breakdown,
    case when area_shares.denominator > 0 then round(area_shares.numerator / area_shares.denominator * 100, 1) end
        as value,
    case when area_shares.denominator = 0 then 'x' end as status_symbol,
    area_shares.numerator,
    area_shares.denominator,
    area_shares.source_file
from area_shares
left join regions on area_shares.area_code = regions.region_code
