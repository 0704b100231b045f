-- A warning, not an error (docs/contract/events.md §Changes, 2026-12-06): a join with no source, or one the
-- contract does not list, is kept with traffic source `unknown` and counts like any
-- other join. Returns those joins per day and platform, so the build's summary shows
-- (WARN) that a producer sends no or unlisted sources; fct_ingestion_audit counts
-- them under the reason `unknown_join_source`.
{{ config(severity='warn') }}

select
    event_date,
    platform,
    count(*) as joins_with_unknown_source
from {{ ref('stg_live__presence_events') }}
where traffic_source = 'unknown'
group by event_date, platform
