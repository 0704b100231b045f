{#
    One row per calendar day: the time spine MetricFlow joins to for cumulative
    and offset metrics, and the calendar other models split time by.
    Its range comes from the time_spine_start / time_spine_end variables.
#}
{{ config(materialized='table') }}

with

days as (

    {{ dbt.date_spine(
        datepart='day',
        start_date="cast('" ~ var('time_spine_start', '2024-01-01') ~ "' as date)",
        end_date="cast('" ~ var('time_spine_end', '2028-01-01') ~ "' as date)"
    ) }}

),

final as (

    select cast(date_day as date) as date_day
    from days

)

select * from final
