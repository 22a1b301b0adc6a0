{{ config(meta={'dagster': {'ref': {'name': 'indicator_benchmarks'}}}) }}
-- Every benchmark's sn_model names a statistical neighbour model loaded (marts.dim_statistical_neighbours),
-- alone or followed by the parenthesis that says why it is used ('2021 (earliest loaded; none in force for
-- the period)'): no model is invented, whatever models raw/reference/ holds. One row per wrong name.
with shown as (
    select distinct 'indicator_benchmarks' as model, sn_model from {{ ref('indicator_benchmarks') }}
    union
    select distinct 'published_indicator_benchmarks', sn_model from {{ ref('published_indicator_benchmarks') }}
)

select model, sn_model
from shown
where
    sn_model is not null
    and split_part(sn_model, ' (', 1) not in (
        select neighbours.sn_model from {{ ref('dim_statistical_neighbours') }} as neighbours
        where neighbours.sn_model is not null
    )
