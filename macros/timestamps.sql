{#
    Parse an ISO-8601 timestamp that carries an explicit UTC offset, into UTC:

        2026-11-01T20:15:03.123Z          the contract's form
        2026-11-01T20:15:03.195+00:00     Python's isoformat
        2026-11-01T20:15:03.195000000Z    nine-digit fractions (Go), truncated to microseconds
        2026-11-01T21:15:03+01:00         a non-zero offset, converted to 20:15:03 UTC
        2026-11-01T20:15Z, ...+0100, ...+01, a lowercase t or z, a space for the T

    Anything without a zone (`2026-11-01T20:15:03`) or that does not parse gives null,
    and the ingestion gate quarantines it: no guessing of a local time.
#}
{% macro parse_utc_timestamp(column) -%}
    {%- set part = iso_timestamp_parts(column) -%}
    {%- set local = try_cast(part.day ~ " || ' ' || " ~ part.clock, api.Column.translate_type('timestamp')) -%}
    {%- set offset_minutes -%}
        (case {{ part.sign }} when '-' then -1 else 1 end)
        * (coalesce({{ try_cast("nullif(" ~ part.hours ~ ", '')", 'int') }}, 0) * 60
           + coalesce({{ try_cast("nullif(" ~ part.minutes ~ ", '')", 'int') }}, 0))
    {%- endset -%}
    case
        when {{ part.matched }} != ''
            then {{ dbt.dateadd('minute', '-1 * ' ~ offset_minutes, local) }}
    end
{%- endmacro %}

{#- date, time, then the zone: Z, or a sign with hours and optional minutes. -#}
{% macro iso_timestamp_pattern() -%}
    {{- return('^([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ]([0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,9})?)?)([Zz]|([+-])([0-9]{2}):?([0-9]{2})?)$') -}}
{%- endmacro %}

{#-
    The groups of the ISO pattern in `column` that parse_utc_timestamp reads, as SQL expressions
    ('' when the text does not match): matched (the whole match), day, clock, sign, hours, minutes.
-#}
{% macro iso_timestamp_parts(column) -%}
    {{ return(adapter.dispatch('iso_timestamp_parts', 'live_streaming')(column)) }}
{%- endmacro %}

{% macro default__iso_timestamp_parts(column) -%}
    {{ return({
        'matched': iso_timestamp_part(column, 0), 'day': iso_timestamp_part(column, 1),
        'clock': iso_timestamp_part(column, 2), 'sign': iso_timestamp_part(column, 6),
        'hours': iso_timestamp_part(column, 7), 'minutes': iso_timestamp_part(column, 8)}) }}
{%- endmacro %}

{#-
    DuckDB: one match of the pattern per value, its groups as a struct, read field by field (the same
    expression, computed once per row; the default's regexp_extract per group runs the pattern six
    times: half of the gate's typing time at 2 M events).
-#}
{% macro duckdb__iso_timestamp_parts(column) -%}
    {%- set groups = "regexp_extract(" ~ column ~ ", '" ~ iso_timestamp_pattern()
        ~ "', ['day', 'clock', 'seconds', 'fraction', 'zone', 'sign', 'hours', 'minutes'])" -%}
    {%- set parts = {'matched': "struct_extract(" ~ groups ~ ", 'day')"} -%}
    {%- for name in ['day', 'clock', 'sign', 'hours', 'minutes'] -%}
        {%- do parts.update({name: "struct_extract(" ~ groups ~ ", '" ~ name ~ "')"}) -%}
    {%- endfor -%}
    {{ return(parts) }}
{%- endmacro %}

{#- Group `index` of the ISO pattern in `column` ('' when it does not match). -#}
{% macro iso_timestamp_part(column, index) -%}
    regexp_extract({{ column }}, '{{ iso_timestamp_pattern() }}', {{ index }})
{%- endmacro %}


{#- Fractional minutes between two timestamps (end - start), a double on every engine. -#}
{% macro minutes_between(start_column, end_column) -%}
    (cast({{ dbt.datediff(start_column, end_column, 'millisecond') }} as double) / 60000)
{%- endmacro %}

{#- Fractional seconds between two timestamps (end - start), a double on every engine. -#}
{% macro seconds_between(start_column, end_column) -%}
    (cast({{ dbt.datediff(start_column, end_column, 'millisecond') }} as double) / 1000)
{%- endmacro %}
