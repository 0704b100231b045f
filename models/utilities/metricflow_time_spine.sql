{#
    One row per calendar day: the time spine MetricFlow joins to for cumulative
    and offset metrics, and the calendar other models split time by.
    It runs from the time_spine_start variable to the data's last day, the
    last day a stream was live (time_spine_end when there is no data yet), so no metric, cumulative or
    offset, can produce a row for a day the data does not reach.
#}
{{ config(materialized='table') }}

with

data_period as (

    select last_live_date
    from {{ ref('int_live__data_period') }}

),

days as (

    {{ dbt.date_spine(
        datepart='day',
        start_date="cast('" ~ var('time_spine_start', '2024-01-01') ~ "' as date)",
        end_date="cast('" ~ var('time_spine_end', '2028-01-01') ~ "' as date)"
    ) }}

),

final as (

    select cast(days.date_day as date) as date_day
    from days
    cross join data_period
    where
        data_period.last_live_date is null
        or cast(days.date_day as date) <= data_period.last_live_date

)

select * from final
