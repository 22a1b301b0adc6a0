-- The scorecard thresholds in force: an LA's own list from raw/reference/ when one was loaded, else the
-- bundled seed. One row per first period (end year) and code; a period takes the latest row at or before it.
-- A10 uses the A1 threshold where the list has no A10 row of its own.
with override as (
    select
        cast(period_end_year as integer) as period_end_year,
        scorecard_code,
        cast(threshold as integer) as threshold,
        threshold_unit,
        cast(verified as boolean) as verified,
        coalesce(note, 'LA override from raw/reference/') as note
    from {{ source('reference_adoption', 'reference_adoption_thresholds') }}
),

bundled as (
    select period_end_year, scorecard_code, threshold, threshold_unit, verified, note
    from {{ ref('adoption_scorecard_thresholds') }}
),

chosen as (
    select * from override
    union all
    select * from bundled
    where not exists (select 1 from override)
)

select * from chosen
union all
select period_end_year, 'A10', threshold, threshold_unit, verified, 'A10 uses the A1 threshold'
from chosen as a1
where
    a1.scorecard_code = 'A1'
    and not exists (
        select 1 from chosen as a10
        where a10.period_end_year = a1.period_end_year and a10.scorecard_code = 'A10'
    )
