{#
    Incremental loads of the event log (see base_live__raw_events and base_live__events).
#}

{#-
    Pre-hook of the gate: when the gate holds rows of a load the landing table no longer holds
    (one raw file is landed again at every build, in place of the old rows), empty the gate, so
    that it decides every landed row again, as a full build does.
-#}
{% macro live_gate_forget_replaced_loads() -%}
    {%- if execute and is_incremental() -%}
        {%- set replaced = run_query(
            "select count(*) from (select distinct load_id from " ~ this ~ ") as gate_loads"
            ~ " where load_id not in (select distinct load_id from " ~ ref('base_live__raw_events') ~ ")"
        ).columns[0].values()[0] -%}
        {%- if replaced > 0 -%}
            truncate table {{ this }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{#-
    How an incremental model replaces the rows it decides again:
    - DuckDB: delete+insert on the unique key (only those rows are written);
    - Spark (parquet tables, no MERGE): insert_overwrite of whole partitions of the partition_by
      column; the model then writes every row of a partition it touches.
-#}
{% macro live_rewrite_strategy() -%}
    {{ return(adapter.dispatch('live_rewrite_strategy', 'live_streaming')()) }}
{%- endmacro %}

{% macro default__live_rewrite_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}

{% macro spark__live_rewrite_strategy() -%}
    {{ return('insert_overwrite') }}
{%- endmacro %}


{% macro live_rewrite_partition_by(column) -%}
    {{ return(column if live_rewrites_whole_partitions() else none) }}
{%- endmacro %}


{% macro live_rewrites_whole_partitions() -%}
    {{ return(live_rewrite_strategy() == 'insert_overwrite') }}
{%- endmacro %}


{#-
    Post-hook of the gate: warn while events are held back as late_beyond_window, with the
    command that counts them. Nothing is dropped: they are quarantined rows of the audit
    until a full refresh decides them like any other event.
-#}
{% macro live_warn_late_beyond_window() -%}
    {%- if execute and is_incremental() -%}
        {%- set held = run_query(
            "select count(*), cast(min(event_date) as " ~ dbt.type_string() ~ "), cast(max(event_date) as "
            ~ dbt.type_string() ~ ") from " ~ this ~ " where ingestion_reason = 'late_beyond_window'"
        ).rows[0] -%}
        {%- if held[0] > 0 -%}
            {%- do exceptions.warn(
                held[0] ~ " event(s) from " ~ held[1] ~ " to " ~ held[2] ~ " arrived more than "
                ~ var('late_window_days', 3) ~ " days after they happened (the late_window_days var) and are held back"
                ~ " as late_beyond_window (marts.fct_quarantined_events). To count them, rebuild from all drops:"
                ~ " dbt build --full-refresh (make run)") -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
