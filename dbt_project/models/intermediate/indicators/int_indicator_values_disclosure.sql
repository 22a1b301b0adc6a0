-- Incremental by link group (macros/incremental_by_key.sql): a group's suppressions depend on its own cells
-- only, so only the groups whose values changed are computed again.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=[
        "{{ incremental_fingerprint(disclosure_inputs()) }}",
        "{{ incremental_pick_changed('link_group') }}",
        "{{ incremental_delete_changed('link_group') }}",
    ],
    post_hook=["{{ incremental_record_inputs(disclosure_inputs()) }}"]
) }}
-- Statistical disclosure control of marts.indicator_values (docs/indicators.md, "Disclosure control"):
-- which cells are suppressed, and why. marts.published_indicator_values applies it.
--
-- Primary suppression, cell by cell, by the catalogue's unit:
--   count               a value of 1 to 5 (0 is published)
--   '%', 'rate per 100' a numerator of 5 or less, or a denominator of 10 or less; where a file gives the
--                       rate and its denominator but no numerator, the numerator is value * denominator / 100
--   days                a mean over 10 or fewer children (denominator <= 10), as for a rate
--   grade               never (Ofsted's published judgements); nor any Inspection indicator (the share
--                       of LAs judged Good or better counts LAs, not people)
--   and a cell the source itself suppressed (value null, status 'c') counts as suppressed.
-- Secondary suppression, so that nothing suppressed can be recovered by subtraction. A breakdown family is
-- the cells of one indicator, area and period whose breakdown has the same key(s) ('team=...'); its parts
-- add up to the indicator's 'Total' row of that area and period. A family with exactly one unknown (one
-- suppressed part and a published Total, or a suppressed Total and every part published) also suppresses
-- its smallest published part (the smallest population: largest denominator, or the count, of that part
-- across the linked indicators; a zero part only when there is no other; ties by breakdown), or the Total
-- when there is no other part. Indicators
-- whose published numbers are the same quantity (seeds/indicators/indicator_disclosure_links.csv): a part
-- suppressed in a count is suppressed in the rates whose numerator or denominator it is, and a part
-- suppressed in a rate whose numerator is the count is suppressed in the count. The two rules are applied
-- in turn four times (each pass only adds suppressions); tests/indicators checks the result has no family
-- with a single unknown.
{% set passes = 4 %}
with catalogue as (
    select indicator_code, unit, domain from {{ ref('indicator_catalogue') }}
),

links as (
    select indicator_code, link_group, role from {{ ref('indicator_disclosure_links') }}
),

-- from -> to: a suppression in `from` suppresses the same part in `to`
link_edges as (
    select from_link.indicator_code as from_code, to_link.indicator_code as to_code
    from links as from_link
    inner join links as to_link
        on from_link.link_group = to_link.link_group and from_link.indicator_code != to_link.indicator_code
    where
        (from_link.role = 'count' and to_link.role != 'count')
        or (from_link.role = 'rate of count' and to_link.role = 'count')
),

cells as (
    select
        indicator_values.*,
        catalogue.unit,
        catalogue.domain,
        coalesce(links.link_group, indicator_values.indicator_code) as link_group,
        case
            when indicator_values.breakdown != 'Total'
                then array_to_string(
                    list_transform(string_split(indicator_values.breakdown, '; '), pair -> split_part(pair, '=', 1)),
                    '; '
                )
        end as family_key,
        coalesce(
            indicator_values.numerator,
            case
                when catalogue.unit in ('%', 'rate per 100')
                    then round(indicator_values.value * indicator_values.denominator / 100)
            end
        ) as effective_numerator
    from {{ ref('indicator_values') }} as indicator_values
    left join catalogue on indicator_values.indicator_code = catalogue.indicator_code
    left join links on indicator_values.indicator_code = links.indicator_code
    where {{ incremental_keys_filter('coalesce(links.link_group, indicator_values.indicator_code)', 'link_group') }}
),

