{#
    Viewer sessions: from a session-opening join to the leave that closes it.
    A session with no leave ends when the stream ends; every session is clipped
    to its stream's start and end.
#}

with

presence as (

    select * from {{ ref('int_live__presence_sequenced') }}

),

streams as (

    select * from {{ ref('int_live__streams') }}

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
        {{ minutes_between('started_at', 'ended_at') }} as watch_minutes
    from clipped

)

select * from final
