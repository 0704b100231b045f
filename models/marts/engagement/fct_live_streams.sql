{#
    One row per live stream: what a creator sees in a live analytics dashboard.
    Counts of events cover the whole stream (inside or outside a session);
    money follows the gift that was sent in this stream.
#}

with

streams as (

    select
        stream_id,
        creator_id,
        title,
        category,
        platform,
        country,
        started_at,
        ended_at,
        started_date,
        end_reason,
        has_end_event,
        is_crash,
        minutes_live
    from {{ ref('int_live__streams') }}

),

sessions as (

    select
        stream_id,
        viewer_id,
        traffic_source,
        watch_minutes
    from {{ ref('int_live__viewer_sessions') }}

),

concurrency as (

    select
        stream_id,
        peak_concurrent_viewers
    from {{ ref('int_live__stream_concurrency') }}

),

comments as (

    select
        stream_id,
        is_replied
    from {{ ref('int_live__comment_replies') }}

),

reactions as (

    select
        stream_id,
        event_type,
        like_count
    from {{ ref('stg_live__reaction_events') }}

),

gifts as (

    select
        stream_id,
        viewer_id,
        gift_event_type,
        sent_coins,
        sent_usd,
        diamonds,
        refunded_usd
    from {{ ref('int_live__gift_transactions') }}

),

moderation as (

    select
        stream_id,
        event_type
    from {{ ref('stg_live__moderation_events') }}

),

notifications as (

    select
        stream_id,
        event_type
    from {{ ref('stg_live__notification_events') }}

),

session_stats as (

    select
        stream_id,
        count(distinct viewer_id) as unique_viewers,
        count(*) as viewer_sessions,
        sum(watch_minutes) as watch_minutes,
        {%- for source in ['notification', 'for_you', 'following', 'profile', 'share_link', 'search'] %}
            count(case when traffic_source = '{{ source }}' then 1 end) as joins_from_{{ source }}
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from sessions
    group by stream_id

),

comment_stats as (

    select
        stream_id,
        count(*) as comments,
        count(case when is_replied then 1 end) as answered_comments
    from comments
    group by stream_id

),

reaction_stats as (

    select
        stream_id,
        {{ sum_count("case when event_type = 'like_sent' then like_count else 0 end") }} as likes,
        count(case when event_type = 'stream_shared' then 1 end) as shares,
        count(case when event_type = 'creator_followed' then 1 end) as new_followers
    from reactions
    group by stream_id

),

gift_stats as (

    select
        stream_id,
        count(distinct case when gift_event_type = 'sent' then viewer_id end) as gifters,
        count(case when gift_event_type = 'sent' then 1 end) as gifts_sent,
        {{ sum_count('sent_coins') }} as gift_coins,
        {{ sum_count('diamonds') }} as diamonds,
        {{ sum_usd('sent_usd') }} as gift_usd,
        {{ sum_usd('refunded_usd') }} as refunded_usd
    from gifts
    group by stream_id

),

moderation_stats as (

    select
        stream_id,
        count(case when event_type = 'stream_reported' then 1 end) as reports,
        count(case when event_type = 'moderation_action' then 1 end) as moderation_actions
    from moderation
    group by stream_id

),

notification_stats as (

    select
        stream_id,
        count(case when event_type = 'notification_sent' then 1 end) as notifications_sent
    from notifications
    group by stream_id

)

select
    streams.stream_id,
    streams.creator_id,
    streams.title,
    streams.category,
    streams.platform,
    streams.country,
    streams.started_at,
    streams.ended_at,
    streams.started_date,
    streams.end_reason,
    streams.has_end_event,
    streams.is_crash,
    streams.minutes_live,
    concurrency.peak_concurrent_viewers,
    coalesce(session_stats.unique_viewers, 0) as unique_viewers,
    coalesce(session_stats.viewer_sessions, 0) as viewer_sessions,
    coalesce(session_stats.watch_minutes, 0) as watch_minutes,
    coalesce(session_stats.watch_minutes / nullif(session_stats.unique_viewers, 0), 0)
        as avg_watch_minutes_per_viewer,
    coalesce(session_stats.watch_minutes / nullif(streams.minutes_live, 0), 0)
        as avg_concurrent_viewers,
    {%- for source in ['notification', 'for_you', 'following', 'profile', 'share_link', 'search'] %}
        coalesce(session_stats.joins_from_{{ source }}, 0) as joins_from_{{ source }},
    {%- endfor %}
    coalesce(notification_stats.notifications_sent, 0) as notifications_sent,
    coalesce(reaction_stats.new_followers, 0) as new_followers,
    coalesce(comment_stats.comments, 0) as comments,
    coalesce(comment_stats.answered_comments, 0) as answered_comments,
    coalesce(reaction_stats.likes, 0) as likes,
    coalesce(reaction_stats.shares, 0) as shares,
    coalesce(gift_stats.gifters, 0) as gifters,
    coalesce(gift_stats.gifts_sent, 0) as gifts_sent,
    coalesce(gift_stats.gift_coins, 0) as gift_coins,
    coalesce(gift_stats.diamonds, 0) as diamonds,
    coalesce(gift_stats.gift_usd, 0) as gift_usd,
    coalesce(gift_stats.refunded_usd, 0) as refunded_usd,
    coalesce(moderation_stats.reports, 0) as reports,
    coalesce(moderation_stats.moderation_actions, 0) as moderation_actions
from streams
inner join concurrency on streams.stream_id = concurrency.stream_id
left join session_stats on streams.stream_id = session_stats.stream_id
left join comment_stats on streams.stream_id = comment_stats.stream_id
left join reaction_stats on streams.stream_id = reaction_stats.stream_id
left join gift_stats on streams.stream_id = gift_stats.stream_id
left join moderation_stats on streams.stream_id = moderation_stats.stream_id
left join notification_stats on streams.stream_id = notification_stats.stream_id
