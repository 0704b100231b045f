{#
    The streams whose rows a scoped model recomputes in this build (macros/incremental_scope.sql): every
    stream with a row the gate decided after int_live__build_scope.decided_after, and every stream tied
    to one of them by a link_key (a refund in another stream than its gift, a click than its impression,
    an open than its notification).
#}

with

build_scope as (

    select decided_after from {{ ref('int_live__build_scope') }}

),

gate as (

    select
        stream_id,
        link_key,
        decided_at
    from {{ ref('base_live__events') }}
    where stream_id is not null

),

changed_streams as (

    select distinct gate.stream_id
    from gate
    where coalesce(gate.decided_at > (select build_scope.decided_after from build_scope), true)

),

changed_links as (

    select distinct gate.link_key
    from gate
    where
        gate.link_key is not null
        and gate.stream_id in (select changed_streams.stream_id from changed_streams)

),

linked_streams as (

    select distinct gate.stream_id
    from gate
    where gate.link_key in (select changed_links.link_key from changed_links)

),

final as (

    select stream_id from changed_streams
    union
    select stream_id from linked_streams

)

select * from final
