{#
    One row per stream with any activity: what happened in it, counted from
    each event family (sessions and their traffic sources, comments and
    answers, likes, shares and follows, gifts and their money, reports and
    moderation actions, live alerts sent). Counts cover the whole stream,
    inside or outside a session; money follows the gift that was sent in the
    stream. fct_live_streams and fct_creator_daily read these counts, so
    neither needs the event families itself.
#}
{{ config(**live_scoped_config('stream')) }}

with

sessions as (

    select
        stream_id,
        viewer_id,
        traffic_source,
        watch_minutes
    from {{ ref('int_live__viewer_sessions') }}
    where {{ live_in_scope('stream') }}

),

comments as (

    select
        stream_id,
        is_replied
    from {{ ref('int_live__comment_replies') }}
    where {{ live_in_scope('stream') }}

),

reactions as (

    select
        stream_id,
        event_type,
        like_count
    from {{ ref('stg_live__reaction_events') }}
    where {{ live_in_scope('stream') }}

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
    where {{ live_in_scope('stream') }}

),

moderation as (

    select
        stream_id,
        event_type
    from {{ ref('stg_live__moderation_events') }}
    where {{ live_in_scope('stream') }}

),

notifications as (

    select
        stream_id,
        event_type
    from {{ ref('stg_live__notification_events') }}
    where {{ live_in_scope('stream') }}

),

session_stats as (

    select
        stream_id,
        count(distinct viewer_id) as unique_viewers,
        count(*) as viewer_sessions,
        sum(watch_minutes) as watch_minutes,
        {%- for source in live_traffic_sources() %}
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

),

stream_ids as (

    -- every stream with a count (notification opt-outs carry no stream)
    select stream_id from session_stats
    union
    select stream_id from comment_stats
    union
    select stream_id from reaction_stats
    union
    select stream_id from gift_stats
    union
    select stream_id from moderation_stats
    union
    select stream_id from notification_stats
    where stream_id is not null

),

final as (

    select
        stream_ids.stream_id,
        coalesce(session_stats.unique_viewers, 0) as unique_viewers,
        coalesce(session_stats.viewer_sessions, 0) as viewer_sessions,
        coalesce(session_stats.watch_minutes, 0) as watch_minutes,
        {%- for source in live_traffic_sources() %}
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
    from stream_ids
    left join session_stats on stream_ids.stream_id = session_stats.stream_id
    left join comment_stats on stream_ids.stream_id = comment_stats.stream_id
    left join reaction_stats on stream_ids.stream_id = reaction_stats.stream_id
    left join gift_stats on stream_ids.stream_id = gift_stats.stream_id
    left join moderation_stats on stream_ids.stream_id = moderation_stats.stream_id
    left join notification_stats on stream_ids.stream_id = notification_stats.stream_id

)

select * from final
