with

events as (

    {{ clean_events_of_family('chat') }}

),

parsed as (

    select
        {{ live_event_columns() }},
        user_id as author_id,
        {{ json_text('properties', 'comment_id') }} as comment_id,
        {{ json_text('properties', 'text') }} as message_text
    from events

)

select * from parsed
