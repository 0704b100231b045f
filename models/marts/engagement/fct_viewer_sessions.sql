{# One row per viewer session (see int_live__viewer_sessions for the rules), with its interactions. #}
{{ config(**live_scoped_config('stream')) }}

with

sessions as (

    select
        session_id,
        stream_id,
        creator_id,
        viewer_id,
        session_number,
        joined_at,
        left_at,
        started_at,
        ended_at,
        started_date,
        end_kind,
        reconnects,
        traffic_source,
        notification_id,
        platform,
        app_version,
        country,
        watch_minutes,
        interactions,
        comments,
        likes,
        shares,
        follows,
        gifts
    from {{ ref('int_live__session_interactions') }}
    where {{ live_in_scope('stream') }}

),

streams as (

    select
        stream_id,
        category
    from {{ ref('int_live__streams') }}
    where {{ live_in_scope('stream') }}

)

select
    sessions.session_id,
    sessions.stream_id,
    sessions.creator_id,
    sessions.viewer_id,
    sessions.session_number,
    sessions.joined_at,
    sessions.left_at,
    sessions.started_at,
    sessions.ended_at,
    sessions.started_date,
    sessions.end_kind,
    sessions.reconnects,
    sessions.traffic_source,
    sessions.notification_id,
    streams.category,
    sessions.platform,
    sessions.app_version,
    sessions.country,
    sessions.watch_minutes,
    sessions.interactions,
    sessions.comments,
    sessions.likes,
    sessions.shares,
    sessions.follows,
    sessions.gifts,
    sessions.interactions > 0 as has_interaction
from sessions
inner join streams on sessions.stream_id = streams.stream_id
