-- marts.indicator_values after statistical disclosure control, for sharing outside the performance team:
-- a suppressed cell (int_indicator_values_disclosure: counts of 1 to 5, rates with a numerator of 5 or less
-- or a denominator of 10 or less, means over 10 or fewer children, and the secondary suppressions that stop
-- them being worked out by subtraction) has value, numerator and denominator null and status_symbol 'c'.
-- Incremental by indicator (macros/incremental_by_key.sql): a cell is published as its disclosure decision says.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=[
        "{{ incremental_fingerprint(published_values_inputs()) }}",
        "{{ incremental_pick_changed('indicator_code') }}",
        "{{ incremental_delete_changed('indicator_code') }}",
    ],
    post_hook=["{{ incremental_record_inputs(published_values_inputs()) }}"]
) }}
select
    indicator_code,
    area_code,
    area_name,
    geography_level,
    la_code,
    time_period,
    period_label,
    breakdown,
    case when suppressed then null else value end as value,
    case when suppressed and value is not null then 'c' else status_symbol end as status_symbol,
    case when suppressed then null else numerator end as numerator,
    case when suppressed then null else denominator end as denominator,
    source_file
from {{ ref('int_indicator_values_disclosure') }}
where {{ incremental_keys_filter('indicator_code', 'indicator_code') }}
