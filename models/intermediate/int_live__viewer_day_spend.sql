{#
    Gift spending per viewer and UTC day (by event time): gifts sent with their
    coins and gross USD, valid refunds on the refund's day, and blocked attempts.
    A viewer-day spending more than 100 USD is a whale day.

    Incremental: a build recomputes the days from the scope's first day on.
#}
{{ config(**live_scoped_config('days_from', 'activity_date')) }}

with

gift_transactions as (

    select
        viewer_id,
        event_date,
        gift_event_type,
        sent_coins,
        sent_usd,
        refunded_usd,
        block_reason
    from {{ ref('int_live__gift_transactions') }}
    where {{ live_in_scope('days_from', 'event_date') }}

),

viewer_days as (

    select
        viewer_id,
        event_date as activity_date,
        count(case when gift_event_type = 'sent' then 1 end) as gifts_sent,
        {{ sum_count('sent_coins') }} as gift_coins,
        {{ sum_usd('sent_usd') }} as gift_usd,
        {{ sum_usd('refunded_usd') }} as refunded_usd,
        count(case when gift_event_type = 'blocked' then 1 end) as gifts_blocked,
        count(case when block_reason = 'underage' then 1 end) as underage_gift_attempts
    from gift_transactions
    group by viewer_id, event_date

)

select
    {{ day_key('viewer_id', 'activity_date') }} as viewer_day_id,
    viewer_id,
    activity_date,
    gifts_sent,
    gift_coins,
    gift_usd,
    refunded_usd,
    gifts_blocked,
    underage_gift_attempts,
    gift_usd > 100 as is_whale_day
from viewer_days
