{{ config(meta={'dagster': {'ref': {'name': 'published_indicator_values'}}}) }}
-- Disclosure control holds in the published table: no breakdown family (the parts of one indicator, area and
-- period with the same breakdown key(s), and that indicator's Total) has exactly one suppressed cell, which
-- subtraction from the Total would give away. Where the one unknown is the Total it is the sum of the parts.
with cells as (
    select
        indicator_code,
        area_code,
        time_period,
        breakdown,
        status_symbol = 'c' and value is null as suppressed,
        case
            when breakdown != 'Total'
                then
                    array_to_string(
                        list_transform(string_split(breakdown, '; '), pair -> split_part(pair, '=', 1)), '; '
                    )
        end as family_key
    from {{ ref('published_indicator_values') }}
)

select
    parts.indicator_code,
    parts.area_code,
    parts.time_period,
    parts.family_key,
    count(*) filter (where parts.suppressed) as suppressed_parts,
    bool_or(totals.suppressed) as total_suppressed
from cells as parts
inner join cells as totals
    on parts.indicator_code = totals.indicator_code
    and parts.area_code = totals.area_code
    and parts.time_period = totals.time_period
    and totals.breakdown = 'Total'
where parts.family_key is not null
group by all
having count(*) filter (where parts.suppressed) + max(case when totals.suppressed then 1 else 0 end) = 1
