{#
    One row per creator and day on which one of their streams was live (UTC).
    Hours live are split at midnight; the other figures follow the stream's
    start day (sessions, comments, gifts), except money, which counts on the
    day of the gift.

    Incremental: a build recomputes the days from seven days before the scope's first day on (a
    stream on day D decides whether the creator streamed again within 7 days of D-7 to D-1).
#}
{{ config(**live_scoped_config('days_from', 'activity_date', 7)) }}

with

day_hours as (

    select
        creator_id,
        activity_date,
        streams_live,
        hours_live
    from {{ ref('int_live__creator_day_hours') }}
    where {{ live_in_scope('days_from', 'activity_date', 7) }}

),

stream_days as (

    select
        stream_id,
        creator_id,
        started_at,
        started_date
    from {{ ref('int_live__stream_concurrency') }}
    where {{ live_in_scope('days_from', 'started_date', 7) }}

),

stream_creators as (

    select
        stream_id,
        creator_id
    from {{ ref('int_live__stream_concurrency') }}

),

data_period as (

    select last_live_date
    from {{ ref('int_live__data_period') }}

),

stream_starts as (

    select
        creator_id as actor_id,
        started_at
    from stream_days

),

stream_returns as (

    {{ d7_returns('stream_starts', '(select data_period.last_live_date from data_period)') }}

),

activity as (

    select
        stream_id,
        watch_minutes,
        new_followers,
        comments
    from {{ ref('int_live__stream_activity') }}

),

gift_money as (

    select
        stream_id,
        event_date,
        sent_usd,
        diamonds,
        refunded_usd
    from {{ ref('int_live__gift_transactions') }}
    where {{ live_in_scope('days_from', 'event_date', 7) }}

),

streams as (

    select
        stream_days.creator_id,
        stream_days.started_date,
        coalesce(activity.watch_minutes, 0) as watch_minutes,
        coalesce(activity.new_followers, 0) as new_followers,
        coalesce(activity.comments, 0) as comments
    from stream_days
    left join activity on stream_days.stream_id = activity.stream_id

),

gifts as (

    select
        stream_creators.creator_id,
        gift_money.event_date,
        gift_money.sent_usd,
        gift_money.diamonds,
        gift_money.refunded_usd
    from gift_money
    inner join stream_creators on gift_money.stream_id = stream_creators.stream_id

),

started as (

    select
        creator_id,
        started_date as activity_date,
        count(*) as streams_started,
        sum(watch_minutes) as watch_minutes,
        {{ sum_count('new_followers') }} as new_followers,
        {{ sum_count('comments') }} as comments
    from streams
    group by creator_id, started_date

),

earned as (

    select
        creator_id,
        event_date as activity_date,
        {{ sum_usd('sent_usd') }} as gift_usd,
        {{ sum_usd('refunded_usd') }} as refunded_usd,
        {{ sum_count('diamonds') }} as diamonds
    from gifts
    group by creator_id, event_date

)

select
    {{ day_key('day_hours.creator_id', 'day_hours.activity_date') }}
        as creator_day_id,
    day_hours.creator_id,
    day_hours.activity_date,
    day_hours.streams_live,
    coalesce(started.streams_started, 0) as streams_started,
    coalesce(stream_returns.is_d7_retention_eligible, false) as is_d7_retention_eligible,
    coalesce(stream_returns.returned_within_7d, false) as streamed_again_within_7d,
    day_hours.hours_live,
    day_hours.hours_live > 6 as is_over_six_hours_live,
    coalesce(started.watch_minutes, 0) as watch_minutes,
    coalesce(started.new_followers, 0) as new_followers,
    coalesce(started.comments, 0) as comments,
    coalesce(earned.gift_usd, 0) as gift_usd,
    coalesce(earned.refunded_usd, 0) as refunded_usd,
    coalesce(earned.diamonds, 0) as diamonds
from day_hours
left join started
    on
        day_hours.creator_id = started.creator_id
        and day_hours.activity_date = started.activity_date
left join stream_returns
    on
        day_hours.creator_id = stream_returns.actor_id
        and day_hours.activity_date = stream_returns.activity_date
left join earned
    on
        day_hours.creator_id = earned.creator_id
        and day_hours.activity_date = earned.activity_date
