-- Every LA value of marts.indicator_values with its benchmarks: England, region, statistical neighbours'
-- mean and median, rank and quartile band by polarity, threshold and RAG (macros/indicator_benchmarks.sql
-- defines each statistic). For the performance team; outside it use published_indicator_benchmarks.
-- Incremental by indicator: only the indicators whose inputs changed are computed again
-- (macros/incremental_by_key.sql, macros/indicator_benchmarks_incremental.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=[
        "{{ incremental_fingerprint(benchmark_inputs('indicator_values')) }}",
        "{{ incremental_pick_changed('indicator_code') }}",
        "{{ incremental_delete_changed('indicator_code') }}",
    ],
    post_hook=["{{ incremental_record_inputs(benchmark_inputs('indicator_values')) }}"]
) }}
{{ indicator_benchmarks('indicator_values') }}
