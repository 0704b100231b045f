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


{#-
    Spark's casts from text are lenient where DuckDB's are strict: '2026-11' casts to a date
    (2026-11-01) and a date alone to a timestamp. Dates and timestamps from text must have
    their full shape (yyyy-mm-dd, and hh:mm[:ss[.fraction]] for a timestamp) to cast at all.
-#}
{% macro spark__try_cast(expression, data_type) -%}
    {%- set shapes = {
        'date': '^[0-9]{4}-[0-9]{2}-[0-9]{2}$',
        'timestamp': '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,9})?)?$'} -%}
    {%- set shape = shapes.get(data_type | lower | trim) -%}
    {%- if shape -%}
        case when cast({{ expression }} as string) rlike '{{ shape }}' then try_cast({{ expression }} as {{ data_type }}) end
    {%- else -%}
        try_cast({{ expression }} as {{ data_type }})
    {%- endif -%}
{%- endmacro %}
