-- A table, not a view: it reads a raw file, found and checked when the model runs (macros/raw_files.sql).
{{ config(materialized='table') }}

-- depends_on: {{ source('live_raw', 'ad_campaigns') }}

with

source as (

    select * from {{ live_raw_reader('ad_campaigns') }}

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
