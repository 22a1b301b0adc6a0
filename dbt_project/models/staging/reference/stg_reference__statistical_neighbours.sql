-- Statistical neighbours per model: the bundled groupings, updated and extended by the groupings dropped into
-- raw/reference/. An LA listed by a dropped-in file of a model gets that file's ten neighbours in the model (the
-- last file by path wins where several list it); an LA the file does not list keeps its bundled neighbours.
with override_rows as (
    select la_code, neighbour_la_code, neighbour_rank, closeness, sn_model, _file_path
    from {{ source('reference', 'reference_statistical_neighbours') }}
),

override as (
    select la_code, neighbour_la_code, neighbour_rank, closeness, sn_model
    from override_rows
    qualify _file_path = max(_file_path) over (partition by la_code, sn_model)
),

bundled as (
    select la_code, neighbour_la_code, neighbour_rank, closeness, sn_model
    from {{ ref('ref_statistical_neighbours') }}
),

chosen as (
    select * from override
    union all
    select * from bundled
    where not exists (
        select 1 from override
        where
            override.la_code = cast(bundled.la_code as varchar)
            and override.sn_model = cast(bundled.sn_model as varchar)
    )
)

select
    cast(la_code as varchar) as la_code,
    cast(neighbour_la_code as varchar) as neighbour_la_code,
    cast(neighbour_rank as integer) as neighbour_rank,
    cast(closeness as varchar) as closeness,
    cast(sn_model as varchar) as sn_model
from chosen
