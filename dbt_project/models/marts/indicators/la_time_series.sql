-- Each LA's time series across the reorganisations (marts.la_successions): its own rows of
-- published_indicator_values, and for the periods before it existed the figures of the LAs it was
-- reorganised from, with mapped_from naming them: Dorset 838 before 2019 from the
-- Dorset county 835, BCP 839 from Bournemouth and Poole pooled (macros/indicator_benchmarks.sql,
-- mapped_la_values, says how). A mapped figure that cannot be made (a count from part of an area) is left
-- out, and an LA's own judgement (an Ofsted grade, Good or better yes / no) is never mapped: a new LA is not
-- given its predecessor's grade. From published values only, so it can be shared as they can.
-- Incremental by indicator (macros/incremental_by_key.sql): an indicator's series from its own values, with the
-- reorganisations and LA names every indicator shares.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=[
        "{{ incremental_fingerprint(time_series_inputs()) }}",
        "{{ incremental_pick_changed('indicator_code') }}",
        "{{ incremental_delete_changed('indicator_code') }}",
    ],
    post_hook=["{{ incremental_record_inputs(time_series_inputs()) }}"]
) }}
with catalogue as (
    select indicator_code, domain, unit from {{ ref('indicator_catalogue') }}
),

la_values as (
    select
        published.indicator_code,
        published.la_code,
        published.time_period,
        published.period_label,
        published.breakdown,
        published.value,
        published.status_symbol,
        published.numerator,
        published.denominator,
        published.source_file,
        catalogue.domain,
        catalogue.unit,
        {{ period_end_date('published.time_period', 'published.period_label') }} as period_end_date
    from {{ ref('published_indicator_values') }} as published
    left join catalogue on published.indicator_code = catalogue.indicator_code
    where
        published.geography_level = 'local_authority' and published.la_code is not null
        and {{ incremental_keys_filter('published.indicator_code', 'indicator_code') }}
),

mapped as (
    {{ mapped_la_values('la_values') }}
),

combined as (
    select
        indicator_code, la_code, time_period, period_label, breakdown, value, status_symbol, numerator,
        denominator, cast(null as varchar) as mapped_from, source_file
    from la_values
    union all
    select
        indicator_code, la_code, time_period, period_label, breakdown, round(value, 4), null, null, null, mapped_from,
        'mapped from ' || mapped_from
    from mapped
    where value is not null and from_predecessors
)

select
    combined.indicator_code,
    combined.la_code,
    las.la_name,
    combined.time_period,
    combined.period_label,
    combined.breakdown,
    combined.value,
    combined.status_symbol,
    combined.numerator,
    combined.denominator,
    combined.mapped_from,
    combined.source_file
from combined
left join {{ ref('dim_local_authority') }} as las on combined.la_code = las.la_code
order by combined.la_code, combined.indicator_code, combined.time_period, combined.breakdown
