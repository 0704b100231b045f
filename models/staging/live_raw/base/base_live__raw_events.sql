{#
    The event log as read: one row per record of the raw file, every column as text.

    A record the CSV reader cannot parse (a damaged line: too many or too few columns,
    a stray quote, bytes that are not UTF-8, a record over the size limit) is not lost:
    it is a row here with its reason in `read_error`, its first physical line in
    `source_line` and its text (first 10,000 characters) in `raw_record`, and the
    ingestion gate quarantines it. So the rows here are every record of the file, which
    is what the audit balances against.

    The pre-hook (macros/raw_files.sql) checks the file's shape, then lands the parsed
    records and the rejected ones in two temporary tables of this model's connection.
#}
{{ config(
    materialized='table',
    pre_hook="{{ live_land_raw_events() }}"
) }}

-- depends_on: {{ source('live_raw', 'raw_live_events') }}

{%- set columns = live_raw_columns('raw_live_events') %}

with

loaded as (

    select
        raw_row_number,
        {%- for column in columns %}
            cast({{ column }} as {{ dbt.type_string() }}) as {{ column }},
        {%- endfor %}
        cast(null as {{ dbt.type_bigint() }}) as source_line,
        cast(null as {{ dbt.type_string() }}) as read_error,
        cast(null as {{ dbt.type_string() }}) as raw_record
    from live_raw_events_loaded

),

rejected_errors as (

    select
        cast(source_line as {{ dbt.type_bigint() }}) as source_line,
        cast(csv_line as {{ dbt.type_string() }}) as csv_line,
        case
            when error_type = 'INVALID ENCODING' then 1
            when error_type = 'LINE SIZE OVER MAXIMUM' then 2
            else 3
        end as error_rank
    from live_raw_events_rejects

),

rejected_records as (

    {#- DuckDB can report several errors for one record: keep the most specific. #}
    select
        source_line,
        min(error_rank) as error_rank,
        min(csv_line) as raw_record
    from rejected_errors
    group by source_line

),

rejected as (

    select
        cast(
            (select count(*) from loaded) + row_number() over (order by source_line)
            as {{ dbt.type_bigint() }}
        ) as raw_row_number,
        {%- for column in columns %}
            cast(null as {{ dbt.type_string() }}) as {{ column }},
        {%- endfor %}
        source_line,
        case error_rank
            when 1 then 'invalid_encoding'
            when 2 then 'oversized_row'
            else 'malformed_csv_row'
        end as read_error,
        raw_record
    from rejected_records

),

final as (

    select * from loaded
    union all
    select * from rejected

)

select * from final
