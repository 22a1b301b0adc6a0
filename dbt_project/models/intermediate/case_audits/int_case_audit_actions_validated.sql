-- One row per action_id across every loaded export (the most recent export's version wins), checked
-- against the audits of every loaded file. The rules that need more than the action's own row live here,
-- and only here:
--   * the action's audit must exist (it may be in another file, loaded before or after the actions);
--   * the action cannot have been completed before its audit took place.
-- A row breaking one has rejection_* set: it is kept out of marts.case_audit_actions and copied to
-- quality.rejected_rows (with file, row, column, value and reason) by the Dagster asset
-- quality/case_audit_cross_file_rejections after every dbt build, so the quarantine always reflects the
-- files loaded now: an orphan action leaves it on the refresh that loads its audit.
with ranked as (
    select
        actions.*,
        row_number() over (
            partition by actions.action_id
            order by files.latest_date desc nulls last, actions.source_file desc, actions.source_row_number asc
        ) as copy_number
    from {{ ref('stg_case_audits__actions') }} as actions
    inner join {{ ref('int_case_audit_files') }} as files on actions.source_file = files.source_file
),

actions as (
    select * exclude (copy_number)
    from ranked
    where copy_number = 1
),

checked as (
    select
        actions.*,
        audits.audit_date,
        audits.team as audit_team,
        audits.la_code,
        audits.audit_id is null as audit_missing,
        actions.completed_date < audits.audit_date as completed_before_audit
    from actions
    left join {{ ref('int_case_audits_deduplicated') }} as audits on actions.audit_id = audits.audit_id
)

select
    action_id,
    audit_id,
    action_type,
    owner_team,
    due_date,
    completed_date,
    audit_date,
    audit_team,
    la_code,
    source_file,
    source_sheet,
    source_row_number,
    case
        when audit_missing then 'audit_id'
        when completed_before_audit then 'completed_date'
    end as rejection_column,
    case
        when audit_missing then audit_id
        when completed_before_audit then strftime(completed_date, '%Y-%m-%d')
    end as rejection_value,
    -- A workbook holds two sheets: its row numbers need the sheet's name to be found.
    coalesce('sheet ''' || source_sheet || ''', ', '') || case
        when audit_missing
            then
                'action ' || action_id || ': no audit with audit_id ''' || audit_id || ''' in any loaded case-audit '
                || 'file: load the audits export that holds it or correct the audit_id (if that audit was itself '
                || 'quarantined, its row in quality.rejected_rows says why)'
        when completed_before_audit then
            'action ' || action_id || ': completed_date ' || strftime(completed_date, '%Y-%m-%d')
            || ' is before the date of its audit ' || audit_id || ' (' || strftime(audit_date, '%Y-%m-%d')
            || '): correct the completed date or the audit date'
    end as rejection_reason
from checked
