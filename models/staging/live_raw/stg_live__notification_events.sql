with

events as (

    {{ clean_events_of_family('notification') }}

),

parsed as (

    select
        {{ live_event_columns() }},
        user_id as recipient_id,
        {{ json_text('properties', 'notification_id') }} as notification_id,
        {{ json_text('properties', 'creator_id') }} as creator_id
    from events

)

select * from parsed
