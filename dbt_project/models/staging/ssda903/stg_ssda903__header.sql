-- SSDA903 Header rows of every return, typed. Only the month of birth is held (first of the month).
select
    la_code,
    cast(collection_year as integer) as collection_year,
    child_key,
    sex,
    cast(birth_month as date) as birth_month,
    ethnic,
    _file_path as source_file,
    _row_number as source_row_number
from {{ source('ssda903', 'ssda903_header') }}
