-- Every clean event the audit counts lands in a fact: for each event type with
-- an event-level home, the audit's clean count equals what the facts hold.
-- (Each clean viewer_joined opens a session or is a reconnect; each clean
-- viewer_left closes a session.) Returns the types that disagree.

with

audit as (

    select
        event_type,
        sum(row_count) as clean_rows
    from {{ ref('fct_ingestion_audit') }}
    where outcome = 'clean'
    group by event_type

),

facts as (

    select
        'stream_started' as event_type,
        count(*) as fact_rows
    from {{ ref('fct_live_streams') }}
    union all
    select
        'viewer_joined' as event_type,
        count(*) + sum(reconnects) as fact_rows
    from {{ ref('fct_viewer_sessions') }}
    union all
    select
        'viewer_left' as event_type,
        count(*) as fact_rows
    from {{ ref('fct_viewer_sessions') }}
    where end_kind = 'viewer_left'
    union all
    select
        'notification_sent' as event_type,
        count(*) as fact_rows
    from {{ ref('fct_notifications') }}
    union all
    select
        'comment_posted' as event_type,
        count(*) as fact_rows
    from {{ ref('fct_comments') }}
    union all
    select
        'playback_stats' as event_type,
        count(*) as fact_rows
    from {{ ref('fct_playback_stats') }}
    union all
    select
        'gift_sent' as event_type,
        count(*) as fact_rows
    from {{ ref('fct_gifts') }}
    where gift_event_type = 'sent'
    union all
    select
        'gift_refunded' as event_type,
        count(*) as fact_rows
    from {{ ref('fct_gifts') }}
    where gift_event_type = 'refunded'
    union all
    select
        'gift_blocked' as event_type,
        count(*) as fact_rows
    from {{ ref('fct_gifts') }}
    where gift_event_type = 'blocked'
    union all
    select
        'ad_impression' as event_type,
        count(*) as fact_rows
    from {{ ref('fct_ad_impressions') }}
    union all
    select
        'stream_reported' as event_type,
        count(*) as fact_rows
    from {{ ref('fct_moderation_events') }}
    where moderation_event_kind = 'report'
    union all
    select
        'moderation_action' as event_type,
        count(*) as fact_rows
    from {{ ref('fct_moderation_events') }}
    where moderation_event_kind = 'action'
    union all
    select
        'like_sent' as event_type,
        count(*) as fact_rows
    from {{ ref('fct_reactions') }}
    where reaction_type = 'like'
    union all
    select
        'stream_shared' as event_type,
        count(*) as fact_rows
    from {{ ref('fct_reactions') }}
    where reaction_type = 'share'
    union all
    select
        'creator_followed' as event_type,
        count(*) as fact_rows
    from {{ ref('fct_reactions') }}
    where reaction_type = 'follow'

)

select
    facts.event_type,
    facts.fact_rows,
    coalesce(audit.clean_rows, 0) as clean_rows
from facts
left join audit on facts.event_type = audit.event_type
where coalesce(audit.clean_rows, 0) != coalesce(facts.fact_rows, 0)
