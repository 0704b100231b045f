{#
    The time spine is the data's calendar: one row per day, without a gap, from the data's first day
    (int_live__data_period.first_event_date) to its last day (last_live_date; last_event_date when no
    stream was live), in any year; no row at all while there is no data. Returns a row when it is not.
#}

with

data_period as (

    select
        first_event_date as first_day,
        coalesce(last_live_date, last_event_date) as last_day
    from {{ ref('int_live__data_period') }}

),

spine as (

    select
        min(date_day) as first_day,
        max(date_day) as last_day,
        count(*) as day_count
    from {{ ref('metricflow_time_spine') }}

),

expected as (

    select
        first_day,
        last_day,
        coalesce(
            {{ dbt.datediff('first_day', 'last_day', 'day') }} + 1,
            0
        ) as day_count
    from data_period

)

select
    expected.first_day as expected_first_day,
    expected.last_day as expected_last_day,
    expected.day_count as expected_day_count,
    spine.first_day,
    spine.last_day,
    spine.day_count
from expected
cross join spine
where
    spine.day_count != expected.day_count
    or coalesce(spine.first_day != expected.first_day, spine.first_day is not null or expected.first_day is not null)
    or coalesce(spine.last_day != expected.last_day, spine.last_day is not null or expected.last_day is not null)
