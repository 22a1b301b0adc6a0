{#- Ofsted grade words of every framework to one scale: 1 Outstanding .. 4 Inadequate. -#}
{% macro grade_rank(column) -%}
    case lower(trim({{ column }}))
        when 'outstanding' then 1
        when 'good' then 2
        when 'adequate' then 3
        when 'requires improvement' then 3
        when 'requires improvement to be good' then 3
        when 'inadequate' then 4
    end
{%- endmacro %}
