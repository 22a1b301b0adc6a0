-- One row per judgement of each inspection, whichever files, sheets and vintages repeat it.
--
-- Copies of one inspection are found by date, not by exact equality: the same LA, framework and kind
-- (first inspection or re-inspection), dated within 183 days of each other (Ofsted inspects an LA under one
-- framework at most every few years, and vintages disagree by a day on some publication dates: Wiltshire's
-- 2019 ILACS is 21/07/2019 in the 2022 underlying data and 22/07/2019 in the 2023 one). A copy is dated by
-- its publication date, else its inspection date (the "as at 31 March" sheets of the underlying data
-- give only the inspection date, the history sheets only the publication date).
--
-- For each judgement the copy kept is: Ofsted's statistics before judgement records (keyed by hand), then
-- the newest vintage (the file whose latest date is latest), then the history sheet. The inspection's
-- dates are the best-ranked copy's that gives them; where copies disagree on the publication date or the
-- grade, the disagreement is kept in a column of its own.
with unioned as (
    select *, true as is_official from {{ ref('stg_ofsted__workbook_judgements') }}
    union all by name
    select *, true as is_official from {{ ref('stg_ofsted__history_judgements') }}
    union all by name
    select *, false as is_official from {{ ref('stg_ofsted__judgement_records') }}
),

dated as (
    select
        *,
        coalesce(publication_date, inspection_start_date) as event_date,
        max(coalesce(publication_date, inspection_start_date)) over (partition by source_file) as file_vintage,
        regexp_matches(lower(coalesce(inspection_type, '')), 're-?inspection') as is_reinspection,
        regexp_extract(source_file, '[^/\\]+$') as file_name
    from unioned
),

gaps as (
    select
        *,
        case
            when event_date - lag(event_date) over (
                partition by la_code, framework, is_reinspection
                order by event_date, source_file, source_row_number, service_area, judgement_area
            ) > 183 then 1 else 0
        end as starts_inspection
    from dated
),

copies as (
    select
        *,
        sum(starts_inspection) over (
            partition by la_code, framework, is_reinspection
            order by event_date, source_file, source_row_number, service_area, judgement_area
            rows between unbounded preceding and current row
        ) as inspection_number
    from gaps
),

inspections as (
    select
        la_code,
        framework,
        is_reinspection,
        inspection_number,
        first(inspection_type order by is_official desc, file_vintage desc, source_priority asc, source_file asc)
            as inspection_type,
        first(
            inspection_start_date order by is_official desc, file_vintage desc, source_priority asc, source_file asc
        ) filter (where inspection_start_date is not null) as known_start_date,
        first(
            inspection_end_date order by is_official desc, file_vintage desc, source_priority asc, source_file asc
        ) filter (where inspection_end_date is not null) as inspection_end_date,
        first(
            publication_date order by is_official desc, file_vintage desc, source_priority asc, source_file asc
        ) filter (where publication_date is not null) as known_publication_date,
        count(distinct publication_date) as publication_dates,
        string_agg(
            distinct cast(publication_date as varchar) || ' in ' || file_name, '; '
            order by cast(publication_date as varchar) || ' in ' || file_name
        ) as publication_dates_given
    from copies
    group by all
),

ranked as (
    select
        *,
        row_number() over (
            partition by
                la_code, framework, is_reinspection, inspection_number,
                lower(service_area), lower(judgement_area)
            order by is_official desc, file_vintage desc, source_priority asc, source_file asc, source_row_number asc
        ) as copy_number,
        count(*) over (
            partition by
                la_code, framework, is_reinspection, inspection_number,
                lower(service_area), lower(judgement_area)
        ) as copies_found,
        count(distinct grade_rank) over (
            partition by
                la_code, framework, is_reinspection, inspection_number,
                lower(service_area), lower(judgement_area)
        ) as grade_ranks_given
    from copies
),

grade_disagreements as (
    select
        la_code, framework, is_reinspection, inspection_number,
        lower(service_area) as service_key,
        lower(judgement_area) as judgement_key,
        string_agg(
            distinct grade_label || ' in ' || file_name, '; '
            order by grade_label || ' in ' || file_name
        ) as grades_given
    from ranked
    where grade_ranks_given > 1
    group by all
)

select
    ranked.la_code,
    (
        ranked.la_code || '-' || ranked.framework || '-'
        || strftime(coalesce(insp.known_start_date, insp.known_publication_date), '%Y%m%d')
    ) as inspection_id,
    ranked.framework,
    insp.inspection_type,
    insp.known_start_date as inspection_start_date,
    insp.inspection_end_date,
    coalesce(insp.known_publication_date, insp.known_start_date) as publication_date,
    ranked.service_area,
    ranked.judgement_area,
    ranked.grade_label,
    ranked.grade_rank,
    ranked.source_file,
    ranked.source_row_number,
    insp.known_start_date is not null as inspection_start_date_known,
    insp.known_publication_date is not null as publication_date_known,
    ranked.copies_found as copies,
    case
        when insp.publication_dates > 1
            then 'publication date given as ' || insp.publication_dates_given
    end as publication_date_disagreement,
    case when gd.grades_given is not null then 'grade given as ' || gd.grades_given end as grade_disagreement
from ranked
inner join inspections as insp
    on ranked.la_code = insp.la_code
    and ranked.framework = insp.framework
    and ranked.is_reinspection = insp.is_reinspection
    and ranked.inspection_number = insp.inspection_number
left join grade_disagreements as gd
    on ranked.la_code = gd.la_code
    and ranked.framework = gd.framework
    and ranked.is_reinspection = gd.is_reinspection
    and ranked.inspection_number = gd.inspection_number
    and lower(ranked.service_area) is not distinct from gd.service_key
    and lower(ranked.judgement_area) = gd.judgement_key
where ranked.copy_number = 1
