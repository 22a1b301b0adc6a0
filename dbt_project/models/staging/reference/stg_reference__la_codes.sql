-- Every ONS code of every LA with its DfE code: a council's override when one was loaded, else the bundled seed.
with override as (
    select ons_code, la_code, la_name, region_code, date_of_operation, date_of_termination, status
    from {{ source('reference', 'reference_la_codes') }}
),

bundled as (
    select ons_code, la_code, la_name, region_code, date_of_operation, date_of_termination, status
    from {{ ref('ref_la_codes') }}
),

chosen as (
    select * from override
    union all
    select * from bundled
    where not exists (select 1 from override)
)

select
    cast(ons_code as varchar) as ons_code,
    cast(la_code as varchar) as la_code,
    cast(la_name as varchar) as la_name,
    cast(region_code as varchar) as region_code,
    cast(date_of_operation as date) as date_of_operation,
    cast(date_of_termination as date) as date_of_termination,
    lower(status) = 'live' as is_live
from chosen
