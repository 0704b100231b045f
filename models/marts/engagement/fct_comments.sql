{#
    One row per comment, with whether and how fast the creator answered it live.
    The pairing logic lives in int_live__comment_replies; this mart publishes
    its columns under a contract.
#}
{{ config(**live_scoped_config('stream')) }}

select
    comment_id,
    comment_event_id,
    stream_id,
    creator_id,
    viewer_id,
    commented_at,
    commented_date,
    is_late_arrival,
    platform,
    country,
    message_length,
    is_replied,
    first_replied_at,
    reply_latency_seconds
from {{ ref('int_live__comment_replies') }}
where {{ live_in_scope('stream') }}
