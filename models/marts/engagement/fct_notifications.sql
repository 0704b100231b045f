{#
    One row per live notification sent: whether the recipient opened it, and
    whether they joined that creator's stream within one hour of it being sent.

    Incremental: a build recomputes the notifications sent in the scope's streams, and every one sent
    from the day before the scope's first day on (a join in another stream of the creator, within the
    hour, counts); their opens may sit in other streams (live_in_linked_scope).
#}
{{ config(**live_scoped_config('stream_or_days_from', 'sent_date', 1)) }}

with

notification_events as (

    select
        event_id,
        event_type,
        event_at,
        event_date,
        notification_id,
        recipient_id,
        creator_id,
        stream_id,
        platform,
        country
    from {{ ref('stg_live__notification_events') }}
    where
        {{ live_in_linked_scope() }}
        or {{ live_in_scope('days_from', 'event_date', 1) }}

),

sessions as (

    select
        viewer_id,
        creator_id,
        joined_at
    from {{ ref('int_live__viewer_sessions') }}
    {%- if is_incremental() %}
        -- the sessions that can follow one of the notifications recomputed
        where started_date >= (select min(notification_events.event_date) from notification_events)
    {%- endif %}

),

sent as (

    select
        event_id,
        notification_id,
        recipient_id,
        creator_id,
        stream_id,
        event_at as sent_at,
        event_date as sent_date,
        platform,
        country
    from notification_events
    where
        event_type = 'notification_sent'
        and {{ live_in_scope('stream_or_days_from', 'event_date', 1) }}

),

opens as (

    select
        notification_id,
        min(event_at) as opened_at
    from notification_events
    where event_type = 'notification_opened'
    group by notification_id

),

joins_within_hour as (

    select
        sent.notification_id,
        min(sessions.joined_at) as joined_at
    from sent
    inner join sessions
        on
            sent.recipient_id = sessions.viewer_id
            and sent.creator_id = sessions.creator_id
            and sent.sent_at <= sessions.joined_at
            and sessions.joined_at <= {{ dbt.dateadd('hour', 1, 'sent.sent_at') }}
    group by sent.notification_id

)

select
    sent.notification_id,
    sent.event_id as notification_event_id,
    sent.recipient_id,
    sent.creator_id,
    sent.stream_id,
    sent.sent_at,
    sent.sent_date,
    sent.platform,
    sent.country,
    opens.opened_at,
    joins_within_hour.joined_at,
    opens.opened_at is not null as is_opened,
    joins_within_hour.joined_at is not null as is_joined_within_hour
from sent
left join opens on sent.notification_id = opens.notification_id
left join joins_within_hour on sent.notification_id = joins_within_hour.notification_id
