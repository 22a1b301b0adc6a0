-- Ofsted's workbook, one row per graded judgement (ILACS). Visits without judgements drop out here.
with source_rows as (
    select * from {{ source('ofsted', 'ofsted_workbook_rows') }}
),

unpivoted as (
    {% set judgements = [
        ('overall_effectiveness', 'Overall', 'Overall effectiveness'),
        ('impact_of_leaders', 'Overall', 'The impact of leaders on social work practice with children and families'),
        ('help_and_protection', 'Help and protection', 'The experiences and progress of children who need help and protection'),
        ('children_in_care', 'Children in care', 'The experiences and progress of children in care'),
        ('care_leavers', 'Care leavers', 'The experiences and progress of care leavers'),
    ] %}
    {% for column, service_area, judgement_area in judgements %}
    select
        la_code,
        inspection_type,
        inspection_date,
        publication_date,
        sheet_kind,
        _file_path,
        _row_number,
        '{{ service_area }}' as service_area,
        '{{ judgement_area }}' as judgement_area,
        {{ column }} as grade_label
    from source_rows
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select
    la_code,
    'ILACS' as framework,
    coalesce(inspection_type, 'ILACS inspection') as inspection_type,
    cast(inspection_date as date) as inspection_start_date,
    cast(null as date) as inspection_end_date,
    cast(publication_date as date) as publication_date,
    service_area,
    judgement_area,
    grade_label,
    {{ grade_rank('grade_label') }} as grade_rank,
    case sheet_kind when 'history' then 1 when 'as_at_31_march' then 2 else 3 end as source_priority,
    _file_path as source_file,
    _row_number as source_row_number
from unpivoted
where grade_label is not null
