{#-
  indicator_benchmarks and published_indicator_benchmarks are incremental by indicator
  (macros/incremental_by_key.sql): an indicator's benchmarks are computed from its own rows only (its LA,
  England and region values, its catalogue row, its thresholds) and from the reference every indicator shares
  (LAs and regions, statistical neighbours, LA successions, var('rank_min_las')). So after a refresh that
  changed one source (one LA's new SSDA903 year changes the adoption indicators only) only the indicators
  whose inputs changed are computed again.
-#}

{#- One row per indicator of `values_model`: a fingerprint of everything its benchmarks are computed from. -#}
{% macro benchmark_inputs(values_model) %}
    with value_rows as (
        select
            indicator_code,
            {{ rows_fingerprint(
                'area_code, geography_level, la_code, time_period, period_label, breakdown, value, '
                ~ 'status_symbol, numerator, denominator'
            ) }} as rows_hash
        from {{ ref(values_model) }}
        group by indicator_code
    ),

    catalogue_rows as (
        select indicator_code, hash(title, domain, unit, polarity, not_ranked_because) as catalogue_hash
        from {{ ref('indicator_catalogue') }}
    ),

    threshold_rows as (
        select
            indicator_code,
            {{ rows_fingerprint('la_code, time_period, threshold, threshold_verified') }} as thresholds_hash
        from {{ ref('int_indicator_thresholds') }}
        group by indicator_code
    ),

    shared as (
        select hash(
            (select {{ rows_fingerprint('la_code, la_name, region_code') }} from {{ ref('dim_local_authority') }}),
            (
                select {{ rows_fingerprint('la_code, neighbour_la_code, neighbour_rank, sn_model') }}
                from {{ ref('dim_statistical_neighbours') }}
            ),
            (
                select {{ rows_fingerprint(
                    'predecessor_la_code, successor_la_code, change_date, whole_area, stands_for_successor'
                ) }}
                from {{ ref('la_successions') }}
            ),
            {{ var('rank_min_las', 100) }}
        ) as shared_hash
    )

    select
        value_rows.indicator_code,
        hash(
            value_rows.rows_hash, catalogue_rows.catalogue_hash, threshold_rows.thresholds_hash, shared.shared_hash
        ) as fingerprint
    from value_rows
    left join catalogue_rows on value_rows.indicator_code = catalogue_rows.indicator_code
    left join threshold_rows on value_rows.indicator_code = threshold_rows.indicator_code
    cross join shared
{% endmacro %}
