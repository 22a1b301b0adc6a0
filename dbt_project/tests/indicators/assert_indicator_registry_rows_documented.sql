{{ config(meta={'dagster': {'ref': {'name': 'indicator_catalogue'}}}) }}
-- Every indicator of the registry is documented: title, domain, unit, polarity, a definition of at least a
-- sentence, and its source.
select indicator_code
from {{ ref('indicator_catalogue') }}
where
    coalesce(trim(title), '') = ''
    or coalesce(trim(domain), '') = ''
    or coalesce(trim(unit), '') = ''
    or coalesce(trim(polarity), '') = ''
    or length(coalesce(trim(definition), '')) < 20
    or coalesce(trim(source), '') = ''
