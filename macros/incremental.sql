{#
    Incremental loads of the event log (see base_live__raw_events and base_live__events).
#}

{#-
    Pre-hook of the gate: forget the rows of loads the landing table no longer holds (one
    raw file is landed again at every build, in place of the old rows), so that the gate
    decides them again.
-#}
{% macro live_gate_forget_replaced_loads() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where load_id not in (select distinct load_id from {{ ref('base_live__raw_events') }})
    {%- endif -%}
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
