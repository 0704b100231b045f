-- Baseline: viewer sessions with per-stream peak concurrency, from the raw log, in one query.
set threads = __THREADS__;
set memory_limit = '__MEMORY_LIMIT__';

create or replace temp macro clean_text(x) as
    nullif(trim(cast(x as varchar), ' ' || chr(9) || chr(10) || chr(13)), '');
create or replace temp macro utc_timestamp(day, clock, sign, hours, minutes) as
    case when day != '' then
        try_cast(day || ' ' || clock as timestamp)
        - to_minutes(cast(
            (case sign when '-' then -1 else 1 end)
            * (coalesce(try_cast(nullif(hours, '') as int), 0) * 60
               + coalesce(try_cast(nullif(minutes, '') as int), 0)) as bigint))
    end;
create or replace temp macro is_number_at_least(x, low) as
    coalesce(try_cast(x as double) >= low and isfinite(try_cast(x as double)), false);
create or replace temp macro is_whole_between(x, low, high) as
    coalesce(
        try_cast(x as double) = floor(try_cast(x as double))
        and try_cast(try_cast(x as double) as bigint) >= low
        and try_cast(x as double) <= high,
        false);

create or replace table baseline_viewer_sessions as
with

raw_rows as (
    select
        row_number() over () as raw_row_number,
        clean_text(event_id) as event_id,
        lower(clean_text(event_type)) as event_type,
        regexp_extract(clean_text(event_at), '__ISO__', ['d', 't', 's', 'f', 'z', 'sign', 'hh', 'mm']) as e,
        regexp_extract(clean_text(received_at), '__ISO__', ['d', 't', 's', 'f', 'z', 'sign', 'hh', 'mm']) as r,
        clean_text(user_id) as user_id,
        clean_text(stream_id) as stream_id,
        case when json_valid(cast(properties as varchar)) then cast(properties as varchar) end as props
    from __RAW_EVENTS__
),

typed as (
    select
        raw_row_number,
        event_id,
        event_type,
        user_id,
        stream_id,
        utc_timestamp(e.d, e.t, e.sign, e.hh, e.mm) as event_at,
        utc_timestamp(r.d, r.t, r.sign, r.hh, r.mm) as received_at,
        coalesce(json_type(props) = 'OBJECT', false) as is_object,
        -- every property a rule reads, from one parse of the JSON
        list_transform(
            json_extract_string(props, [
                '$.title', '$.category', '$.end_reason', '$.notification_id', '$.creator_id', '$.source',
                '$.startup_ms', '$.rebuffer_ms', '$.played_ms', '$.comment_id', '$.text', '$.count',
                '$.channel', '$.gift_txn_id', '$.gift_id', '$.quantity', '$.reason', '$.impression_id',
                '$.campaign_id', '$.action', '$.target_user_id'
            ]),
            lambda value: nullif(value, '')
        ) as p
    from raw_rows
),

-- the properties by name (the list above, in its order)
with_properties as (
    select
        * exclude (p),
        p[1] as property_title,
        p[2] as property_category,
        p[3] as property_end_reason,
        p[4] as property_notification_id,
        p[5] as property_creator_id,
        p[6] as property_source,
        p[7] as property_startup_ms,
        p[8] as property_rebuffer_ms,
        p[9] as property_played_ms,
        p[10] as property_comment_id,
        p[11] as property_text,
        p[12] as property_count,
        p[13] as property_channel,
        p[14] as property_gift_txn_id,
        p[15] as property_gift_id,
        p[16] as property_quantity,
        p[17] as property_reason,
        p[18] as property_impression_id,
        p[19] as property_campaign_id,
        p[20] as property_action,
        p[21] as property_target_user_id
    from typed
),

checked as (
    select
        raw_row_number,
        event_id,
        event_type,
        user_id,
        stream_id,
        event_at,
        received_at,
        case event_type
            when 'stream_started' then stream_id
            when 'stream_ended' then stream_id
            when 'notification_sent' then property_notification_id
            when 'comment_posted' then property_comment_id
            when 'gift_sent' then property_gift_txn_id
            when 'ad_impression' then property_impression_id
        end as business_key,
        coalesce(
            event_id is not null
            and event_at is not null
            and received_at is not null
            and event_at <= received_at + interval 5 minute
            and user_id is not null
            and (stream_id is not null or event_type = 'notification_opt_out')
            and is_object
            and case event_type
                when 'stream_started' then property_title is not null and property_category is not null
                when 'stream_ended' then property_end_reason in ('creator_ended', 'crashed', 'banned')
                when 'notification_sent'
                    then property_notification_id is not null and property_creator_id is not null
                when 'notification_opened' then property_notification_id is not null
                when 'notification_opt_out' then property_creator_id is not null
                -- a missing or unlisted source is kept as 'unknown': the join counts (contract, 2026-12-06)
                when 'viewer_joined' then true
                when 'viewer_left' then true
                when 'playback_stats' then
                    is_number_at_least(property_startup_ms, 0)
                    and try_cast(property_startup_ms as double) <= 600000
                    and is_number_at_least(property_rebuffer_ms, 0)
                    and try_cast(property_rebuffer_ms as double) <= 86400000
                    and is_number_at_least(property_played_ms, 0)
                    and try_cast(property_played_ms as double) <= 86400000
                when 'comment_posted' then property_comment_id is not null and property_text is not null
                when 'creator_replied' then property_comment_id is not null and property_text is not null
                when 'like_sent' then is_whole_between(property_count, 1, 10000)
                when 'stream_shared' then property_channel is not null
                when 'creator_followed' then property_creator_id is not null
                when 'gift_sent' then
                    property_gift_txn_id is not null and property_gift_id is not null
                    and is_whole_between(property_quantity, 1, 10000)
                when 'gift_refunded' then property_gift_txn_id is not null
                when 'gift_blocked' then
                    property_gift_id is not null and is_whole_between(property_quantity, 1, 10000)
                    and property_reason in ('underage', 'spending_limit', 'payment_failed')
                when 'ad_impression'
                    then property_impression_id is not null and property_campaign_id is not null
                when 'ad_clicked' then property_impression_id is not null
                when 'stream_reported' then property_reason is not null
                when 'moderation_action' then
                    property_action in ('warn', 'mute', 'remove_viewer', 'end_stream')
                    and property_target_user_id is not null
                else false
            end,
            false
        ) as is_valid,
        -- the copy received first is the event; later copies are duplicates even when it is bad
        case
            when event_id is not null
                then row_number() over (partition by event_id order by received_at nulls last, raw_row_number)
            else 1
        end as delivery_number
    from with_properties
),

