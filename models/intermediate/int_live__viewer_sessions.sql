{#
    Viewer sessions: the spans that are viewings (int_live__presence_spans.is_viewing), the
    sessions every viewer, session, watch-minute, conversion and retention figure counts.
#}
{{ config(**live_scoped_config('stream')) }}

with

spans as (

    select * from {{ ref('int_live__presence_spans') }}
    where {{ live_in_scope('stream') }}

),

final as (

    select
        session_id,
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
        started_date,
        end_kind,
        reconnects,
        traffic_source,
        notification_id,
        platform,
        app_version,
        country,
        watch_minutes
    from spans
    where is_viewing

)

select * from final
