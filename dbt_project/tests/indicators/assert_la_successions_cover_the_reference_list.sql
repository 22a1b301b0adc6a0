{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'la_successions'}}}) }}
-- The reorganisation mapping agrees with the LA code list (dim_local_authority): every predecessor ended the
-- day before its change_date and every successor began on it; and every former LA whose code ended on the
-- day before a new LA of its region began, and every such new LA (a reorganisation that changed DfE codes),
-- is in the mapping. A warning, not a blocker: a dropped-in older LA list (raw/reference/) may date the
-- reorganisations differently, and a reference list never stops the refresh (raw-inputs.md, reference/).
with las as (
    select la_code, region_code, is_current, code_in_use_from, code_in_use_to
    from {{ ref('dim_local_authority') }}
),

successions as (
    select * from {{ ref('la_successions') }}
),

wrong_dates as (
    select
        successions.predecessor_la_code || ' -> ' || successions.successor_la_code as problem,
        'the dates of the LA code list do not match change_date' as reason
    from successions
    left join las as predecessor on successions.predecessor_la_code = predecessor.la_code
    left join las as successor on successions.successor_la_code = successor.la_code
    where
        predecessor.code_in_use_to is distinct from successions.change_date - 1
        or successor.code_in_use_from is distinct from successions.change_date
),

-- pairs of a former LA and a new LA of the same region that began the day after it ended
changes as (
    select former.la_code as former_la_code, successor.la_code as new_la_code
    from las as former
    inner join las as successor
        on former.region_code = successor.region_code
        and successor.code_in_use_from = former.code_in_use_to + 1
        and successor.la_code != former.la_code
    where not former.is_current
),

unmapped as (
    select former_la_code as problem, 'a former LA of the LA code list missing from la_successions' as reason
    from changes
    where former_la_code not in (select successions.predecessor_la_code from successions)
    union
    select new_la_code, 'a new LA of the LA code list missing from la_successions'
    from changes
    where new_la_code not in (select successions.successor_la_code from successions)
)

select * from wrong_dates
union all
select * from unmapped
