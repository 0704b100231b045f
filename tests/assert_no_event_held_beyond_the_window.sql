-- A warning, not an error: an event that arrived more than late_window_days after it
-- happened is held back as late_beyond_window by an incremental build (its stream's
-- figures are already published). Returns the held events; dbt's summary counts the
-- warning (WARN=1) until a full refresh (`make run`) counts them.
{{ config(severity='warn') }}

select
    raw_row_number,
    event_id,
    event_type,
    event_date
from {{ ref('base_live__events') }}
where ingestion_reason = 'late_beyond_window'
