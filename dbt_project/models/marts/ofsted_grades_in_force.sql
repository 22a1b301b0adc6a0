-- The Ofsted overall effectiveness grade in force for every LA at every snapshot date (31 March of each year,
-- as Ofsted's statistics report it; indicators.md "Ofsted"): the latest overall effectiveness judgement
-- published on or before that date, whatever its framework. Every LA whose DfE code was in use on the date
-- has a row; one with no judgement published by then has no grade and status_symbol 'x' (a new LA is not
-- given its predecessor's grade: Ofsted reports it as not yet inspected). Snapshots run from the first
-- 31 March on or after the earliest publication to the first on or after the latest inspection (a workbook
-- "as at 31 March 2025" covers the inspections made by then, some published after it), never past today.
with judgements as (
    select * from {{ ref('int_ofsted_overall_judgements') }}
),

bounds as (
    select
        min(publication_date) as first_publication,
        max(coalesce(inspection_start_date, publication_date)) as last_inspection
    from judgements
),

snapshot_years as (
    select cast(range as integer) as snapshot_year
    from bounds,
        range(
            year(bounds.first_publication)
            + case when bounds.first_publication > make_date(year(bounds.first_publication), 3, 31) then 1 else 0 end,
            year(bounds.last_inspection)
            + case when bounds.last_inspection > make_date(year(bounds.last_inspection), 3, 31) then 1 else 0 end
            + 1
        )
    where make_date(cast(range as integer), 3, 31) <= current_date
),

snapshots as (
    select snapshot_year, make_date(snapshot_year, 3, 31) as snapshot_date from snapshot_years
),

las_at_snapshot as (
    select snapshots.*, las.la_code, las.la_name, las.region_code
    from snapshots
    inner join {{ ref('dim_local_authority') }} as las
        on coalesce(las.code_in_use_from <= snapshots.snapshot_date, true)
        and (las.code_in_use_to is null or las.code_in_use_to >= snapshots.snapshot_date)
),

in_force as (
    select
        las_at_snapshot.snapshot_date,
        las_at_snapshot.la_code,
        judgements.inspection_id,
        judgements.framework,
        judgements.inspection_type,
        judgements.inspection_start_date,
        judgements.publication_date,
        judgements.overall_grade_label,
        judgements.overall_grade_rank,
        judgements.source_file
    from las_at_snapshot
    inner join judgements
        on las_at_snapshot.la_code = judgements.la_code
        and judgements.publication_date <= las_at_snapshot.snapshot_date
    qualify row_number() over (
        partition by las_at_snapshot.snapshot_date, las_at_snapshot.la_code
        order by judgements.publication_date desc, judgements.inspection_start_date desc
    ) = 1
)

select
    las_at_snapshot.snapshot_date,
    las_at_snapshot.snapshot_year,
    las_at_snapshot.la_code,
    las_at_snapshot.la_name,
    las_at_snapshot.region_code,
    in_force.inspection_id,
    in_force.framework,
    in_force.inspection_type,
    in_force.inspection_start_date,
    in_force.publication_date,
    in_force.overall_grade_label,
    cast(in_force.overall_grade_rank as integer) as overall_grade_rank,
    case when in_force.overall_grade_rank is null then 'x' end as status_symbol,
    in_force.source_file
from las_at_snapshot
left join in_force
    on las_at_snapshot.snapshot_date = in_force.snapshot_date
    and las_at_snapshot.la_code = in_force.la_code
order by las_at_snapshot.la_code, las_at_snapshot.snapshot_date
