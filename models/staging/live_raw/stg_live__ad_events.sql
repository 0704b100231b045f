with

events as (

    {{ clean_events_of_family('ad') }}

),

parsed as (

    select
        {{ live_event_columns() }},
        user_id as viewer_id,
        {{ json_text('properties', 'impression_id') }} as impression_id,
        {{ json_text('properties', 'campaign_id') }} as campaign_id
    from events

)

select * from parsed
