{#
    The event days whose daily rows a scoped model recomputes in this build (macros/incremental_scope.sql):
    the days of the rows of int_live__build_scope_streams and of the rows decided after
    int_live__build_scope.decided_after, among the rows that are or may have been clean. A duplicate
    delivery, a row that breaks a rule of its own (row_reason) or a row held as late_beyond_window never
    was clean, so a junk timestamp among them (a year 2001 event) does not widen the scope.
#}

with

build_scope as (

    select decided_after from {{ ref('int_live__build_scope') }}

),

scope_streams as (

    select stream_id from {{ ref('int_live__build_scope_streams') }}

),

gate as (

    select
        stream_id,
        event_date,
        decided_at
    from {{ ref('base_live__events') }}
    where
        event_date is not null
        and row_reason is null
        and delivery_number = 1
        and coalesce(ingestion_reason != 'late_beyond_window', true)

),

final as (

    select distinct gate.event_date as scope_day
    from gate
    where
        gate.stream_id in (select scope_streams.stream_id from scope_streams)
        or coalesce(gate.decided_at > (select build_scope.decided_after from build_scope), true)

)

select * from final
