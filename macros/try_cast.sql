{#
    Cast that yields null instead of failing, for untrusted text. dbt's own
    safe_cast is a plain cast on DuckDB, so one bad value would stop a build.
    `try_cast(x as t)` is the same SQL on DuckDB, Spark and Databricks; an engine
    that spells it otherwise gets its own <adapter>__try_cast.
#}
{% macro try_cast(expression, data_type) -%}
    {{ return(adapter.dispatch('try_cast', 'live_streaming')(expression, data_type)) }}
{%- endmacro %}

{% macro default__try_cast(expression, data_type) -%}
    try_cast({{ expression }} as {{ data_type }})
{%- endmacro %}