primary_rules as (
    select
        *,
        case
            when value is null then coalesce(status_symbol = 'c', false)
            -- Ofsted's published judgements, and shares of LAs judged Good or better: no person is counted
            when domain = 'Inspection' then false
            -- a fractional count (DfE apportions pupils: 0.4) is as small as a count of 1
            when unit = 'count' then value > 0 and value <= 5
            when unit in ('%', 'rate per 100')
                then coalesce(effective_numerator <= 5, false) or coalesce(denominator <= 10, false)
            when unit = 'days' then coalesce(denominator <= 10, false)
            else false
        end as primary_suppressed,
        max(coalesce(denominator, case when unit = 'count' then value end)) over (
            partition by link_group, area_code, time_period, breakdown
        ) as part_size
    from cells
),

pass_0 as (
    select *, primary_suppressed as suppressed from primary_rules
),

{% for i in range(1, passes + 1) %}
pass_{{ i }}_propagated as (
    select distinct link_edges.to_code as indicator_code, source.area_code, source.time_period, source.breakdown
    from pass_{{ i - 1 }} as source
    inner join link_edges on source.indicator_code = link_edges.from_code
    where source.suppressed and source.family_key is not null
),

pass_{{ i }}_linked as (
    select previous.* replace (previous.suppressed or propagated.indicator_code is not null as suppressed)
    from pass_{{ i - 1 }} as previous
    left join pass_{{ i }}_propagated as propagated
        on previous.indicator_code = propagated.indicator_code
        and previous.area_code = propagated.area_code
        and previous.time_period = propagated.time_period
        and previous.breakdown = propagated.breakdown
),

pass_{{ i }}_families as (
    select
        parts.indicator_code,
        parts.area_code,
        parts.time_period,
        parts.family_key,
        count(*) filter (where parts.suppressed) + max(case when totals.suppressed then 1 else 0 end) as unknowns,
        count(*) filter (where not parts.suppressed) as open_parts
    from pass_{{ i }}_linked as parts
    inner join pass_{{ i }}_linked as totals
        on parts.indicator_code = totals.indicator_code
        and parts.area_code = totals.area_code
        and parts.time_period = totals.time_period
        and totals.breakdown = 'Total'
    where parts.family_key is not null
    group by all
),

pass_{{ i }}_picks as (
    select parts.indicator_code, parts.area_code, parts.time_period, parts.breakdown
    from pass_{{ i }}_linked as parts
    inner join pass_{{ i }}_families as families
        on parts.indicator_code = families.indicator_code
        and parts.area_code = families.area_code
        and parts.time_period = families.time_period
        and parts.family_key = families.family_key
    where families.unknowns = 1 and not parts.suppressed
    qualify
        row_number() over (
            partition by parts.indicator_code, parts.area_code, parts.time_period, parts.family_key
            order by coalesce(parts.part_size, 0) <= 0, parts.part_size asc nulls last, parts.breakdown asc
        ) = 1
    union all
    select distinct indicator_code, area_code, time_period, 'Total'
    from pass_{{ i }}_families
    where unknowns = 1 and open_parts = 0
),

pass_{{ i }} as (
    select
        linked.* replace (linked.suppressed or picks.breakdown is not null as suppressed)
    from pass_{{ i }}_linked as linked
    left join (select distinct * from pass_{{ i }}_picks) as picks
        on linked.indicator_code = picks.indicator_code
        and linked.area_code = picks.area_code
        and linked.time_period = picks.time_period
        and linked.breakdown = picks.breakdown
),

{% endfor %}

final as (
    select * from pass_{{ passes }}
)

select
    indicator_code,
    area_code,
    area_name,
    geography_level,
    la_code,
    time_period,
    period_label,
    breakdown,
    value,
    status_symbol,
    numerator,
    denominator,
    source_file,
    unit,
    link_group,
    family_key,
    suppressed,
    case
        when not suppressed then null
        when value is null and status_symbol = 'c' then 'source'
        when primary_suppressed then 'primary'
        else 'secondary'
    end as suppression
from final
