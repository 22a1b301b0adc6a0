{#- True when a text column names a Local Safeguarding Children Board (LSCB) review (or its successor
    arrangements), whose judgement is the board's and never the LA's overall grade. -#}
{% macro is_lscb_judgement(column) %}
coalesce(regexp_matches(lower({{ column }}), 'lscb|safeguarding children (board|partnership)'), false)
{% endmacro %}
