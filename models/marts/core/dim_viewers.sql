{#
    One row per viewer: every user of the reference table plus any id seen
    acting as a viewer in the events without a user record (is_known_user false).
    Age band as of the year of the latest event, never the birth year.
#}

with

users as (

    select
        user_id,
        signup_date,
        country,
        birth_year
    from {{ ref('stg_live__users') }}

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

data_period as (

    select as_of_year
    from {{ ref('int_live__data_period') }}

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
    users.user_id is not null as is_known_user,
    users.signup_date,
    users.country,
    {{ age_band('users.birth_year', 'data_period.as_of_year') }} as age_band,
    first_sessions.first_session_date,
    coalesce(first_sessions.lifetime_sessions, 0) as lifetime_sessions
from viewer_ids
cross join data_period
left join users on viewer_ids.viewer_id = users.user_id
left join first_sessions on viewer_ids.viewer_id = first_sessions.viewer_id
