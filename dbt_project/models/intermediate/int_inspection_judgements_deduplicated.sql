-- One row per judgement of each inspection, whichever files and sheets repeat it. The same inspection
-- appears on several sheets of Ofsted's workbook and in every later year's workbook: the history sheet
-- wins over the other sheets, the workbook over hand-keyed records, and a newer file over an older one.
with unioned as (
    select * from {{ ref('stg_ofsted__workbook_judgements') }}
    union all by name
    select * from {{ ref('stg_ofsted__judgement_records') }}
),

with_file_recency as (
    select
        *,
        max(publication_date) over (partition by source_file) as file_latest_publication
    from unioned
),

ranked as (
    select
        *,
        row_number() over (
            partition by la_code, framework, inspection_start_date, lower(service_area), lower(judgement_area)
            order by source_priority, file_latest_publication desc, source_file, source_row_number
        ) as copy_number
    from with_file_recency
)

select
    la_code,
    la_code || '-' || framework || '-' || strftime(inspection_start_date, '%Y%m%d') as inspection_id,
    framework,
    inspection_type,
    inspection_start_date,
    inspection_end_date,
    publication_date,
    service_area,
    judgement_area,
    grade_label,
    grade_rank,
    source_file,
    source_row_number
from ranked
where copy_number = 1
