-- The benchmarks of marts.indicator_benchmarks computed from published_indicator_values only (after
-- disclosure control): a suppressed value has no rank or band and counts in no neighbour mean, median or
-- rank_of, so nothing suppressed can be worked back from a published benchmark. The committee report and
-- the Excel export use this table.
-- Incremental by indicator: only the indicators whose inputs changed are computed again
-- (macros/incremental_by_key.sql, macros/indicator_benchmarks_incremental.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=[
        "{{ incremental_fingerprint(benchmark_inputs('published_indicator_values')) }}",
        "{{ incremental_pick_changed('indicator_code') }}",
        "{{ incremental_delete_changed('indicator_code') }}",
    ],
    post_hook=["{{ incremental_record_inputs(benchmark_inputs('published_indicator_values')) }}"]
) }}
{{ indicator_benchmarks('published_indicator_values') }}
