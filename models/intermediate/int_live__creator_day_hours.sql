{#
    Hours live per creator and calendar day (UTC). A stream that crosses
    midnight is split at midnight; every day a stream touches gets a row, even
    with zero hours (a stream that ended as it started).

    Incremental: a build recomputes the days from the scope's first day on.
#}
{{ config(**live_scoped_config('days_from', 'activity_date')) }}

with

streams as (

    select * from {{ ref('int_live__streams') }}
    where {{ live_in_scope('days_from', 'cast(ended_at as date)') }}

),

days as (

    select date_day from {{ ref('metricflow_time_spine') }}
    where {{ live_in_scope('days_from', 'date_day') }}

),

stream_days as (

    select
        streams.creator_id,
        streams.stream_id,
        days.date_day as activity_date,
        greatest(streams.started_at, cast(days.date_day as {{ dbt.type_timestamp() }})) as live_from,
        least(
            streams.ended_at,
            cast({{ dbt.dateadd('day', 1, 'days.date_day') }} as {{ dbt.type_timestamp() }})
        ) as live_to
    from streams
    inner join days
        on days.date_day between cast(streams.started_at as date) and cast(streams.ended_at as date)

),

final as (

    select
        {{ day_key('creator_id', 'activity_date') }} as creator_day_id,
        creator_id,
        activity_date,
        count(distinct stream_id) as streams_live,
        sum({{ minutes_between('live_from', 'live_to') }}) / 60.0 as hours_live
    from stream_days
    group by creator_id, activity_date

)

select * from final
