-- Every clean event the audit counts lands in a fact: for each event type with
-- an event-level home, the audit's clean count equals what the facts hold.
-- (Each clean viewer_joined opens a session or is a reconnect; each clean
-- viewer_left closes a session. The joins and leaves of a span that is no viewing,
-- counted by the audit under `not_a_viewing`, have no fact: they are left out of
-- both sides.) Returns the types that disagree.

{%- set homes = [
    ('stream_started', 'fct_live_streams', 'count(*)', 'true'),
    ('viewer_joined', 'fct_viewer_sessions', 'count(*) + sum(reconnects)', 'true'),
    ('viewer_left', 'fct_viewer_sessions', 'count(*)', "end_kind = 'viewer_left'"),
    ('notification_sent', 'fct_notifications', 'count(*)', 'true'),
    ('comment_posted', 'fct_comments', 'count(*)', 'true'),
    ('playback_stats', 'fct_playback_stats', 'count(*)', 'true'),
    ('like_sent', 'fct_reactions', 'count(*)', "reaction_type = 'like'"),
    ('stream_shared', 'fct_reactions', 'count(*)', "reaction_type = 'share'"),
    ('creator_followed', 'fct_reactions', 'count(*)', "reaction_type = 'follow'"),
    ('gift_sent', 'fct_gifts', 'count(*)', "gift_event_type = 'sent'"),
    ('gift_refunded', 'fct_gifts', 'count(*)', "gift_event_type = 'refunded'"),
    ('gift_blocked', 'fct_gifts', 'count(*)', "gift_event_type = 'blocked'"),
    ('ad_impression', 'fct_ad_impressions', 'count(*)', 'true'),
    ('stream_reported', 'fct_moderation_events', 'count(*)', "moderation_event_kind = 'report'"),
    ('moderation_action', 'fct_moderation_events', 'count(*)', "moderation_event_kind = 'action'"),
] %}

with

audit as (

    select
        event_type,
        sum(row_count) as clean_rows
    from {{ ref('fct_ingestion_audit') }}
    where outcome = 'clean' and reason != 'not_a_viewing'
    group by event_type

),

facts as (
    {%- for event_type, model, rows, condition in homes %}

        select
            '{{ event_type }}' as event_type,
            {{ rows }} as fact_rows
        from {{ ref(model) }}
        where {{ condition }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

)

select
    facts.event_type,
    facts.fact_rows,
    coalesce(audit.clean_rows, 0) as clean_rows
from facts
left join audit on facts.event_type = audit.event_type
where coalesce(audit.clean_rows, 0) != coalesce(facts.fact_rows, 0)