first_copies as (
    select
        *,
        case
            when business_key is not null
                then row_number() over (
                    partition by event_type, business_key order by event_at, received_at, raw_row_number
                )
            else 1
        end as business_key_rank
    from checked
    where delivery_number = 1 and is_valid
),

stream_starts as (
    select
        stream_id,
        event_at as started_at
    from first_copies
    where event_type = 'stream_started' and business_key_rank = 1
),

clean_events as materialized (
    select
        first_copies.event_id,
        first_copies.event_type,
        first_copies.event_at,
        first_copies.received_at,
        first_copies.user_id,
        first_copies.stream_id
    from first_copies
    left join stream_starts on first_copies.stream_id = stream_starts.stream_id
    where
        first_copies.business_key_rank = 1
        and (
            first_copies.event_type in ('stream_started', 'notification_opt_out')
            or stream_starts.stream_id is not null
        )
),

presence as (
    select
        stream_id,
        user_id as viewer_id,
        event_type = 'viewer_joined' as is_join,
        event_at,
        received_at,
        event_id,
        lag(event_type = 'viewer_joined') over (
            partition by stream_id, user_id
            order by event_at, event_type = 'viewer_joined', received_at, event_id
        ) as after_join
    from clean_events
    where event_type in ('viewer_joined', 'viewer_left')
),

-- a stream with no end event ends at its last clean event: an orphan leave (a leave with no open
-- session) is quarantined, so it is not one
last_seen as (
    select
        stream_id,
        max(event_at) as last_event_at
    from clean_events
    where
        stream_id is not null
        and event_id not in (select event_id from presence where not is_join and not coalesce(after_join, false))
    group by stream_id
),

streams as (
    select
        stream_starts.stream_id,
        stream_starts.started_at,
        greatest(
            stream_starts.started_at,
            coalesce(stream_ends.event_at, last_seen.last_event_at, stream_starts.started_at)
        ) as ended_at
    from stream_starts
    left join clean_events as stream_ends
        on stream_starts.stream_id = stream_ends.stream_id and stream_ends.event_type = 'stream_ended'
    left join last_seen on stream_starts.stream_id = last_seen.stream_id
),

-- session starts (a join after nothing or after a leave) and session ends (a leave after a join)
-- alternate per viewer and stream, so a start's end is the next of these rows
bounds as (
    select
        stream_id,
        viewer_id,
        is_join,
        event_at,
        lead(event_at) over (
            partition by stream_id, viewer_id
            order by event_at, is_join, received_at, event_id
        ) as next_event_at
    from presence
    where (is_join and not coalesce(after_join, false)) or (not is_join and after_join)
),

sessions as materialized (
    select
        bounds.stream_id,
        bounds.viewer_id,
        bounds.event_at as joined_at,
        bounds.next_event_at as left_at,
        least(greatest(bounds.event_at, streams.started_at), streams.ended_at) as started_at,
        greatest(
            least(coalesce(bounds.next_event_at, streams.ended_at), streams.ended_at),
            least(greatest(bounds.event_at, streams.started_at), streams.ended_at)
        ) as ended_at
    from bounds
    inner join streams on bounds.stream_id = streams.stream_id
    where
        bounds.is_join
        -- a session of no length once clipped to its stream is no viewing (docs/contract/events.md §Semantics)
        and least(coalesce(bounds.next_event_at, streams.ended_at), streams.ended_at)
        > least(greatest(bounds.event_at, streams.started_at), streams.ended_at)
),

deltas as (
    select stream_id, started_at as changed_at, 1 as delta from sessions
    union all
    select stream_id, ended_at as changed_at, -1 as delta from sessions
),

peaks as (
    select
        stream_id,
        max(open_sessions) as peak_concurrent_viewers
    from (
        select
            stream_id,
            sum(delta) over (
                partition by stream_id
                order by changed_at, delta
                rows between unbounded preceding and current row
            ) as open_sessions
        from deltas
    )
    group by stream_id
)

select
    sessions.stream_id,
    sessions.viewer_id,
    sessions.joined_at,
    sessions.left_at,
    sessions.started_at,
    sessions.ended_at,
    date_diff('millisecond', sessions.started_at, sessions.ended_at) / 60000.0 as watch_minutes,
    peaks.peak_concurrent_viewers
from sessions
inner join peaks on sessions.stream_id = peaks.stream_id;
