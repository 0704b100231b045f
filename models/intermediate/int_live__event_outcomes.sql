{#
    The final outcome of every raw row: the ingestion gate's verdict, with the
    clean rows that later rules reject moved to quarantine (orphan leaves,
    refunds that cannot be applied, gift and campaign ids not in the reference
    tables).
#}

with

gate as (

    select * from {{ ref('base_live__events') }}

),

orphan_leaves as (

    select
        event_id,
        'orphan_leave' as quarantine_reason
    from {{ ref('int_live__presence_sequenced') }}
    where presence_role = 'orphan_leave'

),

bad_refunds as (

    select
        event_id,
        quarantine_reason
    from {{ ref('int_live__gift_refunds_checked') }}
    where quarantine_reason is not null

),

unknown_references as (

    select
        event_id,
        quarantine_reason
    from {{ ref('int_live__reference_checks') }}
    where quarantine_reason is not null

),

semantic_quarantine as (

    select * from orphan_leaves
    union all
    select * from bad_refunds
    union all
    select * from unknown_references

),

final as (

    select
        gate.raw_row_number,
        gate.source_line,
        gate.raw_record,
        gate.event_id,
        gate.event_type,
        gate.event_at,
        gate.event_date,
        gate.received_at,
        gate.user_id,
        gate.stream_id,
        gate.properties,
        gate.raw_event_at,
        gate.raw_received_at,
        case
            when gate.ingestion_outcome = 'clean' and semantic_quarantine.event_id is not null
                then 'quarantined'
            else gate.ingestion_outcome
        end as outcome,
        case
            when gate.ingestion_outcome = 'clean' then semantic_quarantine.quarantine_reason
            else gate.ingestion_reason
        end as reason
    from gate
    left join semantic_quarantine
        on
            gate.event_id = semantic_quarantine.event_id
            and gate.ingestion_outcome = 'clean'

)

select * from final
