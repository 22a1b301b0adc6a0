-- Ofsted's monitoring and focused visits: dated events without a grade, one per LA, visit type and date
-- whichever files and vintages list it (the newest file's copy is kept).
with visits as (
    select
        *,
        max(visit_date) over (partition by source_file) as file_vintage
    from {{ ref('stg_ofsted__visits') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by la_code, lower(visit_type), visit_date
            order by file_vintage desc, source_file asc, source_row_number asc
        ) as copy_number,
        count(*) over (partition by la_code, lower(visit_type), visit_date) as copies
    from visits
)

select
    (
        la_code || '-' || strftime(visit_date, '%Y%m%d') || '-'
        || regexp_replace(lower(visit_type), '[^a-z]+', '-', 'g')
    ) as visit_id,
    la_code,
    visit_type,
    case
        when lower(visit_type) like '%monitoring%' then 'Monitoring visit'
        when lower(visit_type) like '%focused%' then 'Focused visit'
        else 'Other visit'
    end as visit_kind,
    visit_date,
    publication_date,
    visit_theme,
    copies,
    source_file,
    source_row_number
from ranked
where copy_number = 1
