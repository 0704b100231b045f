{#- true for a real number: not NaN, not +/- infinity (null stays null). -#}
{% macro is_finite(expression) -%}
    {{ return(adapter.dispatch('is_finite', 'live_streaming')(expression)) }}
{%- endmacro %}

{% macro default__is_finite(expression) -%}
    (not isnan({{ expression }}) and abs({{ expression }}) <= 1.7976931348623157e308)
{%- endmacro %}

{% macro duckdb__is_finite(expression) -%}
    isfinite({{ expression }})
{%- endmacro %}
