with

events as (

    {{ clean_events_of_family('moderation') }}

),

parsed as (

    select
        {{ live_event_columns() }},
        user_id as actor_id,
        {{ json_text('properties', 'reason') }} as report_reason,
        {{ json_text('properties', 'action') }} as moderation_action,
        {{ json_text('properties', 'target_user_id') }} as target_user_id
    from events

)

select * from parsed
