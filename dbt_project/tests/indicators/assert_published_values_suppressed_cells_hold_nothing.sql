{{ config(meta={'dagster': {'ref': {'name': 'published_indicator_values'}}}) }}
-- A suppressed cell publishes no number, and every primary rule holds on what is published: no count of 1
-- to 5, no rate with a numerator of 5 or less or a denominator of 10 or less, no mean over 10 or fewer.
-- A part suppressed in a count (indicator_disclosure_links) publishes no number in its linked rates.
with published as (
    select published.*, catalogue.unit, catalogue.domain
    from {{ ref('published_indicator_values') }} as published
    left join {{ ref('indicator_catalogue') }} as catalogue on published.indicator_code = catalogue.indicator_code
)

select indicator_code, area_code, time_period, breakdown, 'suppressed cell holds a number' as problem
from published
where status_symbol = 'c' and (value is not null or numerator is not null or denominator is not null)
union all
select indicator_code, area_code, time_period, breakdown, 'primary rule broken'
from published
where
    -- Inspection indicators count LAs (Ofsted's published judgements), never people: no primary rule
    coalesce(domain, '') != 'Inspection'
    and (
        (unit = 'count' and value between 1 and 5)
        or (unit in ('%', 'rate per 100') and value is not null and (numerator <= 5 or denominator <= 10))
        or (unit = 'days' and value is not null and denominator <= 10)
    )
union all
select rate.indicator_code, rate.area_code, rate.time_period, rate.breakdown, 'published beside a suppressed count'
from published as count_cell
inner join {{ ref('indicator_disclosure_links') }} as count_link
    on count_cell.indicator_code = count_link.indicator_code and count_link.role = 'count'
inner join {{ ref('indicator_disclosure_links') }} as rate_link
    on count_link.link_group = rate_link.link_group and rate_link.role != 'count'
inner join published as rate
    on rate.indicator_code = rate_link.indicator_code
    and rate.area_code = count_cell.area_code
    and rate.time_period = count_cell.time_period
    and rate.breakdown = count_cell.breakdown
where
    count_cell.breakdown != 'Total' and count_cell.status_symbol = 'c' and count_cell.value is null
    and (rate.value is not null or rate.numerator is not null or rate.denominator is not null)
