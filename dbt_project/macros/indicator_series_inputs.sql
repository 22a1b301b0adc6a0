{#- One row per indicator of marts.published_indicator_values: a fingerprint of what published_indicator_values
    computes its rows from (its cells and their disclosure decisions). -#}
{% macro published_values_inputs() %}
    select indicator_code, {{ rows_fingerprint('cells') }} as fingerprint
    from {{ ref('int_indicator_values_disclosure') }} as cells
    group by indicator_code
{% endmacro %}


{#- One row per indicator of marts.published_indicator_values: a fingerprint of what la_time_series computes its
    rows from (its published values, its catalogue domain and unit, and the LA names and reorganisations every
    indicator shares). -#}
{% macro time_series_inputs() %}
    with value_rows as (
        select indicator_code, {{ rows_fingerprint('published') }} as values_hash
        from {{ ref('published_indicator_values') }} as published
        group by indicator_code
    ),

    catalogue_rows as (
        select indicator_code, hash(domain, unit) as catalogue_hash from {{ ref('indicator_catalogue') }}
    ),

    shared as (
        select hash(
            (select {{ rows_fingerprint('successions') }} from {{ ref('la_successions') }} as successions),
            (select {{ rows_fingerprint('la_code, la_name') }} from {{ ref('dim_local_authority') }})
        ) as shared_hash
    )

    select
        value_rows.indicator_code,
        hash(value_rows.values_hash, catalogue_rows.catalogue_hash, shared.shared_hash) as fingerprint
    from value_rows
    left join catalogue_rows on value_rows.indicator_code = catalogue_rows.indicator_code
    cross join shared
{% endmacro %}
