with

events as (

    {{ clean_events_of_family('playback') }}

),

parsed as (

    select
        {{ live_event_columns() }},
        user_id as viewer_id,
        {{ try_cast(json_text('properties', 'startup_ms'), 'double') }} as startup_ms,
        {{ try_cast(json_text('properties', 'rebuffer_ms'), 'double') }} as rebuffer_ms,
        {{ try_cast(json_text('properties', 'played_ms'), 'double') }} as played_ms
    from events

)

select * from parsed
