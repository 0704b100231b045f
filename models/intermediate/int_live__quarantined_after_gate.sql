{#
    The rows the gate let through as clean that later rules quarantine, with their
    reason: orphan leaves (int_live__presence_sequenced), refunds that cannot be
    applied (int_live__gift_refunds_checked), and gift and campaign ids not in the
    reference tables (int_live__reference_checks). int_live__event_outcomes gives
    them their final outcome; int_live__stream_last_seen leaves them out, since a
    quarantined row is not an event of its stream (a stream with no end event ends
    at its last clean event, not at an orphan leave after it).
#}
{{ config(**live_scoped_config('stream')) }}

with

orphan_leaves as (

    select
        event_id,
        stream_id,
        'orphan_leave' as quarantine_reason
    from {{ ref('int_live__presence_sequenced') }}
    where {{ live_in_scope('stream') }} and presence_role = 'orphan_leave'

),

bad_refunds as (

    select
        event_id,
        stream_id,
        quarantine_reason
    from {{ ref('int_live__gift_refunds_checked') }}
    where {{ live_in_scope('stream') }} and quarantine_reason is not null

),

unknown_references as (

    select
        event_id,
        stream_id,
        quarantine_reason
    from {{ ref('int_live__reference_checks') }}
    where {{ live_in_scope('stream') }} and quarantine_reason is not null

),

final as (

    select * from orphan_leaves
    union all
    select * from bad_refunds
    union all
    select * from unknown_references

)

select * from final
