-- Every LA in the reference list, current and former, one row per DfE code. date_of_operation and
-- date_of_termination are those of the code's current (else latest) ONS code; code_in_use_from / _to span
-- all its ONS codes (North Yorkshire 815: ONS code from 2023, DfE code in use throughout).
with code_span as (
    select
        la_code,
        min(date_of_operation) as code_in_use_from,
        case when bool_or(is_live) then null else max(date_of_termination) end as code_in_use_to
    from {{ ref('stg_reference__la_codes') }}
    where la_code is not null
    group by la_code
),

codes as (
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
    codes.date_of_termination,
    code_span.code_in_use_from,
    code_span.code_in_use_to
from codes
left join code_span on codes.la_code = code_span.la_code
left join {{ ref('stg_reference__regions') }} as regions
    on codes.region_code = regions.region_code
where codes.preference = 1
