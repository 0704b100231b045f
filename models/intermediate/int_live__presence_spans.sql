{#
    Every span a join opens (int_live__presence_sequenced): from the session-opening join to
    the leave that closes it. A span with no leave ends when the stream ends; every span is
    clipped to its stream's start and end.

    is_viewing  the span has a length after clipping. A span wholly before the stream started
                or after it ended, or a join and leave at one instant, is not a viewing
                (docs/contract/events.md §Changes, 2026-12-06): it counts in no viewer, session, watch-minute,
                conversion or retention figure. int_live__viewer_sessions keeps the viewings;
                the audit counts the events of the others (warning `not_a_viewing`).
#}
{{ config(**live_scoped_config('stream')) }}

with

presence as (

    select * from {{ ref('int_live__presence_sequenced') }}
    where {{ live_in_scope('stream') }}

),

streams as (

    select * from {{ ref('int_live__streams') }}
    where {{ live_in_scope('stream') }}

),

session_starts as (

    select
        stream_id,
        viewer_id,
        session_number,
        event_id as join_event_id,
        event_at as joined_at,
        traffic_source,
        notification_id,
        platform,
        app_version,
        country
    from presence
    where presence_role = 'session_start'

),

session_ends as (

    select
        stream_id,
        viewer_id,
        session_number,
        event_id as leave_event_id,
        event_at as left_at
    from presence
    where presence_role = 'session_end'

),

reconnects as (

    select
        stream_id,
        viewer_id,
        session_number,
        count(*) as reconnects
    from presence
    where presence_role = 'reconnect'
    group by stream_id, viewer_id, session_number

),

sessions as (

    select
        session_starts.*,
        session_ends.leave_event_id,
        session_ends.left_at,
        streams.creator_id,
        streams.started_at as stream_started_at,
        streams.ended_at as stream_ended_at,
        coalesce(reconnects.reconnects, 0) as reconnects
    from session_starts
    inner join streams
        on session_starts.stream_id = streams.stream_id
    left join session_ends
        on
            session_starts.stream_id = session_ends.stream_id
            and session_starts.viewer_id = session_ends.viewer_id
            and session_starts.session_number = session_ends.session_number
    left join reconnects
        on
            session_starts.stream_id = reconnects.stream_id
            and session_starts.viewer_id = reconnects.viewer_id
            and session_starts.session_number = reconnects.session_number

),

clipped as (

    select
        *,
        least(greatest(joined_at, stream_started_at), stream_ended_at) as started_at,
        greatest(
            least(coalesce(left_at, stream_ended_at), stream_ended_at),
            least(greatest(joined_at, stream_started_at), stream_ended_at)
        ) as ended_at
    from sessions

),

final as (

    select
        {{ dbt.concat(['stream_id', "'|'", 'viewer_id', "'|'", 'cast(session_number as ' ~ dbt.type_string() ~ ')']) }}
            as session_id,
        stream_id,
        creator_id,
        viewer_id,
        session_number,
        join_event_id,
        leave_event_id,
        joined_at,
        left_at,
        started_at,
        ended_at,
        cast(started_at as date) as started_date,
        case when left_at is null then 'stream_end' else 'viewer_left' end as end_kind,
        reconnects,
        traffic_source,
        notification_id,
        platform,
        app_version,
        country,
        {{ minutes_between('started_at', 'ended_at') }} as watch_minutes,
        ended_at > started_at as is_viewing
    from clipped

)

select * from final
