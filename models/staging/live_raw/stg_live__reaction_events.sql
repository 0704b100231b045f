with

events as (

    {{ clean_events_of_family('reaction') }}

),

parsed as (

    select
        {{ live_event_columns() }},
        user_id as viewer_id,
        {{ json_integer('properties', 'count') }} as like_count,
        {{ json_text('properties', 'channel') }} as share_channel,
        {{ json_text('properties', 'creator_id') }} as followed_creator_id
    from events

)

select * from parsed
