-- raw records = clean + duplicates + quarantined, per event type and in total.
-- The records are base_live__raw_events: every record of the file, the ones the CSV
-- reader rejected included (the Python suite checks that count against the file with
-- an independent reader). Returns the event types that do not balance.

with

raw_records as (

    select
        coalesce(
            lower({{ clean_text('event_type') }}),
            case when read_error is not null then '(unreadable)' else '(missing)' end
        ) as event_type
    from {{ ref('base_live__raw_events') }}

),

raw_rows as (

    select
        event_type,
        count(*) as raw_rows
    from raw_records
    group by event_type

),

audited as (

    select
        event_type,
        sum(case when outcome = 'clean' then row_count else 0 end) as clean_rows,
        sum(case when outcome = 'duplicate' then row_count else 0 end) as duplicate_rows,
        sum(case when outcome = 'quarantined' then row_count else 0 end) as quarantined_rows
    from {{ ref('fct_ingestion_audit') }}
    group by event_type

)

select
    raw_rows.raw_rows,
    audited.clean_rows,
    audited.duplicate_rows,
    audited.quarantined_rows,
    coalesce(raw_rows.event_type, audited.event_type) as event_type
from raw_rows
full outer join audited on raw_rows.event_type = audited.event_type
where
    coalesce(raw_rows.raw_rows, 0)
    != coalesce(audited.clean_rows + audited.duplicate_rows + audited.quarantined_rows, 0)
