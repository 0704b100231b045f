{#
    One row per stream id with clean events: the last moment anything clean was
    seen in it, of any event type. A stream with no end event ends there
    (int_live__streams). A row the later rules quarantine (an orphan leave, a
    refund that cannot be applied, an unknown gift or campaign id;
    int_live__quarantined_after_gate) is not clean and does not stretch the stream.
#}
{{ config(**live_scoped_config('stream')) }}

with

clean_events as (

    select
        stream_id,
        event_at
    from {{ ref('base_live__events') }}
    where
        {{ live_in_scope('stream') }}
        and ingestion_outcome = 'clean'
        and stream_id is not null
        and event_id not in (
            select quarantined.event_id from {{ ref('int_live__quarantined_after_gate') }} as quarantined
            where {{ live_in_scope('stream', prefix='quarantined.') }}
        )

),

final as (

    select
        stream_id,
        max(event_at) as last_event_at
    from clean_events
    group by stream_id

)

select * from final
