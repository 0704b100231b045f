-- A table, not a view: it reads a raw file by a path relative to the project.
{{ config(materialized='table') }}

with

source as (

    select * from {{ source('live_raw', 'gift_catalog') }}

),

renamed as (

    select
        {{ clean_text('gift_id') }} as gift_id,
        {{ clean_text('gift_name') }} as gift_name,
        {{ try_cast(clean_text('coin_cost'), dbt.type_int()) }} as coin_cost
    from source

)

select * from renamed
