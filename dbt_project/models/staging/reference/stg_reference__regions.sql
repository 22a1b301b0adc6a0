-- Region codes and names: a council's override when one was loaded, else the bundled seed.
with override as (
    select region_code, region_name from {{ source('reference', 'reference_regions') }}
),

bundled as (
    select region_code, region_name from {{ ref('ref_regions') }}
)

select cast(region_code as varchar) as region_code, cast(region_name as varchar) as region_name
from override
union all
select cast(region_code as varchar), cast(region_name as varchar)
from bundled
where not exists (select 1 from override)
