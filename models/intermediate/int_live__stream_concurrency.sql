{#
    One row per stream: its attributes (int_live__streams) and its peak
    concurrent viewers, the stream-level input of fct_live_streams and
    fct_creator_daily.

    Peak concurrent viewers per stream, by a sweep over session starts (+1) and
    ends (-1): the running sum is the number of open sessions at each instant.
    At equal timestamps a leave counts before a join, so back-to-back sessions
    of different viewers are not counted as overlapping.
#}
{{ config(**live_scoped_config('stream')) }}

with

sessions as (

    select * from {{ ref('int_live__viewer_sessions') }}
    where {{ live_in_scope('stream') }}

),

streams as (

    select
        stream_id,
        creator_id,
        title,
        category,
        platform,
        country,
        started_at,
        ended_at,
        started_date,
        end_reason,
        has_end_event,
        is_crash,
        minutes_live
    from {{ ref('int_live__streams') }}
    where {{ live_in_scope('stream') }}

),

deltas as (

    select
        stream_id,
        started_at as changed_at,
        1 as delta
    from sessions

    union all

    select
        stream_id,
        ended_at as changed_at,
        -1 as delta
    from sessions

),

sweep as (

    select
        stream_id,
        changed_at,
        sum(delta) over (
            partition by stream_id
            order by changed_at, delta
            rows between unbounded preceding and current row
        ) as concurrent_viewers
    from deltas

),

peaks as (

    select
        stream_id,
        cast(max(concurrent_viewers) as {{ dbt.type_bigint() }}) as peak_concurrent_viewers
    from sweep
    group by stream_id

),

final as (

    select
        streams.stream_id,
        streams.creator_id,
        streams.title,
        streams.category,
        streams.platform,
        streams.country,
        streams.started_at,
        streams.ended_at,
        streams.started_date,
        streams.end_reason,
        streams.has_end_event,
        streams.is_crash,
        streams.minutes_live,
        coalesce(peaks.peak_concurrent_viewers, 0) as peak_concurrent_viewers
    from streams
    left join peaks on streams.stream_id = peaks.stream_id

)

select * from final
