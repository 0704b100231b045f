{#
    Gift money, one row per clean gift event (sent, refunded, blocked).

    sent      coins = coin_cost x quantity; gross USD at the coin price in force
              on the day it was sent; creator diamonds = floor(coins / 2)
    refunded  reverses the gift's coins, USD and diamonds as valued when sent,
              on the day of the refund (valid refunds only: see
              int_live__gift_refunds_checked)
    blocked   the attempted coins, no money moves
#}
{{ config(**live_scoped_config('stream')) }}

with

gift_events as (

    select * from {{ ref('stg_live__gift_events') }}
    where {{ live_in_scope('stream') }}

),

gift_catalog as (

    select * from {{ ref('stg_live__gift_catalog') }}

),

coin_prices as (

    select * from {{ ref('stg_live__coin_prices') }}

),

valid_refunds as (

    select * from {{ ref('int_live__gift_refunds_checked') }}
    where {{ live_in_scope('stream') }} and quarantine_reason is null

),

priced as (

    select
        gift_events.*,
        gift_catalog.gift_name,
        coin_prices.usd_per_coin,
        gift_catalog.coin_cost * gift_events.quantity as coins
    -- an unknown gift is quarantined (int_live__reference_checks): never priced
    from gift_events
    inner join gift_catalog
        on gift_events.gift_id = gift_catalog.gift_id
    left join coin_prices
        on
            gift_events.event_date >= coin_prices.valid_from
            and (coin_prices.valid_to is null or gift_events.event_date < coin_prices.valid_to)
    where gift_events.event_type in ('gift_sent', 'gift_blocked')

),

sent as (

    select
        *,
        cast(coins * usd_per_coin as decimal(18, 6)) as gross_usd,
        cast(floor(coins / 2) as {{ dbt.type_bigint() }}) as diamonds
    from priced
    where event_type = 'gift_sent'

),

sent_rows as (

    select
        sent.event_id as gift_event_id,
        'sent' as gift_event_type,
        sent.gift_txn_id,
        sent.stream_id,
        sent.viewer_id,
        sent.event_at,
        sent.event_date,
        sent.is_late_arrival,
        sent.platform,
        sent.country,
        sent.gift_id,
        sent.gift_name,
        sent.quantity,
        sent.coins as sent_coins,
        sent.gross_usd as sent_usd,
        sent.diamonds,
        0 as refunded_coins,
        cast(0 as decimal(18, 6)) as refunded_usd,
        0 as refunded_diamonds,
        0 as blocked_coins,
        cast(null as {{ dbt.type_string() }}) as block_reason,
        valid_refunds.event_id is not null as is_refunded,
        valid_refunds.event_at as refunded_at
    from sent
    left join valid_refunds
        on sent.gift_txn_id = valid_refunds.gift_txn_id

),

refund_rows as (

    select
        valid_refunds.event_id as gift_event_id,
        'refunded' as gift_event_type,
        valid_refunds.gift_txn_id,
        valid_refunds.stream_id,
        valid_refunds.viewer_id,
        valid_refunds.event_at,
        valid_refunds.event_date,
        valid_refunds.is_late_arrival,
        valid_refunds.platform,
        valid_refunds.country,
        sent.gift_id,
        sent.gift_name,
        sent.quantity,
        0 as sent_coins,
        cast(0 as decimal(18, 6)) as sent_usd,
        0 as diamonds,
        sent.coins as refunded_coins,
        sent.gross_usd as refunded_usd,
        sent.diamonds as refunded_diamonds,
        0 as blocked_coins,
        cast(null as {{ dbt.type_string() }}) as block_reason,
        false as is_refunded,
        cast(null as {{ dbt.type_timestamp() }}) as refunded_at
    from valid_refunds
    inner join sent
        on valid_refunds.sent_event_id = sent.event_id

),

blocked_rows as (

    select
        event_id as gift_event_id,
        'blocked' as gift_event_type,
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
        0 as sent_coins,
        cast(0 as decimal(18, 6)) as sent_usd,
        0 as diamonds,
        0 as refunded_coins,
        cast(0 as decimal(18, 6)) as refunded_usd,
        0 as refunded_diamonds,
        coins as blocked_coins,
        block_reason,
        false as is_refunded,
        cast(null as {{ dbt.type_timestamp() }}) as refunded_at
    from priced
    where event_type = 'gift_blocked'

),

final as (

    select * from sent_rows
    union all
    select * from refund_rows
    union all
    select * from blocked_rows

)

select * from final
