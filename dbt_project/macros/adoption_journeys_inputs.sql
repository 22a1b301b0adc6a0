{#- One row per LA with SSDA903 returns: a fingerprint of everything adoption_journeys computes the LA's journeys
    from: its merged episodes (a table), its AD1 and PlacedAdoption rows. -#}
{% macro adoption_journeys_inputs() %}
    select la_code, hash(sum(cast(hash(part, fingerprint) as hugeint))) as fingerprint
    from (
        select la_code, 'episodes' as part, {{ rows_fingerprint('episodes') }} as fingerprint
        from {{ ref('int_ssda903_episodes_merged') }} as episodes
        group by la_code
        union all
        select la_code, 'ad1', {{ rows_fingerprint('ad1') }}
        from {{ ref('stg_ssda903__ad1') }} as ad1
        group by la_code
        union all
        select la_code, 'placed_adoption', {{ rows_fingerprint('placed') }}
        from {{ ref('stg_ssda903__placed_adoption') }} as placed
        group by la_code
    )
    group by la_code
{% endmacro %}


{#- One row per LA with SSDA903 returns: a fingerprint of its staged episodes (int_ssda903_episodes_merged merges
    them within the LA). -#}
{% macro staged_episodes_inputs() %}
    select la_code, {{ rows_fingerprint('episodes') }} as fingerprint
    from {{ ref('stg_ssda903__episodes') }} as episodes
    group by la_code
{% endmacro %}
