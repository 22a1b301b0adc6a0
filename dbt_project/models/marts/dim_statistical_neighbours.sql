-- Each LA's ten statistical neighbours under DfE's 2021 and 2025 models.
select
    la_code,
    neighbour_la_code,
    neighbour_rank,
    closeness,
    sn_model
from {{ ref('stg_reference__statistical_neighbours') }}
