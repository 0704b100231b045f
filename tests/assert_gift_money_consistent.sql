-- Gift money agrees between fct_gifts and the facts that aggregate it:
-- per stream with fct_live_streams, and in total with fct_viewer_daily.

with

gifts_by_stream as (

    select
        stream_id,
        sum(sent_usd) as sent_usd,
        sum(refunded_usd) as refunded_usd,
        sum(sent_coins) as sent_coins,
        sum(diamonds) as diamonds
    from {{ ref('fct_gifts') }}
    group by stream_id

),

stream_mismatches as (

    select
        'fct_live_streams ' || streams.stream_id as place,
        streams.gift_usd as reported_usd,
        coalesce(gifts_by_stream.sent_usd, 0) as gift_usd
    from {{ ref('fct_live_streams') }} as streams
    left join gifts_by_stream on streams.stream_id = gifts_by_stream.stream_id
    where
        streams.gift_usd != coalesce(gifts_by_stream.sent_usd, 0)
        or streams.refunded_usd != coalesce(gifts_by_stream.refunded_usd, 0)
        or streams.gift_coins != coalesce(gifts_by_stream.sent_coins, 0)
        or streams.diamonds != coalesce(gifts_by_stream.diamonds, 0)

),

viewer_daily_total as (

    select
        sum(gift_usd) as gift_usd,
        sum(refunded_usd) as refunded_usd
    from {{ ref('fct_viewer_daily') }}

),

gifts_total as (

    select
        sum(sent_usd) as gift_usd,
        sum(refunded_usd) as refunded_usd
    from {{ ref('fct_gifts') }}

),

total_mismatch as (

    select
        'fct_viewer_daily total' as place,
        viewer_daily_total.gift_usd as reported_usd,
        gifts_total.gift_usd
    from viewer_daily_total
    cross join gifts_total
    where
        coalesce(viewer_daily_total.gift_usd, 0) != coalesce(gifts_total.gift_usd, 0)
        or coalesce(viewer_daily_total.refunded_usd, 0) != coalesce(gifts_total.refunded_usd, 0)

)

select * from stream_mismatches
union all
select * from total_mismatch
