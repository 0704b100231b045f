{#
    DuckDB's side of reading the raw files (macros/raw_files.sql has what both engines share):
    glob() lists the files, read_csv and read_parquet read them, and the CSV reader's
    store_rejects keeps a damaged record as a row of a reject table instead of failing.
#}

{% macro duckdb__live_raw_list_files(folder, table_name, extensions) -%}
    {%- set found = run_query(
        "select file from glob(" ~ live_sql_literal(folder ~ '/' ~ table_name ~ '*') ~ ") order by file"
    ).columns[0].values() | list -%}
    {%- set part_globs = [] -%}
    {%- for extension in extensions -%}
        {%- do part_globs.append(
            "select file from glob(" ~ live_sql_literal(folder ~ '/' ~ table_name ~ '/**/*.' ~ extension) ~ ")") -%}
    {%- endfor -%}
    {%- set parts = run_query(part_globs | join(' union all ') ~ ' order by file').columns[0].values() | list -%}
    {{ return({'found': found, 'parts': parts}) }}
{%- endmacro %}


{% macro duckdb__live_raw_folder_has_files(folder) -%}
    {{ return(run_query("select count(*) from glob(" ~ live_sql_literal(folder ~ '/*') ~ ")").columns[0].values()[0] > 0) }}
{%- endmacro %}


{#- The first line, read as one text column with no CSV rules (delimiter: unit separator). -#}
{% macro duckdb__live_raw_first_line(path) -%}
    {{ return(run_query(
        "select header_line from read_csv(" ~ live_sql_literal(path) ~ ", columns = {'header_line': 'VARCHAR'},"
        ~ " header = false, auto_detect = false, delim = e'\\x1f', quote = '', escape = '',"
        ~ " strict_mode = false, ignore_errors = true) limit 1"
    ).columns[0].values() | list) }}
{%- endmacro %}


{% macro duckdb__live_raw_parquet_columns(paths) -%}
    {{ return(run_query(
        "describe select * from read_parquet(" ~ live_sql_list(paths) ~ ", union_by_name = true)"
    ).columns[0].values() | list) }}
{%- endmacro %}


{% macro duckdb__live_raw_reader(table_name, rejects, file, with_filename) -%}
    {%- set file = file if file is not none else live_raw_file(table_name) -%}
    {%- if file.format == 'parquet' -%}
        read_parquet({{ file.source }}, union_by_name = true{{ ', filename = true' if with_filename }})
    {%- else -%}
        read_csv(
            {{ file.source }},
            header = true,
            auto_detect = false,
            columns = { {%- for column in file.header %}{{ live_sql_literal(column) }}: 'VARCHAR'{{ ', ' if not loop.last }}{% endfor -%} },
            delim = ',',
            quote = '"',
            escape = '"',
            max_line_size = {{ live_raw_max_record_bytes() }}
            {%- if with_filename %},
            filename = true
            {%- endif %}
            {%- if rejects %},
            store_rejects = true,
            rejects_table = '{{ rejects }}_errors',
            rejects_scan = '{{ rejects }}_scans'
            {%- endif %}
        )
    {%- endif -%}
{%- endmacro %}


{% macro duckdb__live_land_raw_events() -%}
    {%- set columns = live_raw_columns('raw_live_events') -%}
    {%- set plan = live_landing_plan() -%}
    {%- set file = plan.file -%}
    {#- Reject tables outlive a scan on the same connection: start from none. -#}
    {%- set statements = [
        "drop table if exists temp.live_raw_events_errors",
        "drop table if exists temp.live_raw_events_scans"] -%}
    {%- if plan.replace -%}
        {%- do statements.append("truncate table " ~ this) -%}
    {%- endif -%}
    {%- if file.paths -%}
        {%- do statements.append(
            "create or replace temporary table live_raw_events_loaded as"
            ~ " select row_number() over () as scan_order, cast(filename as varchar) as filename, " ~ columns | join(', ')
            ~ " from " ~ live_raw_reader('raw_live_events', rejects='live_raw_events', file=file, with_filename=true)) -%}
    {%- else -%}
        {%- set empty_columns = [] -%}
        {%- for column in ['filename'] + columns -%}
            {%- do empty_columns.append('cast(null as varchar) as ' ~ column) -%}
        {%- endfor -%}
        {%- do statements.append(
            "create or replace temporary table live_raw_events_loaded as"
            ~ " select cast(null as bigint) as scan_order, " ~ empty_columns | join(', ') ~ " where false") -%}
    {%- endif -%}
    {%- if file.format == 'csv' and file.paths -%}
        {%- do statements.append(
            "create or replace temporary table live_raw_events_rejects as"
            ~ " select scans.file_path as filename, errors.line as source_line, errors.error_type, errors.csv_line"
            ~ " from live_raw_events_errors as errors"
            ~ " inner join live_raw_events_scans as scans"
            ~ " on errors.scan_id = scans.scan_id and errors.file_id = scans.file_id"
            ~ " where errors.scan_id = (select max(scan_id) from live_raw_events_scans)") -%}
    {%- else -%}
        {%- do statements.append(
            "create or replace temporary table live_raw_events_rejects"
            ~ " (filename varchar, source_line bigint, error_type varchar, csv_line varchar)") -%}
    {%- endif -%}
    {{ return(statements | join(';\n')) }}
{%- endmacro %}
