with

events as (

    {{ clean_events_of_family('presence') }}

),

parsed as (

    select
        {{ live_event_columns() }},
        user_id as viewer_id,
        {{ json_text('properties', 'source') }} as traffic_source,
        {{ json_text('properties', 'notification_id') }} as notification_id
    from events

)

select * from parsed
