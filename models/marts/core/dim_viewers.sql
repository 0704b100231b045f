{#
    One row per viewer: every user of the reference table plus any id seen
    as a viewer in a clean event (the actor of a viewer action, the recipient of
    a notification) without a user record: is_known_user false, profile
    attributes unknown. Nothing in the contract ties events to the users table,
    so every viewer id of every fact is here. Age band from
    int_live__user_profiles, never the birth year.
#}

with

users as (

    select
        user_id,
        signup_date,
        country,
        age_band
    from {{ ref('int_live__user_profiles') }}

),

sessions as (

    select
        viewer_id,
        started_date
    from {{ ref('int_live__viewer_sessions') }}

),

viewer_events as (

    select user_id as viewer_id
    from {{ ref('base_live__events') }}
    where
        ingestion_outcome = 'clean'
        and event_type in (
            {{ live_event_types('presence') }}, {{ live_event_types('playback') }},
            {{ live_event_types('notification') }}, {{ live_event_types('reaction') }},
            {{ live_event_types('gift') }}, {{ live_event_types('ad') }},
            'comment_posted', 'stream_reported'
        )

),

first_sessions as (

    select
        viewer_id,
        min(started_date) as first_session_date,
        count(*) as lifetime_sessions
    from sessions
    group by viewer_id

),

viewer_ids as (

    select user_id as viewer_id from users
    union
    select viewer_id from viewer_events

)

select
    viewer_ids.viewer_id,
    users.signup_date,
    users.country,
    first_sessions.first_session_date,
    users.user_id is not null as is_known_user,
    coalesce(users.age_band, 'unknown') as age_band,
    coalesce(first_sessions.lifetime_sessions, 0) as lifetime_sessions
from viewer_ids
left join users on viewer_ids.viewer_id = users.user_id
left join first_sessions on viewer_ids.viewer_id = first_sessions.viewer_id
