{#- Rows whose combination of `columns` is not unique (as dbt_utils.unique_combination_of_columns, without the package). -#}
{% test unique_combination_of_columns(model, columns) %}
select {{ columns | join(', ') }}, count(*) as copies
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
