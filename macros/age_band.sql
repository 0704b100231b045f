{#
    Age band from a birth year, as of a reference year. Marts expose this band
    and never the birth year itself.
#}
{% macro age_band(birth_year, as_of_year) -%}
    case
        when {{ birth_year }} is null or {{ as_of_year }} is null then 'unknown'
        when {{ as_of_year }} - {{ birth_year }} < 18 then 'under_18'
        when {{ as_of_year }} - {{ birth_year }} < 25 then '18_24'
        when {{ as_of_year }} - {{ birth_year }} < 35 then '25_34'
        when {{ as_of_year }} - {{ birth_year }} < 45 then '35_44'
        else '45_plus'
    end
{%- endmacro %}
