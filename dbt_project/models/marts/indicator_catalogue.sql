-- Every indicator the warehouse produces, from the one registry seed.
select
    indicator_code,
    title,
    domain,
    unit,
    polarity,
    definition,
    source,
    nullif(trim(not_ranked_because), '') as not_ranked_because
from {{ ref('indicator_registry') }}
