{#
    Comment-to-reply pairing. A comment counts as replied when the stream's
    creator answered it (creator_replied with its comment_id) while the stream
    was live and not before the comment; latency is measured to the first such
    reply. Replies that match no comment stay clean events but pair with nothing.
#}
{{ config(**live_scoped_config('stream')) }}

with

chat as (

    select * from {{ ref('stg_live__chat_events') }}
    where {{ live_in_scope('stream') }}

),

streams as (

    select
        stream_id,
        creator_id,
        started_at,
        ended_at
    from {{ ref('int_live__streams') }}
    where {{ live_in_scope('stream') }}

),

comments as (

    select
        event_id,
        comment_id,
        stream_id,
        author_id as viewer_id,
        event_at as commented_at,
        is_late_arrival,
        platform,
        country,
        cast({{ dbt.length('message_text') }} as {{ dbt.type_bigint() }}) as message_length
    from chat
    where event_type = 'comment_posted'

),

replies as (

    select
        comment_id,
        stream_id,
        author_id as replier_id,
        event_at as replied_at
    from chat
    where event_type = 'creator_replied'

),

live_replies as (

    select
        comments.event_id as comment_event_id,
        min(replies.replied_at) as first_replied_at
    from comments
    inner join streams
        on comments.stream_id = streams.stream_id
    inner join replies
        on
            comments.comment_id = replies.comment_id
            and comments.stream_id = replies.stream_id
            and streams.creator_id = replies.replier_id
            and comments.commented_at <= replies.replied_at
            and streams.started_at <= replies.replied_at
            and streams.ended_at >= replies.replied_at
    group by comments.event_id

),

final as (

    select
        comments.comment_id,
        comments.event_id as comment_event_id,
        comments.stream_id,
        streams.creator_id,
        comments.viewer_id,
        comments.commented_at,
        cast(comments.commented_at as date) as commented_date,
        comments.is_late_arrival,
        comments.platform,
        comments.country,
        comments.message_length,
        live_replies.first_replied_at,
        live_replies.first_replied_at is not null as is_replied,
        {{ seconds_between('comments.commented_at', 'live_replies.first_replied_at') }} as reply_latency_seconds
    from comments
    inner join streams on comments.stream_id = streams.stream_id
    left join live_replies on comments.event_id = live_replies.comment_event_id

)

select * from final
