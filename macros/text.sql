{#- Text with surrounding whitespace (spaces, tabs, line breaks) removed and empty strings turned into null: raw columns all arrive as text. -#}
{% macro clean_text(column) -%}
    {{ return(adapter.dispatch('clean_text', 'live_streaming')(column)) }}
{%- endmacro %}

{% macro default__clean_text(column) -%}
    nullif(trim(both ' \t\r\n' from cast({{ column }} as {{ api.Column.translate_type('string') }})), '')
{%- endmacro %}

{% macro duckdb__clean_text(column) -%}
    nullif(trim(cast({{ column }} as {{ api.Column.translate_type('string') }}), ' ' || chr(9) || chr(10) || chr(13)), '')
{%- endmacro %}
