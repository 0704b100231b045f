{#
    JSON helpers: the only place that knows an engine's JSON syntax.
    Models call these macros; add a `<adapter>__` implementation to port them.

    `json_safe(col)` returns the text when it is valid JSON and null otherwise,
    so that the other helpers never raise on malformed input.
#}

{% macro json_safe(column) -%}
    {{ return(adapter.dispatch('json_safe', 'live_streaming')(column)) }}
{%- endmacro %}

{% macro default__json_safe(column) -%}
    case when json_valid({{ column }}) then {{ column }} end
{%- endmacro %}


{#- true when the text is a JSON object (not an array, scalar, null or malformed) -#}
{% macro json_is_object(column) -%}
    {{ return(adapter.dispatch('json_is_object', 'live_streaming')(column)) }}
{%- endmacro %}

{% macro default__json_is_object(column) -%}
    coalesce(json_type({{ json_safe(column) }}) = 'OBJECT', false)
{%- endmacro %}


{#- the value at top-level key `key` as text (null when absent or JSON null) -#}
{% macro json_text(column, key) -%}
    {{ return(adapter.dispatch('json_text', 'live_streaming')(column, key)) }}
{%- endmacro %}

{% macro default__json_text(column, key) -%}
    nullif(json_extract_string({{ json_safe(column) }}, '$.{{ key }}'), '')
{%- endmacro %}


{#- the value at `key` as a whole number; null when absent, not a number or fractional -#}
{% macro json_integer(column, key) -%}
    {%- set as_number = try_cast(json_text(column, key), api.Column.translate_type('double')) -%}
    case
        when {{ as_number }} = floor({{ as_number }})
            then {{ try_cast(as_number, api.Column.translate_type('bigint')) }}
    end
{%- endmacro %}
