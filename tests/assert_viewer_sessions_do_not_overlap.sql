-- A viewer has at most one open session per stream: their sessions in a stream never overlap.

with

sessions as (

    select
        session_id,
        stream_id,
        viewer_id,
        started_at,
        ended_at,
        lead(started_at) over (
            partition by stream_id, viewer_id order by session_number
        ) as next_started_at
    from {{ ref('fct_viewer_sessions') }}

)

select *
from sessions
where next_started_at < ended_at
