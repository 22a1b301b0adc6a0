{#- One row per link group of marts.indicator_values (an unlinked indicator is its own group): a fingerprint of
    everything int_indicator_values_disclosure computes the group's suppressions from (its cells, its
    indicators' units and domains, their roles in the group). -#}
{% macro disclosure_inputs() %}
    select
        coalesce(links.link_group, indicator_values.indicator_code) as link_group,
        {{ rows_fingerprint('indicator_values, catalogue.unit, catalogue.domain, links.role') }} as fingerprint
    from {{ ref('indicator_values') }} as indicator_values
    left join {{ ref('indicator_catalogue') }} as catalogue on indicator_values.indicator_code = catalogue.indicator_code
    left join {{ ref('indicator_disclosure_links') }} as links on indicator_values.indicator_code = links.indicator_code
    group by all
{% endmacro %}
