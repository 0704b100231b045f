{#
    Every clean gift_refunded event, checked against the gifts sent. A refund
    of an unknown transaction (`unknown_refund_txn`) or a second refund of the
    same transaction (`repeated_refund`) cannot be applied and is quarantined;
    quarantine_reason is null for a valid refund.

    Incremental by stream: a refund may sit in another stream than its gift, so a build reads every
    gift and refund tied by gift_txn_id to the scope's streams (live_in_linked_scope) and keeps the
    refunds of the scope's streams.
#}
{{ config(**live_scoped_config('stream')) }}

with

gift_events as (

    select * from {{ ref('stg_live__gift_events') }}
    where {{ live_in_linked_scope() }}

),

gift_catalog as (

    select gift_id from {{ ref('stg_live__gift_catalog') }}

),

sent as (

    -- gifts of an unknown gift_id are quarantined (int_live__reference_checks): not sent
    select
        gift_events.event_id,
        gift_events.gift_txn_id
    from gift_events
    inner join gift_catalog on gift_events.gift_id = gift_catalog.gift_id
    where gift_events.event_type = 'gift_sent'

),

refunds as (

    select
        *,
        row_number() over (
            partition by gift_txn_id
            order by event_at, received_at, event_id
        ) as refund_number
    from gift_events
    where event_type = 'gift_refunded'

),

final as (

    select
        refunds.event_id,
        refunds.gift_txn_id,
        refunds.stream_id,
        refunds.viewer_id,
        refunds.event_at,
        refunds.event_date,
        refunds.is_late_arrival,
        refunds.platform,
        refunds.country,
        refunds.refund_number,
        sent.event_id as sent_event_id,
        case
            when sent.event_id is null then 'unknown_refund_txn'
            when refunds.refund_number > 1 then 'repeated_refund'
        end as quarantine_reason
    from refunds
    left join sent
        on refunds.gift_txn_id = sent.gift_txn_id
    where {{ live_in_scope('stream', prefix='refunds.') }}

)

select * from final
