-- SSDA903 PlacedAdoption (decisions that a child should be placed for adoption) of every return, typed.
select
    la_code,
    cast(collection_year as integer) as collection_year,
    child_key,
    cast(date_placed as date) as date_placed,
    cast(date_placed_ceased as date) as date_placed_ceased,
    reason_placed_ceased,
    _file_path as source_file,
    _row_number as source_row_number
from {{ source('ssda903', 'ssda903_placed_adoption') }}
