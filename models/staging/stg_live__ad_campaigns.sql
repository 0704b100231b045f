-- A table, not a view: it reads a raw file by a path relative to the project.
{{ config(materialized='table') }}

with

source as (

    select * from {{ source('live_raw', 'ad_campaigns') }}

),

renamed as (

    select
        {{ clean_text('campaign_id') }} as campaign_id,
        {{ clean_text('advertiser_id') }} as advertiser_id,
        {{ clean_text('advertiser_name') }} as advertiser_name,
        {{ try_cast(clean_text('cpm_usd'), 'decimal(18, 6)') }} as cpm_usd
    from source

)

select * from renamed
