{#
    Every quarantined raw record, as it arrived (text), with its reason code: the
    place to look when the audit shows quarantined rows. A record the CSV reader
    could not parse has only its raw text and its line in the file.
#}
{{ config(**live_scoped_config('event_row')) }}

with

outcomes as (

    select
        raw_row_number,
        event_id,
        event_type,
        raw_event_at,
        raw_received_at,
        event_date,
        user_id,
        stream_id,
        properties,
        source_line,
        raw_record,
        outcome,
        reason
    from {{ ref('int_live__event_outcomes') }}
    where {{ live_in_scope('event_row') }}

)

select
    raw_row_number,
    reason,
    event_id,
    event_type,
    raw_event_at,
    raw_received_at,
    event_date,
    user_id,
    stream_id,
    properties,
    source_line,
    raw_record
from outcomes
where outcome = 'quarantined'
