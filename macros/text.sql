{#- Trimmed text with empty strings turned into null: raw columns all arrive as text. -#}
{% macro clean_text(column) -%}
    nullif(trim(cast({{ column }} as {{ api.Column.translate_type('string') }})), '')
{%- endmacro %}
