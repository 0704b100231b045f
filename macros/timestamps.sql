{#
    Parse an ISO-8601 UTC timestamp as the raw contract writes it
    (`2026-11-01T20:15:03.123Z`, milliseconds optional). Anything else gives null:
    no guessing of ambiguous formats.
#}
{% macro parse_utc_timestamp(column) -%}
    {{ return(adapter.dispatch('parse_utc_timestamp', 'live_streaming')(column)) }}
{%- endmacro %}

{% macro default__parse_utc_timestamp(column) -%}
    {{ try_cast(column, api.Column.translate_type('timestamp')) }}
{%- endmacro %}

{% macro duckdb__parse_utc_timestamp(column) -%}
    try_strptime({{ column }}, ['%Y-%m-%dT%H:%M:%S.%gZ', '%Y-%m-%dT%H:%M:%S.%fZ', '%Y-%m-%dT%H:%M:%SZ'])
{%- endmacro %}


{#- Fractional minutes between two timestamps (end - start). -#}
{% macro minutes_between(start_column, end_column) -%}
    ({{ dbt.datediff(start_column, end_column, 'millisecond') }} / 60000.0)
{%- endmacro %}

{#- Fractional seconds between two timestamps (end - start). -#}
{% macro seconds_between(start_column, end_column) -%}
    ({{ dbt.datediff(start_column, end_column, 'millisecond') }} / 1000.0)
{%- endmacro %}
