{#
    JSON helpers: the only place that knows an engine's JSON syntax.
    Models call these macros; add a `<adapter>__` implementation to port them.

    `json_safe(col)` returns the text when it is valid JSON and null otherwise,
    so that the other helpers never raise on malformed input.
#}

{% macro json_safe(column) -%}
    {{ return(adapter.dispatch('json_safe', 'live_streaming')(column)) }}
{%- endmacro %}

{% macro duckdb__json_safe(column) -%}
    case when json_valid({{ column }}) then {{ column }} end
{%- endmacro %}

{#- Spark 4: try_parse_json is null for text that is not JSON (its variant keeps JSON null apart). -#}
{% macro spark__json_safe(column) -%}
    case when try_parse_json({{ column }}) is not null then {{ column }} end
{%- endmacro %}


{#- true when the text is a JSON object (not an array, scalar, null or malformed) -#}
{% macro json_is_object(column) -%}
    {{ return(adapter.dispatch('json_is_object', 'live_streaming')(column)) }}
{%- endmacro %}

{% macro duckdb__json_is_object(column) -%}
    coalesce(json_type({{ json_safe(column) }}) = 'OBJECT', false)
{%- endmacro %}

{% macro spark__json_is_object(column) -%}
    coalesce(schema_of_variant(try_parse_json({{ column }})) like 'OBJECT<%', false)
{%- endmacro %}


{#- the value at top-level key `key` as text (null when absent or JSON null) -#}
{% macro json_text(column, key) -%}
    {{ return(adapter.dispatch('json_text', 'live_streaming')(column, key)) }}
{%- endmacro %}

{% macro duckdb__json_text(column, key) -%}
    nullif(json_extract_string({{ json_safe(column) }}, '$.{{ key }}'), '')
{%- endmacro %}

{#- get_json_object, like json_extract_string, gives a string unquoted and anything else as JSON text. -#}
{% macro spark__json_text(column, key) -%}
    nullif(get_json_object({{ json_safe(column) }}, '$.{{ key }}'), '')
{%- endmacro %}


{#-
    json_text for several keys of one column: {key: expression}. DuckDB reads every key from one
    parse of the text (the same list expression in each, computed once per row); other engines use
    json_text per key.
-#}
{% macro json_texts(column, keys) -%}
    {{ return(adapter.dispatch('json_texts', 'live_streaming')(column, keys)) }}
{%- endmacro %}

{% macro default__json_texts(column, keys) -%}
    {%- set texts = {} -%}
    {%- for key in keys -%}
        {%- do texts.update({key: json_text(column, key)}) -%}
    {%- endfor -%}
    {{ return(texts) }}
{%- endmacro %}

{% macro duckdb__json_texts(column, keys) -%}
    {%- set values -%}
        json_extract_string({{ json_safe(column) }}, ['$.{{ keys | join("', '$.") }}'])
    {%- endset -%}
    {%- set texts = {} -%}
    {%- for key in keys -%}
        {%- do texts.update({key: "nullif(" ~ values ~ "[" ~ loop.index ~ "], '')"}) -%}
    {%- endfor -%}
    {{ return(texts) }}
{%- endmacro %}


{#- the value at `key` as a whole number; null when absent, not a number or fractional -#}
{% macro json_integer(column, key) -%}
    {{ text_whole_number(json_text(column, key)) }}
{%- endmacro %}

{#- text as a whole number; null when not a number or fractional -#}
{% macro text_whole_number(text) -%}
    {%- set as_number = try_cast(text, api.Column.translate_type('double')) -%}
    case
        when {{ as_number }} = floor({{ as_number }})
            then {{ try_cast(as_number, api.Column.translate_type('bigint')) }}
    end
{%- endmacro %}
