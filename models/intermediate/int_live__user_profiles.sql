{#
    One row per user of the reference table with an age band instead of the
    birth year (as of the year of the latest event): the one place the birth
    year is read, so no mart ever sees it.
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

data_period as (

    select as_of_year
    from {{ ref('int_live__data_period') }}

)

select
    users.user_id,
    users.signup_date,
    users.country,
    {{ age_band('users.birth_year', 'data_period.as_of_year') }} as age_band
from users
cross join data_period
