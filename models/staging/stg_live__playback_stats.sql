with

events as (

    {{ clean_events_of_family('playback') }}

),

parsed as (

    select
        {{ live_event_columns() }},
        user_id as viewer_id,
        {{ dbt.safe_cast(json_text('properties', 'startup_ms'), dbt.type_float()) }} as startup_ms,
        {{ dbt.safe_cast(json_text('properties', 'rebuffer_ms'), dbt.type_float()) }} as rebuffer_ms,
        {{ dbt.safe_cast(json_text('properties', 'played_ms'), dbt.type_float()) }} as played_ms
    from events

)

select * from parsed
