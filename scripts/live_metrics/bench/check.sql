with
baseline as (select stream_id, viewer_id, started_at, ended_at from baseline_viewer_sessions),
mart as (select stream_id, viewer_id, started_at, ended_at from wh.marts.fct_viewer_sessions),
baseline_peaks as (select distinct stream_id, peak_concurrent_viewers as peak from baseline_viewer_sessions),
mart_peaks as (select stream_id, peak_concurrent_viewers as peak from wh.marts.fct_live_streams)
select
    (select count(*) from baseline_viewer_sessions),
    (select count(*) from wh.marts.fct_viewer_sessions),
    (select coalesce(sum(watch_minutes), 0) from baseline_viewer_sessions),
    (select coalesce(sum(watch_minutes), 0) from wh.marts.fct_viewer_sessions),
    (select count(*) from (select * from baseline except all select * from mart))
        + (select count(*) from (select * from mart except all select * from baseline)),
    (select count(*) from mart_peaks),
    (select count(*) from baseline_peaks full join mart_peaks on baseline_peaks.stream_id = mart_peaks.stream_id
        where coalesce(baseline_peaks.peak, 0) != coalesce(mart_peaks.peak, 0))
