{#
    Every join and leave in order per viewer and stream, with its role:

    session_start  a join with no open session (opens one)
    reconnect      a join while the viewer's session is still open (ignored)
    session_end    a leave that closes the open session
    orphan_leave   a leave with no open session (quarantined)

    After any join the viewer's session is open and after any leave it is closed,
    so each event's role follows from the type of the event before it. At equal
    timestamps a leave is ordered before a join.
#}

with

presence as (

    select * from {{ ref('stg_live__presence_events') }}

),

sequenced as (

    select
        *,
        row_number() over (
            partition by stream_id, viewer_id
            order by
                event_at,
                case when event_type = 'viewer_left' then 0 else 1 end,
                received_at,
                event_id
        ) as presence_sequence
    from presence

),

with_previous as (

    select
        *,
        lag(event_type) over (
            partition by stream_id, viewer_id order by presence_sequence
        ) as previous_event_type
    from sequenced

),

with_role as (

    select
        *,
        case
            when event_type = 'viewer_joined' and coalesce(previous_event_type, 'viewer_left') = 'viewer_left'
                then 'session_start'
            when event_type = 'viewer_joined' then 'reconnect'
            when previous_event_type = 'viewer_joined' then 'session_end'
            else 'orphan_leave'
        end as presence_role
    from with_previous

),

numbered as (

    select
        *,
        count(case when presence_role = 'session_start' then 1 end) over (
            partition by stream_id, viewer_id
            order by presence_sequence
            rows between unbounded preceding and current row
        ) as session_number
    from with_role

),

final as (

    select
        event_id,
        event_type,
        presence_role,
        stream_id,
        viewer_id,
        session_number,
        presence_sequence,
        event_at,
        received_at,
        traffic_source,
        notification_id,
        platform,
        app_version,
        country
    from numbered

)

select * from final
