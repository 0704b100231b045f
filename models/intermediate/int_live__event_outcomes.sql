{#
    The final outcome of every raw row: the ingestion gate's verdict, with the
    clean rows that later rules reject moved to quarantine (orphan leaves,
    refunds that cannot be applied, gift and campaign ids not in the reference
    tables), and the clean rows the audit counts under a warning (reason codes
    of outcome `clean` in dq_reason_codes; docs/contract/events.md §Changes, 2026-12-06):

    not_a_viewing        a join or leave of a span that is no viewing (zero length
                         after clipping to its stream, int_live__presence_spans)
    unknown_join_source  a join with no source, or one the contract does not list
                         (kept, with traffic source `unknown`)

    Incremental: a build recomputes the rows of the scope's streams and the rows without a stream the
    gate decided since (live_in_scope 'event_row').
#}
{{ config(**live_scoped_config('event_row')) }}

with

gate as (

    select * from {{ ref('base_live__events') }}
    where {{ live_in_scope('event_row') }}

),

non_viewing_presence as (

    select presence.event_id
    from {{ ref('int_live__presence_sequenced') }} as presence
    inner join {{ ref('int_live__presence_spans') }} as spans
        on
            presence.stream_id = spans.stream_id
            and presence.viewer_id = spans.viewer_id
            and presence.session_number = spans.session_number
    where
        {{ live_in_scope('stream', prefix='presence.') }}
        and not spans.is_viewing
        and presence.presence_role in ('session_start', 'reconnect', 'session_end')

),

unknown_join_sources as (

    select event_id
    from {{ ref('stg_live__presence_events') }}
    where {{ live_in_scope('stream') }} and traffic_source = 'unknown'

),

clean_warnings as (

    select
        event_id,
        'not_a_viewing' as warning_reason
    from non_viewing_presence
    union all
    select
        event_id,
        'unknown_join_source' as warning_reason
    from unknown_join_sources
    where event_id not in (select non_viewing_presence.event_id from non_viewing_presence)

),

semantic_quarantine as (

    select
        event_id,
        quarantine_reason
    from {{ ref('int_live__quarantined_after_gate') }}
    where {{ live_in_scope('stream') }}

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
            when gate.ingestion_outcome = 'clean'
                then coalesce(semantic_quarantine.quarantine_reason, clean_warnings.warning_reason)
            else gate.ingestion_reason
        end as reason
    from gate
    left join semantic_quarantine
        on
            gate.event_id = semantic_quarantine.event_id
            and gate.ingestion_outcome = 'clean'
    left join clean_warnings
        on
            gate.event_id = clean_warnings.event_id
            and gate.ingestion_outcome = 'clean'

)

select * from final
