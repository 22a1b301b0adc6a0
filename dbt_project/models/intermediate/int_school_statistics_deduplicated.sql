-- One value per source, indicator, area, period and breakdown. Where several files give the same one (a
-- newer release restating an older one), the newest release wins: the file whose latest period is the
-- latest, then an EES file over the pre-EES series, then the later file path. Regional rows are marked
-- with in_regional_sum: the E12 regions, plus Inner and Outer London (E13) only where the same figures
-- have no London (E12000007) row, so that summing regions never counts London twice.
-- Only keys given more than once are ranked (most are unique), to keep national-scale builds quick.
with cells as (
    select
        *,
        hash(source, indicator, area_code, time_period, breakdown) as key_hash
    from {{ ref('stg_school_statistics__values') }}
),

repeated as (
    select key_hash from cells
    group by key_hash
    having count(*) > 1
),

files as (
    select
        source,
        source_file,
        max(case when time_period < 10000 then time_period * 100 else time_period end) as latest_period,
        min(case when file_layout = 'ees' then 0 else 1 end) as layout_rank
    from cells
    where key_hash in (select repeated.key_hash from repeated)
    group by source, source_file
),

ranked as (
    select cells.*
    from cells
    inner join files on cells.source = files.source and cells.source_file = files.source_file
    where cells.key_hash in (select repeated.key_hash from repeated)
    qualify row_number() over (
        partition by cells.source, cells.indicator, cells.area_code, cells.time_period, cells.breakdown
        order by files.latest_period desc, files.layout_rank asc, cells.source_file desc, cells.source_row_number asc
    ) = 1
),

preferred as (
    select * from cells
    where key_hash not in (select repeated.key_hash from repeated)
    union all
    select * from ranked
),

london as (
    select distinct source, indicator, time_period, breakdown
    from preferred
    where area_code = 'E12000007'
)

select
    -- key_hash below is a column left out of preferred.*, not a reference to qualify (RF02)
    preferred.* exclude (key_hash),  -- noqa: RF02
    coalesce(
        preferred.geography_level = 'regional' and (not preferred.is_london_subregion or london.source is null),
        false
    ) as in_regional_sum
from preferred
left join london
    on preferred.source = london.source
    and preferred.indicator = london.indicator
    and preferred.time_period = london.time_period
    and preferred.breakdown = london.breakdown
