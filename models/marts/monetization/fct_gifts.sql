{#
    One row per gift event: sent, refunded (valid refunds only) or blocked.
    Amounts are in the columns of their kind and zero elsewhere, so sums never
    net refunds silently: gift revenue is sum(sent_usd), refunds sum(refunded_usd).
#}
{{ config(**live_scoped_config('stream')) }}

with

gift_transactions as (

    select
        gift_event_id,
        gift_event_type,
        gift_txn_id,
        stream_id,
        viewer_id,
        event_at,
        event_date,
        is_late_arrival,
        platform,
        country,
        gift_id,
        gift_name,
        quantity,
        sent_coins,
        sent_usd,
        diamonds,
        refunded_coins,
        refunded_usd,
        refunded_diamonds,
        blocked_coins,
        block_reason,
        is_refunded,
        refunded_at
    from {{ ref('int_live__gift_transactions') }}
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
    gift_transactions.gift_event_id,
    gift_transactions.gift_event_type,
    gift_transactions.gift_txn_id,
    gift_transactions.stream_id,
    streams.creator_id,
    streams.category,
    gift_transactions.viewer_id,
    gift_transactions.event_at,
    gift_transactions.event_date,
    gift_transactions.is_late_arrival,
    gift_transactions.platform,
    gift_transactions.country,
    gift_transactions.gift_id,
    gift_transactions.gift_name,
    gift_transactions.quantity,
    gift_transactions.sent_coins,
    gift_transactions.sent_usd,
    gift_transactions.diamonds,
    gift_transactions.refunded_coins,
    gift_transactions.refunded_usd,
    gift_transactions.refunded_diamonds,
    gift_transactions.blocked_coins,
    gift_transactions.block_reason,
    gift_transactions.is_refunded,
    gift_transactions.refunded_at
from gift_transactions
inner join streams on gift_transactions.stream_id = streams.stream_id
