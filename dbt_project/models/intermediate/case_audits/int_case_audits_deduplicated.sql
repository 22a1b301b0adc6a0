-- One row per audit_id across every loaded export. A file never repeats an audit_id (the ingest
-- quarantines the repeat, keeping the first); across files the most recent export's version wins.
with ranked as (
    select
        audits.*,
        row_number() over (
            partition by audits.audit_id
            order by files.latest_date desc nulls last, audits.source_file desc, audits.source_row_number asc
        ) as copy_number
    from {{ ref('stg_case_audits__audits') }} as audits
    inner join {{ ref('int_case_audit_files') }} as files on audits.source_file = files.source_file
)

select * exclude (copy_number)
from ranked
where copy_number = 1
