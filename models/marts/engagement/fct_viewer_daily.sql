{#
    One row per viewer and day (UTC, by event time) with any activity: sessions
    started, watch minutes, comments posted (in streams not their own), gifting
    (int_live__viewer_day_spend, with the whale day flag of the whale_revenue_share
    guardrail) and notifications. is_live_chatter (the chatter_rate numerator): a
    session and a comment that day (docs/contract/metrics.md §Changes, 2026-12-06).

    Incremental: a build recomputes the days from seven days before the scope's first day on (a
    session on day D decides whether the viewer returned within 7 days of D-7 to D-1); a viewer's
    first session day before them is read from the rows already built.
#}
{{ config(**live_scoped_config('days_from', 'activity_date', 7)) }}

with

sessions as (

    select
        viewer_id,
        started_at,
        started_date,
        watch_minutes
    from {{ ref('int_live__viewer_sessions') }}
    where {{ live_in_scope('days_from', 'started_date', 7) }}

),

data_period as (

    select last_live_date
    from {{ ref('int_live__data_period') }}

),

gift_days as (

    select
        viewer_id,
        activity_date,
        gifts_sent,
        gift_coins,
        gift_usd,
        refunded_usd,
        is_whale_day,
        gifts_blocked,
        underage_gift_attempts
    from {{ ref('int_live__viewer_day_spend') }}
    where {{ live_in_scope('days_from', 'activity_date', 7) }}

),

comments as (

    select
        viewer_id,
        commented_date
    from {{ ref('fct_comments') }}
    where {{ live_in_scope('days_from', 'commented_date', 7) }} and viewer_id != creator_id

),

notifications as (

    select
        recipient_id,
        event_date,
        event_type
    from {{ ref('stg_live__notification_events') }}
    where {{ live_in_scope('days_from', 'event_date', 7) }}

),

session_days as (

    select
        viewer_id,
        started_date as activity_date,
        count(*) as viewer_sessions,
        sum(watch_minutes) as watch_minutes
    from sessions
    group by viewer_id, started_date

),

comment_days as (

    select
        viewer_id,
        commented_date as activity_date,
        count(*) as comments_posted
    from comments
    group by viewer_id, commented_date

),

notification_days as (

    select
        recipient_id as viewer_id,
        event_date as activity_date,
        count(case when event_type = 'notification_sent' then 1 end) as notifications_received,
        count(case when event_type = 'notification_opened' then 1 end) as notifications_opened,
        count(case when event_type = 'notification_opt_out' then 1 end) as notification_opt_outs
    from notifications
    group by recipient_id, event_date

),

session_starts as (

    select
        viewer_id as actor_id,
        started_at
    from sessions
    {%- if is_incremental() %}
        union all
        -- the first session day of viewers first seen before the days recomputed
        select
            viewer_id as actor_id,
            cast(activity_date as {{ dbt.type_timestamp() }}) as started_at
        from {{ this }}
        where is_first_session_day and not {{ live_in_scope('days_from', 'activity_date', 7) }}
    {%- endif %}

),

session_returns as (

    {{ d7_returns('session_starts', '(select data_period.last_live_date from data_period)') }}

),

viewer_days as (

    select
        viewer_id,
        activity_date
    from session_days
    union
    select
        viewer_id,
        activity_date
    from comment_days
    union
    select
        viewer_id,
        activity_date
    from gift_days
    union
    select
        viewer_id,
        activity_date
    from notification_days

)

select
    {{ day_key('viewer_days.viewer_id', 'viewer_days.activity_date') }}
        as viewer_day_id,
    viewer_days.viewer_id,
    viewer_days.activity_date,
    coalesce(session_days.viewer_sessions, 0) as viewer_sessions,
    coalesce(session_days.watch_minutes, 0) as watch_minutes,
    coalesce(session_returns.is_first_day, false) as is_first_session_day,
    coalesce(session_returns.is_d7_retention_eligible, false) as is_d7_retention_eligible,
    coalesce(session_returns.returned_within_7d, false) as returned_within_7d,
    coalesce(comment_days.comments_posted, 0) as comments_posted,
    coalesce(session_days.viewer_sessions > 0 and comment_days.comments_posted > 0, false) as is_live_chatter,
    coalesce(gift_days.gifts_sent, 0) as gifts_sent,
    coalesce(gift_days.gift_coins, 0) as gift_coins,
    coalesce(gift_days.gift_usd, 0) as gift_usd,
    coalesce(gift_days.refunded_usd, 0) as refunded_usd,
    coalesce(gift_days.is_whale_day, false) as is_whale_day,
    coalesce(gift_days.gifts_blocked, 0) as gifts_blocked,
    coalesce(gift_days.underage_gift_attempts, 0) as underage_gift_attempts,
    coalesce(notification_days.notifications_received, 0) as notifications_received,
    coalesce(notification_days.notifications_opened, 0) as notifications_opened,
    coalesce(notification_days.notification_opt_outs, 0) as notification_opt_outs
from viewer_days
left join session_days
    on
        viewer_days.viewer_id = session_days.viewer_id
        and viewer_days.activity_date = session_days.activity_date
left join session_returns
    on
        viewer_days.viewer_id = session_returns.actor_id
        and viewer_days.activity_date = session_returns.activity_date
left join comment_days
    on
        viewer_days.viewer_id = comment_days.viewer_id
        and viewer_days.activity_date = comment_days.activity_date
left join gift_days
    on
        viewer_days.viewer_id = gift_days.viewer_id
        and viewer_days.activity_date = gift_days.activity_date
left join notification_days
    on
        viewer_days.viewer_id = notification_days.viewer_id
        and viewer_days.activity_date = notification_days.activity_date
