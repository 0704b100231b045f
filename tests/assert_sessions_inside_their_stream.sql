-- Every session lies inside its stream: started_at >= stream start and ended_at <= stream end.

select
    sessions.session_id,
    sessions.started_at,
    sessions.ended_at,
    streams.started_at as stream_started_at,
    streams.ended_at as stream_ended_at
from {{ ref('fct_viewer_sessions') }} as sessions
inner join {{ ref('fct_live_streams') }} as streams
    on sessions.stream_id = streams.stream_id
where
    sessions.started_at < streams.started_at
    or sessions.ended_at > streams.ended_at
    or sessions.ended_at < sessions.started_at
