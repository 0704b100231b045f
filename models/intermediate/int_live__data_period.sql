{#
    One row: the first and last day (by event time) with clean events, and the
    last day a stream was live. The last live day is the data's last day for
    metrics: the time spine ends there, so no metric row lies past the feed
    (gift refunds can trail a day or two after the last stream). Age bands are
    computed as of the last day's year, so marts do not change with the
    calendar day they are built on.
#}

with

clean_events as (

    select event_date
    from {{ ref('base_live__events') }}
    where ingestion_outcome = 'clean'

),

streams as (

    select ended_at
    from {{ ref('int_live__streams') }}

),

event_span as (

    select
        min(event_date) as first_event_date,
        max(event_date) as last_event_date
    from clean_events

),

live_span as (

    select max(cast(ended_at as date)) as last_live_date
    from streams

)

select
    'all' as data_period_id,
    event_span.first_event_date,
    event_span.last_event_date,
    live_span.last_live_date,
    extract(year from event_span.last_event_date) as as_of_year
from event_span
cross join live_span
