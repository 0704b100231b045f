{# One row per playback_stats report (sent by the app when a viewer leaves). #}
{{ config(**live_scoped_config('stream')) }}

with

playback as (

    select
        event_id,
        stream_id,
        viewer_id,
        event_at,
        event_date,
        platform,
        app_version,
        country,
        startup_ms,
        rebuffer_ms,
        played_ms
    from {{ ref('stg_live__playback_stats') }}
    where {{ live_in_scope('stream') }}

),

streams as (

    select
        stream_id,
        creator_id
    from {{ ref('int_live__streams') }}
    where {{ live_in_scope('stream') }}

)

select
    playback.event_id as playback_event_id,
    playback.stream_id,
    streams.creator_id,
    playback.viewer_id,
    playback.event_at as reported_at,
    playback.event_date as reported_date,
    playback.platform,
    playback.app_version,
    playback.country,
    playback.startup_ms,
    playback.rebuffer_ms,
    playback.played_ms
from playback
inner join streams on playback.stream_id = streams.stream_id
