-- Region codes and names: the bundled seed, updated and extended by the region lists dropped into raw/reference/
-- (a dropped-in row replaces the bundled row of its code; the last list by file path wins where several do).
with override as (
    select region_code, region_name
    from {{ source('reference', 'reference_regions') }}
    qualify row_number() over (partition by region_code order by _file_path desc, _row_number asc) = 1
),

bundled as (
    select region_code, region_name from {{ ref('ref_regions') }}
)

select cast(region_code as varchar) as region_code, cast(region_name as varchar) as region_name
from override
union all
select cast(region_code as varchar), cast(region_name as varchar)
from bundled
where bundled.region_code not in (select override.region_code from override)
