{#- True when a text column names a targeted looked after children inspection (TLAC, 2013), which judged
    one service and is never the LA's overall grade (like an LSCB review, is_lscb_judgement). -#}
{% macro is_tlac_judgement(column) %}
coalesce(regexp_matches(lower({{ column }}), '\btlac\b|targeted looked after'), false)
{% endmacro %}
