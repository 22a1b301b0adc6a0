-- Statistical neighbours per model: a model found in raw/reference/ replaces the bundled one.
with override as (
    select la_code, neighbour_la_code, neighbour_rank, closeness, sn_model
    from {{ source('reference', 'reference_statistical_neighbours') }}
),

bundled as (
    select la_code, neighbour_la_code, neighbour_rank, closeness, sn_model
    from {{ ref('ref_statistical_neighbours') }}
),

chosen as (
    select * from override
    union all
    select * from bundled
    where sn_model not in (select distinct sn_model from override)
)

select
    cast(la_code as varchar) as la_code,
    cast(neighbour_la_code as varchar) as neighbour_la_code,
    cast(neighbour_rank as integer) as neighbour_rank,
    cast(closeness as varchar) as closeness,
    cast(sn_model as varchar) as sn_model
from chosen
