-- Every ONS code of every LA with its DfE code: the bundled seed, updated and extended by the LA lists a council
-- dropped into raw/reference/. A dropped-in row replaces the bundled row of its ONS code (the newest list wins
-- where several list it); a bundled LA no dropped-in list has (a former LA an older list leaves out, or a row of it
-- that was quarantined) stays known. The same rule as pipelines/lib/reference/areas.py (updated_reference), used
-- at ingest.
with override_rows as (
    select
        ons_code, la_code, la_name, region_code, date_of_operation, date_of_termination, status,
        max(greatest(date_of_operation, coalesce(date_of_termination, date_of_operation)))
            over (partition by _file_path) as list_vintage,
        _file_path
    from {{ source('reference', 'reference_la_codes') }}
),

override as (
    select ons_code, la_code, la_name, region_code, date_of_operation, date_of_termination, status
    from override_rows
    qualify row_number() over (partition by ons_code order by list_vintage desc, _file_path desc) = 1
),

bundled as (
    select ons_code, la_code, la_name, region_code, date_of_operation, date_of_termination, status
    from {{ ref('ref_la_codes') }}
),

chosen as (
    select * from override
    union all
    select * from bundled
    where bundled.ons_code not in (select override.ons_code from override)
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
