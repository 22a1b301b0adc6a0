-- The long table for BI tools: every indicator of every domain, one row per indicator x area x period x
-- breakdown. Each domain builds an int_indicator_values__<domain> model with these columns; list it here.
{% set domain_models = [
    'int_indicator_values__ofsted',
    'int_indicator_values__case_audits',
    'int_indicator_values__schools',
    'int_indicator_values__adoption',
] %}

{% for model in domain_models %}
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
    -- every missing value says why: a domain that left one without a symbol gets 'x' (not available)
    coalesce(status_symbol, case when value is null then 'x' end) as status_symbol,
    numerator,
    denominator,
    source_file
from {{ ref(model) }}
{% if not loop.last %}union all{% endif %}
{% endfor %}
