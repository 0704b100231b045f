with

events as (

    {{ clean_events_of_family('stream') }}

),

parsed as (

    select
        {{ live_event_columns() }},
        user_id as creator_id,
        {{ json_text('properties', 'title') }} as title,
        {{ json_text('properties', 'category') }} as category,
        {{ json_text('properties', 'end_reason') }} as end_reason
    from events

)

select * from parsed
