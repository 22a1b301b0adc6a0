-- SSDA903 episodes of every return, typed. DECOM/DEC keep their DfE names (start and end of the episode).
select
    la_code,
    cast(collection_year as integer) as collection_year,
    child_key,
    cast(decom as date) as decom,
    cast(dec as date) as dec,
    rne,
    ls,
    cin,
    place,
    place_provider,
    rec,
    reason_place_change,
    _file_path as source_file,
    _row_number as source_row_number
from {{ source('ssda903', 'ssda903_episodes') }}
