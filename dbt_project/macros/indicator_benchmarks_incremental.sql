{#-
  indicator_benchmarks and published_indicator_benchmarks are incremental by indicator: an indicator's
  benchmarks are computed from its own rows only (its LA, England and region values, its catalogue row, its
  thresholds) and from the reference every indicator shares (LAs and regions, statistical neighbours, LA
  successions, var('rank_min_las')). So after a refresh that changed one source (one LA's new SSDA903 year
  changes the adoption indicators only) only the indicators whose inputs changed are computed again.

  The inputs of each indicator are fingerprinted (benchmark_inputs); the fingerprints of the last build are kept
  beside the model in the intermediate schema (<model>__inputs, never published). In an incremental run:
  - pre-hooks (benchmarks_pick_changed, benchmarks_delete_changed): the indicators whose fingerprint differs
    from the last build's, is new, or is gone go to <model>__changed, and their rows are deleted;
  - the model selects the rows of those indicators only (indicator_benchmarks, is_incremental());
  - post-hook (benchmarks_record_inputs): the fingerprints of this build replace the last build's.
  The hooks and the insert run in the model's one transaction. A full refresh (every refresh but the CLI's
  incremental ones: pipelines/defs/transform) builds the whole table and records the fingerprints.
-#}

{#- The relation of the model's bookkeeping table `suffix` ('inputs', 'changed'), in the intermediate schema. -#}
{% macro benchmarks_bookkeeping(suffix) -%}
{{ this.database }}.intermediate."{{ this.identifier }}__{{ suffix }}"
{%- endmacro %}


{#- One row per indicator of `values_model`: a fingerprint of everything its benchmarks are computed from. -#}
{% macro benchmark_inputs(values_model) %}
    with value_rows as (
        select
            indicator_code,
            count(*) as row_count,
            sum(cast(hash(
                area_code, geography_level, la_code, time_period, period_label, breakdown, value,
                status_symbol, numerator, denominator
            ) as hugeint)) as rows_hash
        from {{ ref(values_model) }}
        group by indicator_code
    ),

    catalogue_rows as (
        select indicator_code, hash(title, domain, unit, polarity, not_ranked_because) as catalogue_hash
        from {{ ref('indicator_catalogue') }}
    ),

    threshold_rows as (
        select
            indicator_code,
            sum(cast(hash(la_code, time_period, threshold, threshold_verified) as hugeint)) as thresholds_hash
        from {{ ref('int_indicator_thresholds') }}
        group by indicator_code
    ),

    shared as (
        select hash(
            (select sum(cast(hash(la_code, la_name, region_code) as hugeint)) from {{ ref('dim_local_authority') }}),
            (
                select sum(cast(hash(la_code, neighbour_la_code, neighbour_rank, sn_model) as hugeint))
                from {{ ref('dim_statistical_neighbours') }}
            ),
            (
                select sum(cast(hash(
                    predecessor_la_code, successor_la_code, change_date, whole_area, stands_for_successor
                ) as hugeint))
                from {{ ref('la_successions') }}
            ),
            {{ var('rank_min_las', 100) }}
        ) as shared_hash
    )

    select
        value_rows.indicator_code,
        hash(
            value_rows.row_count, value_rows.rows_hash, catalogue_rows.catalogue_hash,
            threshold_rows.thresholds_hash, shared.shared_hash
        ) as fingerprint
    from value_rows
    left join catalogue_rows on value_rows.indicator_code = catalogue_rows.indicator_code
    left join threshold_rows on value_rows.indicator_code = threshold_rows.indicator_code
    cross join shared
{% endmacro %}


{#- Pre-hook: which indicators to compute again (to <model>__changed), and their rows deleted. -#}
{% macro benchmarks_pick_changed(values_model) %}
{%- if is_incremental() -%}
{%- set recorded = adapter.get_relation(database=this.database, schema='intermediate',
    identifier=this.identifier ~ '__inputs') -%}
create or replace table {{ benchmarks_bookkeeping('changed') }} as
with current_inputs as ({{ benchmark_inputs(values_model) }})
{%- if recorded is none %}
-- no fingerprints recorded: every indicator, and every one the table holds
select indicator_code from current_inputs
union
select distinct indicator_code from {{ this }}
{%- else %}
select current_inputs.indicator_code
from current_inputs
where not exists (
    select 1 from {{ benchmarks_bookkeeping('inputs') }} as recorded
    where recorded.indicator_code = current_inputs.indicator_code
    and recorded.fingerprint = current_inputs.fingerprint
)
union
-- an indicator with no values any more
select indicator_code from {{ benchmarks_bookkeeping('inputs') }}
where indicator_code not in (select indicator_code from current_inputs)
{%- endif %}
{%- endif -%}
{% endmacro %}


{#- Pre-hook, after benchmarks_pick_changed: the rows of the indicators computed again are deleted. -#}
{% macro benchmarks_delete_changed() %}
{%- if is_incremental() -%}
delete from {{ this }} where indicator_code in (select indicator_code from {{ benchmarks_bookkeeping('changed') }})
{%- endif -%}
{% endmacro %}


{#- Post-hook: the fingerprints of this build, for the next incremental one. -#}
{% macro benchmarks_record_inputs(values_model) %}
create or replace table {{ benchmarks_bookkeeping('inputs') }} as {{ benchmark_inputs(values_model) }}
{% endmacro %}
