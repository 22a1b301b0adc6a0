-- The reorganisations mapped between predecessor and successor LAs (seeds/reorganisations/ref_la_successions.csv):
-- the mapping the benchmarks and marts.la_time_series use, named from the LA code list.
select
    successions.predecessor_la_code,
    coalesce(predecessor.la_name, successions.predecessor_la_name) as predecessor_la_name,
    successions.successor_la_code,
    coalesce(successor.la_name, successions.successor_la_name) as successor_la_name,
    successor.region_code,
    successions.change_date,
    successions.whole_area,
    successions.stands_for_successor,
    successions.note
from {{ ref('ref_la_successions') }} as successions
left join {{ ref('dim_local_authority') }} as predecessor on successions.predecessor_la_code = predecessor.la_code
left join {{ ref('dim_local_authority') }} as successor on successions.successor_la_code = successor.la_code
