-- A stream's watch minutes can never exceed minutes live × peak concurrent viewers.

select
    stream_id,
    watch_minutes,
    minutes_live,
    peak_concurrent_viewers
from {{ ref('fct_live_streams') }}
where watch_minutes > minutes_live * peak_concurrent_viewers + 1e-6
