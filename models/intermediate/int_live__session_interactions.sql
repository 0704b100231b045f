{#
    Interactions (comment, like, share, follow, gift sent) matched to the viewer
    session they happened in: same stream, same viewer, inside the session's
    clipped start and end. An interaction on the boundary of two back-to-back
    sessions goes to the later one. Interactions outside any session are not
    counted here (they still count on the stream).

    One row per session: the session (int_live__viewer_sessions) with its
    interaction counts, zero when it had none.
#}
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
        watch_minutes
    from {{ ref('int_live__viewer_sessions') }}
    where {{ live_in_scope('stream') }}

),

comments as (

    select
        event_id,
        stream_id,
        author_id as viewer_id,
        event_at,
        'comment' as interaction_type,
        0 as like_count
    from {{ ref('stg_live__chat_events') }}
    where {{ live_in_scope('stream') }} and event_type = 'comment_posted'

),

reactions as (

    select
        event_id,
        stream_id,
        viewer_id,
        event_at,
        case event_type
            when 'like_sent' then 'like'
            when 'stream_shared' then 'share'
            when 'creator_followed' then 'follow'
        end as interaction_type,
        coalesce(like_count, 0) as like_count
    from {{ ref('stg_live__reaction_events') }}
    where {{ live_in_scope('stream') }}

),

gift_catalog as (

    select gift_id from {{ ref('stg_live__gift_catalog') }}

),

gifts as (

    -- a gift of an unknown gift_id is quarantined (int_live__reference_checks): no interaction
    select
        gift_events.event_id,
        gift_events.stream_id,
        gift_events.viewer_id,
        gift_events.event_at,
        'gift' as interaction_type,
        0 as like_count
    from {{ ref('stg_live__gift_events') }} as gift_events
    inner join gift_catalog on gift_events.gift_id = gift_catalog.gift_id
    where {{ live_in_scope('stream', prefix='gift_events.') }} and gift_events.event_type = 'gift_sent'

),

interactions as (

    select * from comments
    union all
    select * from reactions
    union all
    select * from gifts

),

matched as (

    select
        interactions.event_id,
        interactions.interaction_type,
        interactions.like_count,
        sessions.session_id,
        row_number() over (
            partition by interactions.event_id
            order by sessions.session_number desc
        ) as match_rank
    from interactions
    inner join sessions
        on
            interactions.stream_id = sessions.stream_id
            and interactions.viewer_id = sessions.viewer_id
            and interactions.event_at >= sessions.started_at
            and interactions.event_at <= sessions.ended_at

),

session_counts as (

    select
        session_id,
        count(*) as interactions,
        count(case when interaction_type = 'comment' then 1 end) as comments,
        {{ sum_count("case when interaction_type = 'like' then like_count else 0 end") }} as likes,
        count(case when interaction_type = 'share' then 1 end) as shares,
        count(case when interaction_type = 'follow' then 1 end) as follows,
        count(case when interaction_type = 'gift' then 1 end) as gifts
    from matched
    where match_rank = 1
    group by session_id

),

final as (

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
        sessions.platform,
        sessions.app_version,
        sessions.country,
        sessions.watch_minutes,
        coalesce(session_counts.interactions, 0) as interactions,
        coalesce(session_counts.comments, 0) as comments,
        coalesce(session_counts.likes, 0) as likes,
        coalesce(session_counts.shares, 0) as shares,
        coalesce(session_counts.follows, 0) as follows,
        coalesce(session_counts.gifts, 0) as gifts
    from sessions
    left join session_counts on sessions.session_id = session_counts.session_id

)

select * from final
