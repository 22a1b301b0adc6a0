{#- Ofsted grade words of every framework to one scale: 1 Outstanding .. 4 Inadequate. The words are read as the
    ingest reads them (pipelines/lib/parsing.squash): any case, any run of whitespace (non-breaking spaces
    included) between and around them, so that a grade the ingest let through always has a rank; with
    digits=true a bare 1-4 (once in Ofsted's statistics) is the rank. -#}
{% macro grade_rank(column, digits=false) -%}
    case lower(trim(regexp_replace({{ column }}, '[\s\p{Z}\x{1c}-\x{1f}\x{85}]+', ' ', 'g')))
        when 'outstanding' then 1
        when 'good' then 2
        when 'adequate' then 3
        when 'requires improvement' then 3
        when 'requires improvement to be good' then 3
        when 'inadequate' then 4
        {%- if digits %}
        when '1' then 1
        when '2' then 2
        when '3' then 3
        when '4' then 4
        {%- endif %}
    end
{%- endmacro %}
