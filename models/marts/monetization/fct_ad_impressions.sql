{#
    One row per ad impression, with its campaign, the revenue it earned
    (cpm_usd / 1000) and whether it was clicked (a click counts once per
    impression, however many click events arrive).

    Incremental by stream: a click may sit in another stream than its impression, so a build reads
    the ad events tied by impression_id to the scope's streams (live_in_linked_scope).
#}
{{ config(**live_scoped_config('stream')) }}

with

ad_events as (

    select
        event_id,
        event_type,
        event_at,
        event_date,
        stream_id,
        viewer_id,
        impression_id,
        campaign_id,
        platform,
        country
    from {{ ref('stg_live__ad_events') }}
    where {{ live_in_linked_scope() }}

),

campaigns as (

    select
        campaign_id,
        advertiser_id,
        advertiser_name,
        cpm_usd
    from {{ ref('stg_live__ad_campaigns') }}

),

streams as (

    select
        stream_id,
        creator_id,
        category
    from {{ ref('int_live__streams') }}
    where {{ live_in_scope('stream') }}

),

impressions as (

    select
        event_id,
        impression_id,
        campaign_id,
        stream_id,
        viewer_id,
        event_at,
        event_date,
        platform,
        country
    from ad_events
    where event_type = 'ad_impression' and {{ live_in_scope('stream') }}

),

clicks as (

    select
        impression_id,
        min(event_at) as first_clicked_at,
        count(*) as click_events
    from ad_events
    where event_type = 'ad_clicked'
    group by impression_id

)

select
    impressions.impression_id,
    impressions.event_id as impression_event_id,
    impressions.campaign_id,
    campaigns.advertiser_id,
    campaigns.advertiser_name,
    impressions.stream_id,
    streams.creator_id,
    streams.category,
    impressions.viewer_id,
    impressions.event_at as shown_at,
    impressions.event_date as shown_date,
    impressions.platform,
    impressions.country,
    cast(campaigns.cpm_usd / 1000 as decimal(18, 6)) as revenue_usd,
    clicks.first_clicked_at,
    clicks.impression_id is not null as is_clicked,
    coalesce(clicks.click_events, 0) as click_events
from impressions
inner join campaigns on impressions.campaign_id = campaigns.campaign_id
inner join streams on impressions.stream_id = streams.stream_id
left join clicks on impressions.impression_id = clicks.impression_id
