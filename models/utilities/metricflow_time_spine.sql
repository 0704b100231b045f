{#
    One row per calendar day: the time spine MetricFlow joins to for cumulative
    and offset metrics, and the calendar other models split time by.
    It runs from the data's first day (the first day with a clean event) to its
    last day, the last day a stream was live (the last day with a clean event
    when no stream ever was), whatever the years: no date variable bounds it.
    No metric, cumulative or offset, can produce a row for a day the data does
    not reach. No day before the first is needed: an offset metric's value on
    day D joins the spine's D to the data of D - 7, and a month-to-date value on
    D sums the data from the first of D's month (a date_trunc, not a spine row)
    to D, so both only need the spine's days inside the data. With no data at
    all the spine is empty.
#}
{{ config(materialized='table') }}

with

data_period as (

    select
        first_event_date as first_day,
        coalesce(last_live_date, last_event_date) as last_day
    from {{ ref('int_live__data_period') }}

),

days as (

    {{ days_between('first_day', 'last_day', 'data_period') }}

),

final as (

    select cast(date_day as date) as date_day
    from days

)

select * from final
