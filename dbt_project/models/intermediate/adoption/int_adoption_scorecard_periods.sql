-- The three-year scorecard periods each LA's loaded returns cover: the period ending 31 March of year Y
-- (April Y-3 to March Y) needs the returns for Y-2, Y-1 and Y.
with loaded_years as (
    select distinct la_code, collection_year from {{ ref('stg_ssda903__episodes') }}
    union
    select distinct la_code, collection_year from {{ ref('stg_ssda903__header') }}
)

select
    loaded.la_code,
    loaded.collection_year as period_end_year
from loaded_years as loaded
where
    exists (
        select 1 from loaded_years as before_1
        where before_1.la_code = loaded.la_code and before_1.collection_year = loaded.collection_year - 1
    )
    and exists (
        select 1 from loaded_years as before_2
        where before_2.la_code = loaded.la_code and before_2.collection_year = loaded.collection_year - 2
    )
