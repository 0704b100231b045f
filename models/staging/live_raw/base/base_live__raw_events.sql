{#
    The event log as read: one row per record of the raw files, every column as text.

    A record the CSV reader cannot parse (a damaged line: too many or too few columns,
    a stray quote, bytes that are not UTF-8, a record over the size limit) is not lost:
    it is a row here with its reason in `read_error`, its first physical line in
    `source_line` and its text (first 10,000 characters) in `raw_record`, and the
    ingestion gate quarantines it. So the rows here are every record of the files, which
    is what the audit balances against.

    Incremental: with daily drops (raw_live_events/received_date=YYYY-MM-DD/), a build
    lands only the drops not landed yet and appends them (live_landing_plan); with one
    file, every build lands it again in place of the old rows. `load_id` names the
    build that landed a row, which is how the gate finds the rows it has not seen.

    Every row also keeps what its file was when it was read (file_bytes, file_modified_at,
    file_md5): the landing writes the records and that record of their file at once, on both
    engines, and base_live__raw_files is its one row per file. The next incremental build
    compares the files present with it (live_landing_plan).

    Records are numbered (raw_row_number) drop by drop in the order received: within a
    drop, the parsed records in file order, then the rejected ones. A build that lands
    drops 8 to 10 one at a time numbers them exactly as a full build of drops 1 to 10.

    The pre-hook (macros/raw_files.sql) checks the files' shape, then lands the parsed
    records and the rejected ones in two temporary tables of this model's connection.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ live_land_raw_events() }}"
) }}

-- depends_on: {{ source('live_raw', 'raw_live_events') }}

{%- set columns = live_raw_columns('raw_live_events') %}

with

loaded as (

    select
        scan_order,
        {%- for column in columns %}
            cast({{ column }} as {{ dbt.type_string() }}) as {{ column }},
        {%- endfor %}
        cast(filename as {{ dbt.type_string() }}) as source_file,
        {{ live_drop_date_sql('filename') }} as drop_date,
        coalesce(cast({{ live_drop_date_sql('filename') }} as {{ dbt.type_string() }}), 'none') as drop_key
    from live_raw_events_loaded

),

rejected_errors as (

    select
        cast(filename as {{ dbt.type_string() }}) as filename,
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
        filename,
        source_line,
        {{ live_drop_date_sql('filename') }} as drop_date,
        coalesce(cast({{ live_drop_date_sql('filename') }} as {{ dbt.type_string() }}), 'none') as drop_key,
        min(error_rank) as error_rank,
        min(csv_line) as raw_record
    from rejected_errors
    group by filename, source_line

),

loaded_per_drop as (

    select
        drop_key,
        min(drop_date) as drop_date,
        count(*) as loaded_rows,
        min(scan_order) as first_scan_order
    from loaded
    group by drop_key

),

rejected_per_drop as (

    select
        drop_key,
        min(drop_date) as drop_date,
        count(*) as rejected_rows
    from rejected_records
    group by drop_key

),

drops as (

    select
        coalesce(loaded_per_drop.drop_key, rejected_per_drop.drop_key) as drop_key,
        coalesce(loaded_per_drop.drop_date, rejected_per_drop.drop_date) as drop_date,
        coalesce(loaded_per_drop.loaded_rows, 0) as loaded_rows,
        coalesce(loaded_per_drop.first_scan_order, 1) as first_scan_order,
        coalesce(rejected_per_drop.rejected_rows, 0) as rejected_rows
    from loaded_per_drop
    full outer join rejected_per_drop
        on loaded_per_drop.drop_key = rejected_per_drop.drop_key

),

{# Where each drop's numbers start: after the rows landed before and the earlier drops. #}
drop_offsets as (

    select
        drop_key,
        loaded_rows,
        first_scan_order,
        {% if is_incremental() -%}
            (select coalesce(max(raw_row_number), 0) from {{ this }})
        {%- else -%}
            0
        {%- endif %}
        + coalesce(sum(loaded_rows + rejected_rows) over (
            order by drop_date nulls first
            rows between unbounded preceding and 1 preceding
        ), 0) as rows_before
    from drops

),

files as (

    select
        cast(filename as {{ dbt.type_string() }}) as filename,
        cast(file_bytes as {{ dbt.type_bigint() }}) as file_bytes,
        cast(file_modified_at as {{ dbt.type_timestamp() }}) as file_modified_at,
        cast(file_md5 as {{ dbt.type_string() }}) as file_md5
    from live_raw_events_files

),

numbered_loaded as (

    select
        cast(
            drop_offsets.rows_before + loaded.scan_order - drop_offsets.first_scan_order + 1
            as {{ dbt.type_bigint() }}
        ) as raw_row_number,
        {%- for column in columns %}
            loaded.{{ column }},
        {%- endfor %}
        cast(null as {{ dbt.type_bigint() }}) as source_line,
        cast(null as {{ dbt.type_string() }}) as read_error,
        cast(null as {{ dbt.type_string() }}) as raw_record,
        loaded.source_file,
        loaded.drop_date,
        files.file_bytes,
        files.file_modified_at,
        files.file_md5
    from loaded
    inner join drop_offsets
        on loaded.drop_key = drop_offsets.drop_key
    left join files
        on loaded.source_file = files.filename

),

numbered_rejected as (

    select
        cast(
            drop_offsets.rows_before + drop_offsets.loaded_rows
            + row_number()
                over (
                    partition by rejected_records.drop_key
                    order by rejected_records.filename, rejected_records.source_line
                )
            as {{ dbt.type_bigint() }}
        ) as raw_row_number,
        {%- for column in columns %}
            cast(null as {{ dbt.type_string() }}) as {{ column }},
        {%- endfor %}
        rejected_records.source_line,
        case rejected_records.error_rank
            when 1 then 'invalid_encoding'
            when 2 then 'oversized_row'
            else 'malformed_csv_row'
        end as read_error,
        rejected_records.raw_record,
        rejected_records.filename as source_file,
        rejected_records.drop_date,
        files.file_bytes,
        files.file_modified_at,
        files.file_md5
    from rejected_records
    inner join drop_offsets
        on rejected_records.drop_key = drop_offsets.drop_key
    left join files
        on rejected_records.filename = files.filename

),

final as (

    select
        *,
        '{{ invocation_id }}' as load_id
    from numbered_loaded
    union all
    select
        *,
        '{{ invocation_id }}' as load_id
    from numbered_rejected

)

select * from final
