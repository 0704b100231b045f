{#
    Joins and leaves. A join's `source` outside the contract's known values (or missing) is
    kept as 'unknown' (docs/contract/events.md §Changes, 2026-12-06); leaves carry no source.
#}

with

events as (

    {{ clean_events_of_family('presence') }}

),

parsed as (

    select
        {{ live_event_columns() }},
        user_id as viewer_id,
        case
            when event_type = 'viewer_joined'
                then {{ live_known_value('viewer_joined', 'source', json_text('properties', 'source')) }}
        end as traffic_source,
        {{ json_text('properties', 'notification_id') }} as notification_id
    from events

)

select * from parsed
