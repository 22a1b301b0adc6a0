-- Episodes merged across returns. Each year's return repeats the episodes still open, with DEC blank
-- until the year they end: the same (child, DECOM) in several returns is one episode, taken from the
-- latest year's return (ties, such as a CSV and an XML of the same year: the last file by path).
-- REC only means something once the episode has ended (some returns fill it on open episodes), so it
-- is kept only where DEC is set.
-- A table, incremental by LA (macros/incremental_by_key.sql): an LA's episodes merge within the LA, so after one
-- LA's new return only its episodes are merged again (adoption_journeys then reads a table, not the merge).
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=[
        "{{ incremental_fingerprint(staged_episodes_inputs()) }}",
        "{{ incremental_pick_changed('la_code') }}",
        "{{ incremental_delete_changed('la_code') }}",
    ],
    post_hook=["{{ incremental_record_inputs(staged_episodes_inputs()) }}"]
) }}
with ranked as (
    select
        *,
        row_number() over (
            partition by la_code, child_key, decom
            order by collection_year desc, source_file desc, source_row_number desc
        ) as copy_number,
        min(collection_year) over (partition by la_code, child_key, decom) as first_collection_year
    from {{ ref('stg_ssda903__episodes') }}
    where {{ incremental_keys_filter('la_code', 'la_code') }}
)

select
    la_code,
    child_key,
    decom,
    dec,
    rne,
    ls,
    cin,
    place,
    place_provider,
    case when dec is not null then rec end as rec,
    reason_place_change,
    first_collection_year,
    collection_year as latest_collection_year,
    source_file,
    source_row_number
from ranked
where copy_number = 1
