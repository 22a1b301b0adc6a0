-- Every indicator the warehouse produces, from the one registry seed.
select indicator_code, title, domain, unit, polarity, definition, source
from {{ ref('indicator_registry') }}
