{#
    One row per live stream: what a creator sees in a live analytics dashboard.
    The stream and its peak concurrency come from int_live__stream_concurrency,
    what happened in it from int_live__stream_activity (streams nobody touched
    have zeros). Counts of events cover the whole stream (inside or outside a
    session); money follows the gift that was sent in this stream.
#}
{{ config(**live_scoped_config('stream')) }}

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
        minutes_live,
        peak_concurrent_viewers
    from {{ ref('int_live__stream_concurrency') }}
    where {{ live_in_scope('stream') }}

),

activity as (

    select
        stream_id,
        unique_viewers,
        viewer_sessions,
        watch_minutes,
        joins_from_notification,
        joins_from_for_you,
        joins_from_following,
        joins_from_profile,
        joins_from_share_link,
        joins_from_search,
        joins_from_unknown,
        notifications_sent,
        new_followers,
        comments,
        answered_comments,
        likes,
        shares,
        gifters,
        gifts_sent,
        gift_coins,
        diamonds,
        gift_usd,
        refunded_usd,
        reports,
        moderation_actions
    from {{ ref('int_live__stream_activity') }}
    where {{ live_in_scope('stream') }}

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
    streams.peak_concurrent_viewers,
    coalesce(activity.unique_viewers, 0) as unique_viewers,
    coalesce(activity.viewer_sessions, 0) as viewer_sessions,
    coalesce(activity.watch_minutes, 0) as watch_minutes,
    coalesce(activity.watch_minutes / nullif(activity.unique_viewers, 0), 0)
        as avg_watch_minutes_per_viewer,
    coalesce(activity.watch_minutes / nullif(streams.minutes_live, 0), 0)
        as avg_concurrent_viewers,
    coalesce(activity.joins_from_notification, 0) as joins_from_notification,
    coalesce(activity.joins_from_for_you, 0) as joins_from_for_you,
    coalesce(activity.joins_from_following, 0) as joins_from_following,
    coalesce(activity.joins_from_profile, 0) as joins_from_profile,
    coalesce(activity.joins_from_share_link, 0) as joins_from_share_link,
    coalesce(activity.joins_from_search, 0) as joins_from_search,
    coalesce(activity.joins_from_unknown, 0) as joins_from_unknown,
    coalesce(activity.notifications_sent, 0) as notifications_sent,
    coalesce(activity.new_followers, 0) as new_followers,
    coalesce(activity.comments, 0) as comments,
    coalesce(activity.answered_comments, 0) as answered_comments,
    coalesce(activity.likes, 0) as likes,
    coalesce(activity.shares, 0) as shares,
    coalesce(activity.gifters, 0) as gifters,
    coalesce(activity.gifts_sent, 0) as gifts_sent,
    coalesce(activity.gift_coins, 0) as gift_coins,
    coalesce(activity.diamonds, 0) as diamonds,
    coalesce(activity.gift_usd, 0) as gift_usd,
    coalesce(activity.refunded_usd, 0) as refunded_usd,
    coalesce(activity.reports, 0) as reports,
    coalesce(activity.moderation_actions, 0) as moderation_actions
from streams
left join activity on streams.stream_id = activity.stream_id
