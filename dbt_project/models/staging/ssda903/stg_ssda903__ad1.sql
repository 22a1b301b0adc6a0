-- SSDA903 AD1 (children adopted in the year) of every return, typed.
select
    la_code,
    cast(collection_year as integer) as collection_year,
    child_key,
    cast(date_int as date) as date_int,
    cast(date_match as date) as date_match,
    cast(foster_care as integer) as foster_care,
    cast(nb_adoptr as integer) as nb_adoptr,
    sex_adoptr,
    ls_adoptr,
    _file_path as source_file,
    _row_number as source_row_number
from {{ source('ssda903', 'ssda903_ad1') }}
