{#
    One row: the first and last day (by event time) with clean events. Age bands
    are computed as of the last day's year, so marts do not change with the
    calendar day they are built on.
#}

with

clean_events as (

    select event_date
    from {{ ref('base_live__events') }}
    where ingestion_outcome = 'clean'

)

select
    min(event_date) as first_event_date,
    max(event_date) as last_event_date,
    extract(year from max(event_date)) as as_of_year
from clean_events
