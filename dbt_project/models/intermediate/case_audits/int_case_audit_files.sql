-- How recent each case-audit export file is: the latest audit or completion date it holds. When the same
-- audit or action is in several files (a council re-exporting cumulatively), the most recent file's
-- version wins; between equally recent files, the one whose path sorts last.
with dated as (
    select source_file, max(audit_date) as latest_date
    from {{ ref('stg_case_audits__audits') }}
    group by source_file
    union all
    select source_file, max(completed_date) as latest_date
    from {{ ref('stg_case_audits__actions') }}
    group by source_file
)

select
    source_file,
    max(latest_date) as latest_date
from dated
group by source_file
