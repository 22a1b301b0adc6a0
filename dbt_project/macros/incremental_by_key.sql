{#-
  Models incremental by a key (an indicator, a group of linked indicators, an LA): each key's rows are computed
  from that key's own inputs only, so after a refresh that changed one source only the keys whose inputs
  changed are computed again. Used by indicator_benchmarks, published_indicator_benchmarks,
  published_indicator_values and la_time_series (by indicator), int_indicator_values_disclosure (by link group),
  int_ssda903_episodes_merged and adoption_journeys (by LA).

  The model gives `inputs`: SQL with one row per key (columns <key>, fingerprint), a fingerprint of everything
  that key's rows are computed from (computed once a build: keep it cheaper than the model, over tables or
  staging views, never over a view that does the model's own work). The fingerprints of the last build are kept beside
  the model in the intermediate schema (<model>__inputs, never published). In an incremental run:
  - pre-hooks (incremental_fingerprint, incremental_pick_changed, incremental_delete_changed): this build's
    fingerprints go to <model>__current; the keys whose fingerprint differs from the last build's, is new, or
    is gone go to <model>__changed, and their rows are deleted;
  - the model selects the rows of those keys only (incremental_keys_filter);
  - post-hook (incremental_record_inputs): this build's fingerprints replace the last build's.
  The hooks and the insert run in the model's one transaction. A full refresh (every refresh but the CLI's
  incremental ones: pipelines/defs/transform) builds the whole table and records the fingerprints.
-#}

{#- The relation of the model's bookkeeping table `suffix` ('inputs', 'current', 'changed'), in the intermediate
    schema. -#}
{% macro incremental_bookkeeping(suffix) -%}
{{ this.database }}.intermediate."{{ this.identifier }}__{{ suffix }}"
{%- endmacro %}


{#- The order-independent fingerprint of a group of rows (the caller groups them): the row count and the sum of
    the hashes of `columns` (expressions in the caller's scope; a relation's alias hashes its whole row), so a
    repeated row counts twice. -#}
{% macro rows_fingerprint(columns) -%}
hash(count(*), sum(cast(hash({{ columns }}) as hugeint)))
{%- endmacro %}


{#- First pre-hook: this build's fingerprints (to <model>__current). -#}
{% macro incremental_fingerprint(inputs) %}
{%- if is_incremental() -%}
create or replace table {{ incremental_bookkeeping('current') }} as {{ inputs }}
{%- endif -%}
{% endmacro %}


{#- Pre-hook, after incremental_fingerprint: which keys to compute again (to <model>__changed). -#}
{% macro incremental_pick_changed(key) %}
{%- if is_incremental() -%}
{%- set recorded = adapter.get_relation(database=this.database, schema='intermediate',
    identifier=this.identifier ~ '__inputs') -%}
create or replace table {{ incremental_bookkeeping('changed') }} as
with current_inputs as (select * from {{ incremental_bookkeeping('current') }})
{%- if recorded is none %}
-- no fingerprints recorded: every key, and every one the table holds
select {{ key }} from current_inputs
union
select distinct {{ key }} from {{ this }}
{%- else %}
select current_inputs.{{ key }}
from current_inputs
where not exists (
    select 1 from {{ incremental_bookkeeping('inputs') }} as recorded
    where recorded.{{ key }} = current_inputs.{{ key }}
    and recorded.fingerprint = current_inputs.fingerprint
)
union
-- a key with no inputs any more
select {{ key }} from {{ incremental_bookkeeping('inputs') }}
where {{ key }} not in (select {{ key }} from current_inputs)
{%- endif %}
{%- endif -%}
{% endmacro %}


{#- Pre-hook, after incremental_pick_changed: the rows of the keys computed again are deleted. -#}
{% macro incremental_delete_changed(key) %}
{%- if is_incremental() -%}
delete from {{ this }} where {{ key }} in (select {{ key }} from {{ incremental_bookkeeping('changed') }})
{%- endif -%}
{% endmacro %}


{#- In the model's SQL: in an incremental build, only the rows of the keys computed again (`column` the key's
    expression in the caller's scope). -#}
{% macro incremental_keys_filter(column, key) -%}
{%- if is_incremental() -%}
{{ column }} in (select {{ key }} from {{ incremental_bookkeeping('changed') }})
{%- else -%}
true
{%- endif -%}
{%- endmacro %}


{#- Post-hook: the fingerprints of this build, for the next incremental one (a whole build computes them now). -#}
{% macro incremental_record_inputs(inputs) %}
{%- if is_incremental() -%}
create or replace table {{ incremental_bookkeeping('inputs') }} as select * from {{ incremental_bookkeeping('current') }}
{%- else -%}
create or replace table {{ incremental_bookkeeping('inputs') }} as {{ inputs }}
{%- endif %}
{% endmacro %}
