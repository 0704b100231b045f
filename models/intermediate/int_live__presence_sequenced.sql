{#
    Every join and leave in order per viewer and stream, with its role:

    session_start  a join with no open session (opens one)
    reconnect      a join while the viewer's session is still open (ignored)
    session_end    a leave that closes the open session
    orphan_leave   a leave with no open session (quarantined)

    After any join the viewer's session is open and after any leave it is closed,
    so each event's role follows from the type of the event before it.

    A join and a leave at the same instant (docs/contract/events.md §Changes, 2026-12-06): if a session is
    open, the leave closes it first and the join opens a new one; if none is open,
    the join opens a session and the leave closes it (a zero-length session, not an
    orphan). So the order within an instant depends on the state before it. An
    instant with only joins leaves the session open, one with only leaves leaves it
    closed, and one with both leaves it as it found it (leaves first when open, joins
    first when closed); so the state before an instant is that of the last earlier
    instant holding one kind of event only (closed when there is none).
#}
{{ config(**live_scoped_config('stream')) }}

with

presence as (

    select * from {{ ref('stg_live__presence_events') }}
    where {{ live_in_scope('stream') }}

),

instants as (

    select
        stream_id,
        viewer_id,
        event_at,
        case
            when min(event_type) = max(event_type) and min(event_type) = 'viewer_joined' then 1
            when min(event_type) = max(event_type) then 0
        end as state_after_one_kind
    from presence
    group by stream_id, viewer_id, event_at

),

instants_numbered as (

    select
        *,
        row_number() over (partition by stream_id, viewer_id order by event_at) as instant_number
    from instants

),

instant_states as (

    -- the last one-kind instant before this one: its number * 2 + its state (1 open, 0 closed)
    select
        stream_id,
        viewer_id,
        event_at,
        coalesce(
            max(instant_number * 2 + state_after_one_kind) over (
                partition by stream_id, viewer_id
                order by instant_number
                rows between unbounded preceding and 1 preceding
            ) % 2,
            0
        ) = 1 as is_open_before
    from instants_numbered

),

sequenced as (

    select
        presence.*,
        row_number() over (
            partition by presence.stream_id, presence.viewer_id
            order by
                presence.event_at,
                case
                    when (presence.event_type = 'viewer_left') = instant_states.is_open_before then 0
                    else 1
                end,
                presence.received_at,
                presence.event_id
        ) as presence_sequence
    from presence
    inner join instant_states
        on
            presence.stream_id = instant_states.stream_id
            and presence.viewer_id = instant_states.viewer_id
            and presence.event_at = instant_states.event_at

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
