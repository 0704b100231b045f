{#
    Reading the raw files: the only place that knows where they are and how they are parsed.

    The folder is the `raw_data_path` variable (env LIVE_RAW_DATA_PATH, default seeds/demo)
    and the format the `raw_format` variable (env LIVE_RAW_FORMAT, default csv). Each table
    is read from exactly one of its documented names, never from a pattern that could pick
    up a stray copy:

        csv      <table>.csv  or  <table>.csv.gz  or  a folder <table>/ of daily drops
                 (<table>/received_date=YYYY-MM-DD/*.csv[.gz], any depth)      (one of the three)
        parquet  <table>.parquet  or  a folder <table>/ of parts (**/*.parquet)  (one of the two)

    Before a file is read its shape is checked (it exists, it is not empty, its header names
    every column of the contract), and anything wrong stops the build with one line that
    says which file and what is wrong. Columns are read as text in the order of the file's
    own header, with the CSV dialect fixed (comma, double quote, doubled-quote escape):
    nothing is sniffed, so one odd row cannot change how the others are read.
#}

{#- Largest raw record accepted, in bytes; a longer one is quarantined as oversized_row. -#}
{% macro live_raw_max_record_bytes() -%}
    {{ return(var('raw_max_record_bytes', 1048576)) }}
{%- endmacro %}


{% macro live_raw_folder() -%}
    {{ return(var('raw_data_path', env_var('LIVE_RAW_DATA_PATH', 'seeds/demo')).rstrip('/')) }}
{%- endmacro %}


{% macro live_raw_format() -%}
    {%- set raw_format = var('raw_format', env_var('LIVE_RAW_FORMAT', 'csv')) | lower -%}
    {%- if raw_format not in ('csv', 'parquet') -%}
        {{ exceptions.raise_compiler_error(
            "raw_format is '" ~ raw_format ~ "': use csv (plain or .csv.gz) or parquet") }}
    {%- endif -%}
    {{ return(raw_format) }}
{%- endmacro %}


{#- The columns of the contract for each raw table (docs/contract/events.md §raw_live_events, §Reference tables). -#}
{% macro live_raw_columns(table_name) -%}
    {{ return({
        'raw_live_events': ['event_id', 'event_type', 'event_at', 'received_at', 'user_id',
                            'stream_id', 'properties', 'platform', 'app_version', 'country'],
        'users': ['user_id', 'signup_date', 'country', 'birth_year'],
        'gift_catalog': ['gift_id', 'gift_name', 'coin_cost'],
        'coin_prices': ['valid_from', 'usd_per_coin'],
        'ad_campaigns': ['campaign_id', 'advertiser_id', 'advertiser_name', 'cpm_usd'],
    }[table_name]) }}
{%- endmacro %}


{#- A SQL string literal. -#}
{% macro live_sql_literal(text) -%}
    '{{ text | replace("'", "''") }}'
{%- endmacro %}


{#- A SQL list of string literals: ['a', 'b']. -#}
{% macro live_sql_list(texts) -%}
    {%- set literals = [] -%}
    {%- for text in texts -%}
        {%- do literals.append(live_sql_literal(text)) -%}
    {%- endfor -%}
    [{{ literals | join(', ') }}]
{%- endmacro %}


{#-
    The received day of a daily drop, from its folder name (.../received_date=YYYY-MM-DD/...),
    as 'YYYY-MM-DD'; none for a file outside such a folder.
-#}
{% macro live_drop_day(path) -%}
    {%- set tail = path.split('received_date=')[-1] if 'received_date=' in path else '' -%}
    {{ return(tail[:10] if tail[:10] | length == 10 and tail[4:5] == '-' and tail[7:8] == '-' else none) }}
{%- endmacro %}


{#- A drop file's name from its received_date= folder on (received_date=2026-11-09/part-0.csv.gz). -#}
{% macro live_drop_file_key(path) -%}
    {{ return('received_date=' ~ path.split('received_date=')[-1]) }}
{%- endmacro %}


{#- SQL: a landed file's key from its path column: live_drop_file_key for a drop, else the path. -#}
{% macro live_file_key_sql(file_column) -%}
    coalesce(nullif(regexp_extract({{ file_column }}, 'received_date=.*$', 0), ''), {{ file_column }})
{%- endmacro %}


{#- True when there are parts and every one sits in a received_date=YYYY-MM-DD folder. -#}
{% macro live_all_dated(paths) -%}
    {%- set undated = [] -%}
    {%- for path in paths if live_drop_day(path) is none -%}
        {%- do undated.append(path) -%}
    {%- endfor -%}
    {{ return(paths | length > 0 and not undated) }}
{%- endmacro %}


{#- SQL: the received day of a drop from a file-name column (null outside a drop folder). -#}
{% macro live_drop_date_sql(file_column) -%}
    {{ try_cast("nullif(regexp_extract(" ~ file_column ~ ", 'received_date=([0-9]{4}-[0-9]{2}-[0-9]{2})', 1), '')", 'date') }}
{%- endmacro %}


{#-
    Which file holds the table, and its header: {'path', 'format', 'header', 'label'}.
    Runs queries, so it only resolves at execution time; while dbt parses, it returns the
    default name so that the project still compiles without the files.
-#}
{% macro live_raw_file(table_name) -%}
    {%- set folder = live_raw_folder() -%}
    {%- set raw_format = live_raw_format() -%}
    {%- set columns = live_raw_columns(table_name) -%}
    {%- if not execute -%}
        {%- set path = folder ~ '/' ~ table_name ~ '.' ~ raw_format -%}
        {{ return({'path': path, 'paths': [path], 'source': live_sql_literal(path), 'format': raw_format,
                   'header': columns, 'label': table_name ~ '.' ~ raw_format, 'drops': false}) }}
    {%- endif -%}

    {%- set listed = live_raw_list_files(folder, table_name, live_raw_part_extensions(raw_format)) -%}
    {%- set found = listed.found -%}
    {%- set parts = listed.parts -%}
    {%- set names = {} -%}
    {%- for file in found -%}
        {%- do names.update({file.split('/')[-1]: file}) -%}
    {%- endfor -%}

    {%- if raw_format == 'csv' -%}
        {%- set candidates = [] -%}
        {%- for name in [table_name ~ '.csv', table_name ~ '.csv.gz'] if name in names -%}
            {%- do candidates.append(name) -%}
        {%- endfor -%}
        {%- if parts -%}
            {%- do candidates.append(table_name ~ '/ (' ~ parts | length ~ ' files)') -%}
        {%- endif -%}
        {%- if candidates | length > 1 -%}
            {{ exceptions.raise_compiler_error(
                table_name ~ ": both " ~ candidates | join(' and ') ~ " are in " ~ folder
                ~ ": keep one (the other would be read twice)") }}
        {%- elif not candidates -%}
            {%- set hint = " (found " ~ (names.keys() | list | join(', ')) ~ ")" if names else live_raw_folder_hint(folder) -%}
            {{ exceptions.raise_compiler_error(
                table_name ~ ": no " ~ table_name ~ ".csv or " ~ table_name ~ ".csv.gz or folder "
                ~ table_name ~ "/ of daily drops in " ~ folder ~ hint) }}
        {%- endif -%}
        {%- set paths = parts if parts else [names[candidates[0]]] -%}
        {%- set header = live_raw_csv_header(table_name, paths[0], paths[0]) -%}
        {%- for path in paths[1:] -%}
            {%- set other = live_raw_csv_header(table_name, path, path) -%}
            {%- if other != header -%}
                {{ exceptions.raise_compiler_error(
                    table_name ~ ": " ~ path ~ " has the header " ~ other | join(',') ~ ", unlike "
                    ~ paths[0] ~ " (" ~ header | join(',') ~ "): every drop needs the same columns in the same order") }}
            {%- endif -%}
        {%- endfor -%}
        {{ return({'path': paths[0], 'paths': paths, 'source': live_sql_list(paths), 'format': 'csv',
                   'header': header, 'label': candidates[0], 'drops': live_all_dated(parts)}) }}
    {%- else -%}
        {%- set single = table_name ~ '.parquet' -%}
        {%- if single in names and parts -%}
            {{ exceptions.raise_compiler_error(
                table_name ~ ": both " ~ single ~ " and a folder " ~ table_name ~ "/ of parts are in "
                ~ folder ~ ": keep one") }}
        {%- elif single in names -%}
            {%- set paths = [names[single]] -%}
            {%- set label = single -%}
        {%- elif parts -%}
            {%- set paths = parts -%}
            {%- set label = table_name ~ '/**/*.parquet' -%}
        {%- else -%}
            {%- set hint = " (found " ~ (names.keys() | list | join(', ')) ~ ")" if names else live_raw_folder_hint(folder) -%}
            {{ exceptions.raise_compiler_error(
                table_name ~ ": no " ~ single ~ " or folder " ~ table_name ~ "/ of .parquet parts in "
                ~ folder ~ hint) }}
        {%- endif -%}
        {%- set described = live_raw_parquet_columns(paths) -%}
        {%- do live_raw_check_columns(table_name, label, described, described | join(',')) -%}
        {{ return({'path': paths[0], 'paths': paths, 'source': live_sql_list(paths), 'format': 'parquet',
                   'header': described, 'label': label, 'drops': live_all_dated(parts)}) }}
    {%- endif -%}
{%- endmacro %}


{#-
    The engine primitives (macros/raw_files_duckdb.sql, macros/raw_files_spark.sql):
    live_raw_list_files   {'found': files in the folder whose name starts with the table's,
                           'parts': files under <table>/ ending in one of the extensions}, sorted
    live_raw_folder_has_files  anything at all in the folder
    live_raw_first_line   [the file's first line] ([] for an empty file), no CSV rules applied
    live_raw_parquet_columns   the column names of the parquet files, by name across files
-#}
{% macro live_raw_part_extensions(raw_format) -%}
    {{ return(['parquet'] if raw_format == 'parquet' else ['csv', 'csv.gz']) }}
{%- endmacro %}

{% macro live_raw_list_files(folder, table_name, extensions) -%}
    {{ return(adapter.dispatch('live_raw_list_files', 'live_streaming')(folder, table_name, extensions)) }}
{%- endmacro %}

{% macro live_raw_folder_has_files(folder) -%}
    {{ return(adapter.dispatch('live_raw_folder_has_files', 'live_streaming')(folder)) }}
{%- endmacro %}

{% macro live_raw_first_line(path) -%}
    {{ return(adapter.dispatch('live_raw_first_line', 'live_streaming')(path)) }}
{%- endmacro %}

{% macro live_raw_parquet_columns(paths) -%}
    {{ return(adapter.dispatch('live_raw_parquet_columns', 'live_streaming')(paths)) }}
{%- endmacro %}


{#- ' (the folder is empty or does not exist)' when nothing at all is in the folder. -#}
{% macro live_raw_folder_hint(folder) -%}
    {{ return('' if live_raw_folder_has_files(folder) else ' (the folder is empty or does not exist: set raw_data_path or LIVE_RAW_DATA_PATH)') }}
{%- endmacro %}


{#- The header of a CSV file, checked: not empty, a header row, every contract column once. -#}
{% macro live_raw_csv_header(table_name, path, label) -%}
    {%- set first = live_raw_first_line(path) -%}
    {%- if not first or first[0] is none or first[0] | trim == '' -%}
        {{ exceptions.raise_compiler_error(
            table_name ~ ": " ~ label ~ " is empty: expected a header row ("
            ~ live_raw_columns(table_name) | join(',') ~ ")") }}
    {%- endif -%}
    {%- set header = [] -%}
    {%- for cell in first[0].split(',') -%}
        {%- do header.append(cell.strip().strip('\ufeff').strip().strip('"').strip().lower()) -%}
    {%- endfor -%}
    {%- do live_raw_check_columns(table_name, label, header, first[0]) -%}
    {{ return(header) }}
{%- endmacro %}


{% macro live_raw_check_columns(table_name, label, header, first_line) -%}
    {%- set expected = live_raw_columns(table_name) -%}
    {%- set missing = [] -%}
    {%- for column in expected if column not in header -%}
        {%- do missing.append(column) -%}
    {%- endfor -%}
    {%- set repeated = [] -%}
    {%- for column in header if header.count(column) > 1 and column not in repeated -%}
        {%- do repeated.append(column) -%}
    {%- endfor -%}
    {%- if missing | length == expected | length -%}
        {{ exceptions.raise_compiler_error(
            table_name ~ ": " ~ label ~ " has no header row (its first line is '"
            ~ first_line[:60] ~ "'): expected " ~ expected | join(',')) }}
    {%- elif missing -%}
        {{ exceptions.raise_compiler_error(
            table_name ~ ": " ~ label ~ " lacks column" ~ ('s ' if missing | length > 1 else ' ')
            ~ missing | join(', ') ~ " (its header is " ~ header | join(',') ~ ")") }}
    {%- elif repeated -%}
        {{ exceptions.raise_compiler_error(
            table_name ~ ": " ~ label ~ " has column" ~ ('s ' if repeated | length > 1 else ' ')
            ~ repeated | join(', ') ~ " twice in its header") }}
    {%- endif -%}
{%- endmacro %}


{#-
    The table function that reads a raw file with every column as text.
    rejects: a name prefix for DuckDB's reject tables; the CSV reader then keeps going past
    a damaged record and notes it there (see live_land_raw_events) instead of failing.
    file: what live_raw_file returned, when the caller narrowed it (the new daily drops);
    with_filename: add a `filename` column naming each record's file.
-#}
{% macro live_raw_reader(table_name, rejects=none, file=none, with_filename=false) -%}
    {{ return(adapter.dispatch('live_raw_reader', 'live_streaming')(table_name, rejects, file, with_filename)) }}
{%- endmacro %}

{#-
    What this build of base_live__raw_events lands: live_raw_file('raw_live_events') narrowed
    to the drops not landed yet, `replace` (true when the rows landed before must go), and
    `stats`: {path: {'bytes', 'modified_ms', 'md5'}} of every file it lands, recorded with
    each landed record (base_live__raw_files).

    - A full build (or the first) lands everything.
    - An incremental build over daily drops (every file in a received_date=YYYY-MM-DD folder)
      lands only the drops not in the table yet. A new drop dated before the newest drop
      already landed, or a new file in a drop already landed, stops the build: the copy
      received first wins a duplicate, so drops land whole and in the order they were
      received (a full refresh re-reads them all in order). Nothing is skipped silently.
    - Every landed file still present is compared with what was recorded when it landed
      (live_check_landed_files): unchanged (same size and modification time, or the same
      md5 when only touched) it is skipped; grown or rewritten, it stops the build.
    - A plain CSV file that does not end with a line break is still being copied (or was cut
      short): it stops the build before anything lands (a .csv.gz cut short fails to read).
    - Any other layout (one file, undated parts) cannot tell new records from old ones: the
      whole log is landed again and replaces what was there, and the gate recomputes it all.
-#}
{% macro live_landing_plan() -%}
    {%- set file = live_raw_file('raw_live_events') -%}
    {%- if not execute -%}
        {{ return({'file': file, 'replace': false, 'stats': {}}) }}
    {%- endif -%}
    {%- if not is_incremental() -%}
        {{ return({'file': file, 'replace': false, 'stats': live_checked_new_files(file.paths, file)}) }}
    {%- endif -%}
    {%- if not file.drops -%}
        {{ return({'file': file, 'replace': true, 'stats': live_checked_new_files(file.paths, file)}) }}
    {%- endif -%}
    {%- set landed = run_query(
        "select source_file, cast(drop_date as " ~ dbt.type_string() ~ "), max(file_bytes), max("
        ~ live_epoch_ms_sql('file_modified_at') ~ "), max(file_md5) from " ~ this
        ~ " where drop_date is not null group by source_file, drop_date"
    ) -%}
    {#- a file is known by its place among the drops, so that the folder may move -#}
    {%- set landed_files = {} -%}
    {%- for row in landed.rows -%}
        {%- do landed_files.update({live_drop_file_key(row[0]): {
            'bytes': row[2], 'modified_ms': row[3], 'md5': row[4]}}) -%}
    {%- endfor -%}
    {%- set landed_days = landed.columns[1].values() | list -%}
    {%- set newest = (landed_days | max) if landed_days else none -%}
    {%- set paths = [] -%}
    {%- set present = [] -%}
    {%- for path in file.paths -%}
        {%- set day = live_drop_day(path) -%}
        {%- if live_drop_file_key(path) in landed_files -%}
            {%- do present.append(path) -%}
        {%- elif day in landed_days -%}
            {{ exceptions.raise_compiler_error(
                "raw_live_events: " ~ path ~ " is a new file in the drop received_date=" ~ day
                ~ ", which was loaded already: a drop is loaded once, whole. "
                ~ "Rebuild from all drops: dbt build --full-refresh (make run)") }}
        {%- elif newest is not none and day < newest -%}
            {{ exceptions.raise_compiler_error(
                "raw_live_events: the drop received_date=" ~ day ~ " (" ~ path ~ ") is new but older than "
                ~ newest ~ ", the newest drop already loaded: drops load in the order they were received. "
                ~ "Rebuild from all drops: dbt build --full-refresh (make run)") }}
        {%- else -%}
            {%- do paths.append(path) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do live_check_landed_files(present, landed_files) -%}
    {%- set narrowed = {} -%}
    {%- do narrowed.update(file) -%}
    {%- do narrowed.update({'paths': paths, 'source': live_sql_list(paths)}) -%}
    {{ return({'file': narrowed, 'replace': not landed_days, 'stats': live_checked_new_files(paths, file)}) }}
{%- endmacro %}


{#-
    The landed files still present, against what was recorded when they landed: the size and
    modification time first (no byte is read); only a file whose size or time differs is read,
    for its md5. Same md5 and size: only touched, skipped. Otherwise the build stops: the
    rows landed from it are no longer the file, and an incremental build never reads a
    landed file again.
-#}
{% macro live_check_landed_files(paths, landed_files) -%}
    {%- set suspects = [] -%}
    {%- set listed = live_raw_file_stats(paths, false) -%}
    {%- for path in paths -%}
        {%- set now = listed[path] -%}
        {%- set then = landed_files[live_drop_file_key(path)] -%}
        {%- if now.bytes != then.bytes or now.modified_ms != then.modified_ms -%}
            {%- do suspects.append(path) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set read = live_raw_file_stats(suspects, true) if suspects else {} -%}
    {%- for path in suspects -%}
        {%- set now = read[path] -%}
        {%- set then = landed_files[live_drop_file_key(path)] -%}
        {%- if now.bytes != then.bytes or now.md5 != then.md5 -%}
            {{ exceptions.raise_compiler_error(
                "raw_live_events: " ~ path ~ " changed after it was landed (" ~ then.bytes ~ " bytes then, "
                ~ now.bytes ~ " bytes now" ~ (", other content" if now.bytes == then.bytes else "")
                ~ "): an incremental build never reads a landed file again, so the change would be lost. "
                ~ "Rebuild from all drops: make run (dbt build --full-refresh)") }}
        {%- endif -%}
    {%- endfor -%}
{%- endmacro %}


{#-
    The files this build lands, read once for their size, time and md5; a plain CSV file that
    does not end with a line break stops the build before anything lands.
-#}
{% macro live_checked_new_files(paths, file) -%}
    {%- set stats = live_raw_file_stats(paths, true) if paths else {} -%}
    {%- for path in paths if file.format == 'csv' and path.endswith('.csv') and not stats[path].ends_with_newline -%}
        {{ exceptions.raise_compiler_error(
            "raw_live_events: " ~ path ~ " (" ~ stats[path].bytes ~ " bytes) does not end with a line break:"
            ~ " it is still being copied, or was cut short; nothing was landed. Build again when the copy is"
            ~ " complete (copy a drop under another name, then rename it into place)") }}
    {%- endfor -%}
    {{ return(stats) }}
{%- endmacro %}


{#-
    {path: {'bytes', 'modified_ms', 'md5', 'ends_with_newline'}} of the files (engine macros);
    with_content false: size and modification time only, without reading the files' bytes.
-#}
{% macro live_raw_file_stats(paths, with_content) -%}
    {{ return(adapter.dispatch('live_raw_file_stats', 'live_streaming')(paths, with_content)) }}
{%- endmacro %}

{#- SQL: milliseconds since 1970 of a timestamp, and back. -#}
{% macro live_epoch_ms_sql(expression) -%}
    {{ return(adapter.dispatch('live_epoch_ms_sql', 'live_streaming')(expression)) }}
{%- endmacro %}

{% macro live_timestamp_from_epoch_ms_sql(expression) -%}
    {{ return(adapter.dispatch('live_timestamp_from_epoch_ms_sql', 'live_streaming')(expression)) }}
{%- endmacro %}


{#-
    SQL: the landed files of the plan, one row each (filename as the reader names it,
    file_bytes, file_modified_at, file_md5), for the pre-hook to keep beside the records.
-#}
{% macro live_landed_files_sql(plan) -%}
    {%- set selects = [] -%}
    {%- for path in plan.file.paths if path in plan.stats -%}
        {%- set stat = plan.stats[path] -%}
        {%- do selects.append(
            "select " ~ live_sql_literal(path) ~ " as filename, cast(" ~ stat.bytes ~ " as bigint) as file_bytes, "
            ~ live_timestamp_from_epoch_ms_sql('cast(' ~ stat.modified_ms ~ ' as bigint)') ~ " as file_modified_at, "
            ~ live_sql_literal(stat.md5) ~ " as file_md5") -%}
    {%- endfor -%}
    {%- if not selects -%}
        {%- do selects.append(
            "select cast(null as " ~ dbt.type_string() ~ ") as filename, cast(null as bigint) as file_bytes, "
            ~ live_timestamp_from_epoch_ms_sql('cast(null as bigint)') ~ " as file_modified_at, "
            ~ "cast(null as " ~ dbt.type_string() ~ ") as file_md5 where false") -%}
    {%- endif -%}
    {{ return(selects | join(' union all ')) }}
{%- endmacro %}


{#-
    Pre-hook of base_live__raw_events: land the event log (or, incrementally, the new daily
    drops: live_landing_plan) as two temporary relations of this session,
        live_raw_events_loaded   the records that parsed: their file and scan order
        live_raw_events_rejects  one row per record the CSV reader could not parse:
                                 its file, the physical line (counting every line break of the
                                 file) on which the reader found the damage, the reader's error
                                 type, and that line's own text
        live_raw_events_files    one row per file landed: its size, time and md5 (the plan's)
    so that the model can account for every record. When the plan says `replace`, the rows
    landed before are removed first (truncate table).
-#}

{% macro live_land_raw_events() -%}
    {{ return(adapter.dispatch('live_land_raw_events', 'live_streaming')()) }}
{%- endmacro %}
