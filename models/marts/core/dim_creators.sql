{#
    One row per creator (a user who started at least one stream), with their
    first stream, most streamed category and age band.
#}

with

streams as (

    select
        stream_id,
        creator_id,
        category,
        started_at
    from {{ ref('int_live__streams') }}

),

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

),

creator_streams as (

    select
        creator_id,
        min(started_at) as first_stream_at,
        count(*) as lifetime_streams
    from streams
    group by creator_id

),

category_ranked as (

    select
        creator_id,
        category,
        row_number() over (
            partition by creator_id
            order by count(*) desc, category
        ) as category_rank
    from streams
    group by creator_id, category

)

select
    creator_streams.creator_id,
    users.user_id is not null as is_known_user,
    users.signup_date,
    users.country,
    {{ age_band('users.birth_year', 'data_period.as_of_year') }} as age_band,
    creator_streams.first_stream_at,
    cast(creator_streams.first_stream_at as date) as first_stream_date,
    creator_streams.lifetime_streams,
    category_ranked.category as primary_category
from creator_streams
cross join data_period
left join users on creator_streams.creator_id = users.user_id
left join category_ranked
    on
        creator_streams.creator_id = category_ranked.creator_id
        and category_ranked.category_rank = 1
