-- Every LA in the reference list, current and former, one row per DfE code.
with codes as (
    select
        *,
        row_number() over (
            partition by la_code
            order by is_live desc, date_of_operation desc nulls last, ons_code desc
        ) as preference
    from {{ ref('stg_reference__la_codes') }}
    where la_code is not null
)

select
    codes.la_code,
    codes.ons_code,
    codes.la_name,
    codes.region_code,
    regions.region_name,
    codes.is_live as is_current,
    codes.date_of_operation,
    codes.date_of_termination
from codes
left join {{ ref('stg_reference__regions') }} as regions
    on codes.region_code = regions.region_code
where codes.preference = 1
