{#
    The events that name a reference row, checked against the reference tables:
    one row per clean gift_sent, gift_blocked (their gift_id against gift_catalog)
    and ad_impression (its campaign_id against ad_campaigns), with the quarantine
    reason when the id is unknown (unknown_gift_id, unknown_campaign_id), null
    when it is known.

    The ingestion gate reads only the raw log, so it cannot know the catalogues;
    this is where those two rules are decided. int_live__event_outcomes turns
    the reasons into the final verdict, and the models that price gifts or count
    impressions join the same catalogues, so an unknown id never reaches a fact.
#}
{{ config(**live_scoped_config('stream')) }}

with

gift_events as (

    select
        event_id,
        event_type,
        stream_id,
        gift_id
    from {{ ref('stg_live__gift_events') }}
    where {{ live_in_scope('stream') }} and event_type in ('gift_sent', 'gift_blocked')

),

ad_events as (

    select
        event_id,
        event_type,
        stream_id,
        campaign_id
    from {{ ref('stg_live__ad_events') }}
    where {{ live_in_scope('stream') }} and event_type = 'ad_impression'

),

gift_catalog as (

    select gift_id from {{ ref('stg_live__gift_catalog') }}

),

ad_campaigns as (

    select campaign_id from {{ ref('stg_live__ad_campaigns') }}

),

gift_checks as (

    select
        gift_events.event_id,
        gift_events.event_type,
        gift_events.stream_id,
        case when gift_catalog.gift_id is null then 'unknown_gift_id' end as quarantine_reason
    from gift_events
    left join gift_catalog on gift_events.gift_id = gift_catalog.gift_id

),

ad_checks as (

    select
        ad_events.event_id,
        ad_events.event_type,
        ad_events.stream_id,
        case when ad_campaigns.campaign_id is null then 'unknown_campaign_id' end as quarantine_reason
    from ad_events
    left join ad_campaigns on ad_events.campaign_id = ad_campaigns.campaign_id

),

final as (

    select * from gift_checks
    union all
    select * from ad_checks

)

select * from final
