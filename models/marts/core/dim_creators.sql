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
        age_band
    from {{ ref('int_live__user_profiles') }}

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
    users.signup_date,
    users.country,
    creator_streams.first_stream_at,
    creator_streams.lifetime_streams,
    category_ranked.category as primary_category,
    cast(creator_streams.first_stream_at as date) as first_stream_date,
    users.user_id is not null as is_known_user,
    coalesce(users.age_band, 'unknown') as age_band
from creator_streams
left join users on creator_streams.creator_id = users.user_id
left join category_ranked
    on
        creator_streams.creator_id = category_ranked.creator_id
        and category_ranked.category_rank = 1
