{#
    One row per viewer: every user of the reference table plus any id seen
    acting as a viewer in the events without a user record (is_known_user false).
    Age band from int_live__user_profiles, never the birth year.
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
    from {{ ref('fct_viewer_sessions') }}

),

viewer_activity as (

    select
        viewer_id,
        activity_date
    from {{ ref('fct_viewer_daily') }}

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
    select viewer_id from viewer_activity

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
