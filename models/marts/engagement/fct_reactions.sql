{# One row per like burst, share or follow, on the day it happened. #}
{{ config(**live_scoped_config('stream')) }}

with

reactions as (

    select
        event_id,
        event_type,
        event_at,
        event_date,
        stream_id,
        viewer_id,
        like_count,
        share_channel,
        followed_creator_id,
        platform,
        country
    from {{ ref('stg_live__reaction_events') }}
    where {{ live_in_scope('stream') }}

),

streams as (

    select
        stream_id,
        creator_id,
        category
    from {{ ref('int_live__streams') }}
    where {{ live_in_scope('stream') }}

)

select
    reactions.event_id as reaction_event_id,
    reactions.stream_id,
    streams.creator_id,
    streams.category,
    reactions.viewer_id,
    reactions.event_at,
    reactions.event_date,
    reactions.platform,
    reactions.country,
    reactions.share_channel,
    reactions.followed_creator_id,
    case reactions.event_type
        when 'like_sent' then 'like'
        when 'stream_shared' then 'share'
        when 'creator_followed' then 'follow'
    end as reaction_type,
    case when reactions.event_type = 'like_sent' then reactions.like_count else 0 end as likes
from reactions
inner join streams on reactions.stream_id = streams.stream_id
