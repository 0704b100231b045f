{#- The columns every event-family staging model starts with. -#}
{% macro live_event_columns() -%}
        event_id,
        event_type,
        event_at,
        event_date,
        received_at,
        is_late_arrival,
        stream_id,
        platform,
        app_version,
        country
{%- endmacro %}


{#- The clean events of one family, ready for its staging model to parse. -#}
{% macro clean_events_of_family(family) -%}
    select *
    from {{ ref('base_live__events') }}
    where
        ingestion_outcome = 'clean'
        and event_type in ({{ live_event_types(family) }})
{%- endmacro %}
