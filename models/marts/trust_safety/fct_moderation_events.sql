{# One row per stream report or moderation action. #}
{{ config(**live_scoped_config('stream')) }}

with

moderation as (

    select
        event_id,
        event_type,
        event_at,
        event_date,
        stream_id,
        actor_id,
        report_reason,
        moderation_action,
        target_user_id,
        platform,
        country
    from {{ ref('stg_live__moderation_events') }}
    where {{ live_in_scope('stream') }}

),

streams as (

    select
        stream_id,
        creator_id,
        category
    from {{ ref('int_live__streams') }}
    where {{ live_in_scope('stream') }}

)

select
    moderation.event_id as moderation_event_id,
    moderation.stream_id,
    streams.creator_id,
    streams.category,
    moderation.actor_id,
    moderation.event_at,
    moderation.event_date,
    moderation.report_reason,
    moderation.moderation_action,
    moderation.target_user_id,
    moderation.platform,
    moderation.country,
    case moderation.event_type
        when 'stream_reported' then 'report'
        else 'action'
    end as moderation_event_kind,
    moderation.actor_id = 'system' as is_system_actor
from moderation
inner join streams on moderation.stream_id = streams.stream_id
