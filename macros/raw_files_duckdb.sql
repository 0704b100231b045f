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


{#- read_blob reads a file's bytes only when `content` is selected. -#}
{% macro duckdb__live_raw_file_stats(paths, with_content) -%}
    {%- set stats = {} -%}
    {%- if paths -%}
        {%- set rows = run_query(
            "select filename, size, epoch_us(last_modified) // 1000"
            ~ (", md5(content), coalesce(content[size:size] = cast(chr(10) as blob), false)" if with_content else "")
            ~ " from read_blob(" ~ live_sql_list(paths) ~ ")").rows -%}
        {%- for row in rows -%}
            {%- do stats.update({row[0]: {'bytes': row[1], 'modified_ms': row[2],
                'md5': row[3] if with_content else none, 'ends_with_newline': row[4] if with_content else none}}) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(stats) }}
{%- endmacro %}


{% macro duckdb__live_epoch_ms_sql(expression) -%}
    epoch_ms({{ expression }})
{%- endmacro %}

{% macro duckdb__live_timestamp_from_epoch_ms_sql(expression) -%}
    make_timestamp({{ expression }} * 1000)
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
    {%- do statements.append(
        "create or replace temporary table live_raw_events_files as " ~ live_landed_files_sql(plan)) -%}
    {%- if file.format == 'csv' and file.paths -%}
        {%- do statements.append(
            "create or replace temporary table live_raw_events_rejects as " ~ duckdb__live_rejects_sql(file)) -%}
    {%- else -%}
        {%- do statements.append(
            "create or replace temporary table live_raw_events_rejects"
            ~ " (filename varchar, source_line bigint, error_type varchar, csv_line varchar)") -%}
    {%- endif -%}
    {{ return(statements | join(';\n')) }}
{%- endmacro %}


{#-
    The rejected records with their own line. The reject table's `line` counts records, not
    lines, and for some damage (bare quotes inside a quoted field) its `csv_line` and
    `line_byte_position` are the record before's (which loads clean); its `byte_position`,
    where the reader found the damage, is in the damaged record itself (1-based). So each
    damaged record is placed by the first byte its errors name: the physical line holding
    that byte (line breaks counted in the file's bytes) gives source_line, and the line's own
    bytes its text (DuckDB's csv_line when they are not UTF-8). Only plain files with a
    rejected record are split into lines (in a .csv.gz the byte positions are in the unpacked
    text: DuckDB's own line and text stay there): cast to text, a blob escapes every byte that is not printable
    ASCII as \xNN (a backslash too), so `\x0A` in it is exactly a line break, and a line's
    length in bytes is its escaped length less 3 per backslash.
-#}
{% macro duckdb__live_rejects_sql(file) -%}
with

errors as (

    select
        scans.file_path as filename,
        errors.line as record_line,
        errors.error_type,
        errors.csv_line,
        coalesce(errors.byte_position, errors.line_byte_position) - 1 as error_byte
    from live_raw_events_errors as errors
    inner join live_raw_events_scans as scans
        on errors.scan_id = scans.scan_id and errors.file_id = scans.file_id
    where errors.scan_id = (select max(scan_id) from live_raw_events_scans)

),

records as (

    select filename, record_line, min(error_byte) as error_byte
    from errors
    group by filename, record_line

),

damaged_files as (

    select filename, content
    from read_blob({{ file.source }})
    where filename in (select records.filename from records) and not filename like '%.gz'

),

split_files as (

    select filename, string_split(cast(content as varchar), '\x0A') as escaped_lines
    from damaged_files

),

lines as (

    select
        filename,
        unnest(escaped_lines) as escaped_line,
        unnest(range(1, len(escaped_lines) + 1)) as line_number
    from split_files

),

measured as (

    select
        filename,
        line_number,
        length(escaped_line) - 3 * (length(escaped_line) - length(replace(escaped_line, '\', ''))) as line_bytes
    from lines

),

placed as (

    select
        filename,
        line_number,
        line_bytes,
        coalesce(sum(line_bytes + 1) over (
            partition by filename order by line_number rows between unbounded preceding and 1 preceding
        ), 0) as line_start
    from measured

),

record_lines as (

    select
        records.filename,
        records.record_line,
        placed.line_number,
        rtrim(try(decode(damaged_files.content[placed.line_start + 1:placed.line_start + placed.line_bytes])), chr(13))
            as line_text
    from records
    inner join placed
        on
            records.filename = placed.filename
            and records.error_byte between placed.line_start and placed.line_start + placed.line_bytes
    inner join damaged_files
        on records.filename = damaged_files.filename

)

select
    errors.filename,
    coalesce(record_lines.line_number, errors.record_line) as source_line,
    errors.error_type,
    coalesce(record_lines.line_text, errors.csv_line) as csv_line
from errors
left join record_lines
    on errors.filename = record_lines.filename and errors.record_line = record_lines.record_line
{%- endmacro %}
