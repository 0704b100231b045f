{#
    Stream lifecycle: one row per started stream.
    A stream runs from stream_started to stream_ended; with no end event it ends
    at the last event seen for it and its end reason is `no_end_event`.
#}
{{ config(**live_scoped_config('stream')) }}

with

stream_events as (

    select * from {{ ref('stg_live__stream_events') }}
    where {{ live_in_scope('stream') }}

),

starts as (

    select
        stream_id,
        creator_id,
        title,
        category,
        platform,
        country,
        event_at as started_at
    from stream_events
    where event_type = 'stream_started'

),

ends as (

    select
        stream_id,
        event_at as end_event_at,
        end_reason
    from stream_events
    where event_type = 'stream_ended'

),

last_seen as (

    select
        stream_id,
        last_event_at
    from {{ ref('int_live__stream_last_seen') }}
    where {{ live_in_scope('stream') }}

),

lifecycle as (

    select
        starts.stream_id,
        starts.creator_id,
        starts.title,
        starts.category,
        starts.platform,
        starts.country,
        starts.started_at,
        greatest(
            starts.started_at,
            coalesce(ends.end_event_at, last_seen.last_event_at, starts.started_at)
        ) as ended_at,
        coalesce(ends.end_reason, 'no_end_event') as end_reason,
        ends.stream_id is not null as has_end_event
    from starts
    left join ends on starts.stream_id = ends.stream_id
    left join last_seen on starts.stream_id = last_seen.stream_id

),

final as (

    select
        stream_id,
        creator_id,
        title,
        category,
        platform,
        country,
        started_at,
        ended_at,
        cast(started_at as date) as started_date,
        end_reason,
        has_end_event,
        end_reason in ('crashed', 'no_end_event') as is_crash,
        {{ minutes_between('started_at', 'ended_at') }} as minutes_live
    from lifecycle

)

select * from final
