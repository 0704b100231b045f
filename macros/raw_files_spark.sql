{#
    Spark's side of reading the raw files (macros/raw_files.sql has what both engines share).

    Spark SQL has no table function that reads a file with options, so each file becomes a
    temporary view of the session (CREATE TEMPORARY VIEW ... USING csv/parquet OPTIONS ...),
    created while the model compiles, and the model reads the views. The CSV dialect is
    DuckDB's: comma, `"` quotes doubled inside text, columns in the file's own header order,
    all text, records over several lines (multiLine: properties may hold line breaks).

    Differences from DuckDB's reader, by construction of Spark's:
    - A damaged record (too many or too few fields, a stray quote) is kept in PERMISSIVE mode
      as `_corrupt_record`, its own text; `source_line` is its first physical line: 2 (after
      the header) plus the lines of the records before it in its file (1 + the line breaks
      in their text), as DuckDB's landing counts the file's line breaks. In a .csv.gz it is
      the record's place plus one (the header), which is DuckDB's own line there.
    - A quote inside a quoted field that is not doubled, with more text after it before the
      next comma (`""he said "hi" ok""`), is kept as text by Spark's parser: the record is
      read (its properties are then not JSON), where DuckDB rejects it as malformed.
      (`"""hx_c"q""`, bare quotes run into doubled ones, is malformed on both.)
    - Spark decodes bytes that are not UTF-8 as U+FFFD instead of rejecting them: a parsed
      record holding U+FFFD is treated as an invalid_encoding record, as DuckDB rejects it.
    - Records are numbered in file order: files in path order, then each file's records in
      the order read (one multiLine file is one partition).
    - Files are listed with the binaryFile source (its content is never read); Spark skips
      empty files and files whose name starts with `_` or `.`.
#}

{#-
    Sizes and times from the binaryFile listing (no byte read: content is not selected); the md5
    and the last byte from each file's content, read only when asked.
-#}
{% macro spark__live_raw_file_stats(paths, with_content) -%}
    {%- set stats = {} -%}
    {%- if paths and with_content -%}
        {%- set selects = [] -%}
        {%- for path in paths -%}
            {%- do selects.append(
                "select path, length, unix_millis(modificationTime), md5(content),"
                ~ " coalesce(hex(substring(content, -1, 1)) = '0A', false) from binaryFile." ~ live_spark_quoted_name(path)) -%}
        {%- endfor -%}
        {%- set rows = run_query(selects | join(' union all ')).rows -%}
    {%- elif paths -%}
        {%- do live_spark_files_under(live_raw_folder()) -%}
        {%- set rows = run_query(
            "select path, length, unix_millis(modificationTime) from live_raw_listing where path in ("
            ~ live_sql_list(paths)[1:-1] ~ ")").rows -%}
    {%- else -%}
        {%- set rows = [] -%}
    {%- endif -%}
    {%- for row in rows -%}
        {%- do stats.update({row[0]: {'bytes': row[1], 'modified_ms': row[2],
            'md5': row[3] if with_content else none, 'ends_with_newline': row[4] if with_content else none}}) -%}
    {%- endfor -%}
    {{ return(stats) }}
{%- endmacro %}


{% macro spark__live_epoch_ms_sql(expression) -%}
    unix_millis({{ expression }})
{%- endmacro %}

{% macro spark__live_timestamp_from_epoch_ms_sql(expression) -%}
    timestamp_millis({{ expression }})
{%- endmacro %}


{#- A path for a backquoted Spark identifier (csv.`path`) or a string literal. -#}
{% macro live_spark_quoted_name(name) -%}
    `{{ name | replace('`', '``') }}`
{%- endmacro %}


{#- The files under `folder` (recursively), as Spark names them (file:/abs/path), sorted. -#}
{% macro live_spark_files_under(folder) -%}
    {%- do run_query(
        "create or replace temporary view live_raw_listing using binaryFile options (path "
        ~ live_sql_literal(folder) ~ ", recursiveFileLookup 'true')") -%}
    {{ return(run_query("select path from live_raw_listing order by path").columns[0].values() | list) }}
{%- endmacro %}


{#-
    Spark names files by absolute URI; `folder` may be relative: a file is the folder's when its
    path ends with <folder>/<name> (top level) or holds <folder>/<table>/ (a part).
-#}
{% macro spark__live_raw_list_files(folder, table_name, extensions) -%}
    {%- set inside = '/' ~ folder.lstrip('./').rstrip('/') ~ '/' -%}
    {%- set found = [] -%}
    {%- set parts = [] -%}
    {%- for path in live_spark_files_under(folder) if inside in path -%}
        {%- set rest = path.split(inside)[-1] -%}
        {%- if '/' not in rest and rest.startswith(table_name) -%}
            {%- do found.append(path) -%}
        {%- elif rest.startswith(table_name ~ '/') -%}
            {%- for extension in extensions if rest.endswith('.' ~ extension) and path not in parts -%}
                {%- do parts.append(path) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return({'found': found, 'parts': parts}) }}
{%- endmacro %}


{#- The folder's absence is Spark's own error (PATH_NOT_FOUND), naming the folder. -#}
{% macro spark__live_raw_folder_has_files(folder) -%}
    {{ return(live_spark_files_under(folder) | length > 0) }}
{%- endmacro %}


{% macro spark__live_raw_first_line(path) -%}
    {{ return(run_query("select value from text." ~ live_spark_quoted_name(path) ~ " limit 1").columns[0].values() | list) }}
{%- endmacro %}


{% macro spark__live_raw_parquet_columns(paths) -%}
    {%- set columns = [] -%}
    {%- for path in paths -%}
        {%- for column in run_query("describe query select * from parquet." ~ live_spark_quoted_name(path)).columns[0].values() -%}
            {%- if column not in columns -%}
                {%- do columns.append(column) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(columns) }}
{%- endmacro %}


{#-
    One temporary view per file, named <prefix>_<n>, with the header's columns as text (and
    `_corrupt_record` for CSV); created only when the model runs. mode: PERMISSIVE keeps a
    damaged record, FAILFAST stops the build on one (the reference tables, as on DuckDB).
-#}
{% macro live_spark_file_views(prefix, file, mode) -%}
    {%- set views = [] -%}
    {%- for path in file.paths -%}
        {%- set view = prefix ~ '_' ~ loop.index0 -%}
        {%- if execute and file.format == 'parquet' -%}
            {%- do run_query(
                "create or replace temporary view " ~ view ~ " using parquet options (path "
                ~ live_sql_literal(path) ~ ")") -%}
        {%- elif execute -%}
            {%- set columns = [] -%}
            {%- for column in file.header -%}
                {%- do columns.append(live_spark_quoted_name(column) ~ ' string') -%}
            {%- endfor -%}
            {%- do run_query(
                "create or replace temporary view " ~ view ~ " (" ~ columns | join(', ') ~ ", _corrupt_record string)"
                ~ " using csv options (path " ~ live_sql_literal(path) ~ ", header 'true', multiLine 'true',"
                ~ " sep ',', quote '\"', escape '\"', encoding 'UTF-8', mode '" ~ mode ~ "',"
                ~ " columnNameOfCorruptRecord '_corrupt_record', nullValue '', emptyValue '')") -%}
        {%- endif -%}
        {%- do views.append({'name': view, 'path': path, 'index': loop.index0}) -%}
    {%- endfor -%}
    {{ return(views) }}
{%- endmacro %}


{#- The contract's columns of a view (null when the file lacks an optional one), cast to text. -#}
{% macro live_spark_text_columns(table_name, file) -%}
    {%- set selected = [] -%}
    {%- for column in live_raw_columns(table_name) -%}
        {%- if column in file.header -%}
            {%- do selected.append('cast(' ~ live_spark_quoted_name(column) ~ ' as string) as ' ~ column) -%}
        {%- else -%}
            {%- do selected.append('cast(null as string) as ' ~ column) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(selected | join(', ')) }}
{%- endmacro %}


{% macro spark__live_raw_reader(table_name, rejects, file, with_filename) -%}
    {%- set file = file if file is not none else live_raw_file(table_name) -%}
    {%- set selects = [] -%}
    {%- for view in live_spark_file_views('live_raw_' ~ table_name, file, 'FAILFAST') -%}
        {%- do selects.append(
            "select " ~ live_spark_text_columns(table_name, file)
            ~ (", " ~ live_sql_literal(view.path) ~ " as filename" if with_filename else "")
            ~ " from " ~ view.name) -%}
    {%- endfor -%}
    ({{ selects | join(' union all ') }})
{%- endmacro %}


{#-
    The landing on Spark: the same two relations as on DuckDB (live_land_raw_events), as
    temporary views over the new files' views, created when the pre-hook renders. A record is damaged when Spark kept its text in
    `_corrupt_record`, or when its text holds U+FFFD (bytes that are not UTF-8).
-#}
{% macro spark__live_land_raw_events() -%}
    {%- set plan = live_landing_plan() -%}
    {%- set file = plan.file -%}
    {%- set columns = live_raw_columns('raw_live_events') -%}
    {%- set text_columns = live_spark_text_columns('raw_live_events', file) -%}
    {%- set records = [] -%}
    {%- for view in live_spark_file_views('live_raw_raw_live_events', file, 'PERMISSIVE') -%}
        {%- do records.append(
            "select " ~ view.index ~ " as file_index, " ~ live_sql_literal(view.path) ~ " as filename, "
            ~ ("false" if view.path.endswith('.gz') else "true") ~ " as lines_counted, "
            ~ "row_number() over (order by record_id) as record_number, " ~ columns | join(', ') ~ ", _corrupt_record, "
            ~ "case when _corrupt_record is not null then 'MALFORMED' "
            ~ "when instr(concat_ws('', " ~ columns | join(', ') ~ "), '\\uFFFD') > 0 then 'INVALID ENCODING' end as error_type "
            ~ "from (select monotonically_increasing_id() as record_id, " ~ text_columns ~ ", "
            ~ ("_corrupt_record" if file.format == 'csv' else "cast(null as string) as _corrupt_record")
            ~ " from " ~ view.name ~ ") as read_records") -%}
    {%- endfor -%}
    {%- if not records -%}
        {%- set empty_columns = [] -%}
        {%- for column in columns -%}
            {%- do empty_columns.append('cast(null as string) as ' ~ column) -%}
        {%- endfor -%}
        {%- do records.append(
            "select 0 as file_index, cast(null as string) as filename, true as lines_counted,"
            ~ " cast(null as bigint) as record_number, "
            ~ empty_columns | join(', ') ~ ", cast(null as string) as _corrupt_record, cast(null as string) as error_type "
            ~ "where false") -%}
    {%- endif -%}
    {%- set statements = [] -%}
    {%- if plan.replace -%}
        {%- do statements.append("truncate table " ~ this) -%}
    {%- endif -%}
    {%- do statements.append(
        "create or replace temporary view live_raw_events_records as " ~ records | join(' union all ')) -%}
    {%- do statements.append(
        "create or replace temporary view live_raw_events_loaded as"
        ~ " select row_number() over (order by file_index, record_number) as scan_order, filename, "
        ~ columns | join(', ') ~ " from live_raw_events_records where error_type is null") -%}
    {%- do statements.append(
        "create or replace temporary view live_raw_events_files as " ~ live_landed_files_sql(plan)) -%}
    {#-
        a record's first physical line: 2 (after the header) plus the lines of the records before it;
        in a .csv.gz, the record's place plus one, as DuckDB's reject table numbers it there
    -#}
    {%- do statements.append(
        "create or replace temporary view live_raw_events_rejects as"
        ~ " select filename, source_line, error_type, csv_line from (select filename, error_type, csv_line,"
        ~ " case when lines_counted then 2 + coalesce(sum(size(split(csv_line, '\\n'))) over ("
        ~ "partition by file_index order by record_number rows between unbounded preceding and 1 preceding), 0)"
        ~ " else record_number + 1 end as source_line"
        ~ " from (select file_index, lines_counted, record_number, filename, error_type,"
        ~ " coalesce(_corrupt_record, concat_ws(',', " ~ columns | join(', ') ~ ")) as csv_line"
        ~ " from live_raw_events_records) as texts) as placed where error_type is not null") -%}
    {#- Spark runs one statement per call: run them here, the hook itself is empty. -#}
    {%- for statement in statements if execute -%}
        {%- do run_query(statement) -%}
    {%- endfor -%}
{%- endmacro %}
