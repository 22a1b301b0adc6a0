-- completed_on_time is null exactly while an action is open, and is_open agrees with completed_date.
select *
from {{ ref('case_audit_actions') }}
where
    is_open <> (completed_date is null)
    or is_open <> (completed_on_time is null)
    or (not is_open and completed_on_time <> (completed_date <= due_date))
