-- A table, not a view: it reads a raw file, found and checked when the model runs (macros/raw_files.sql).
{{ config(materialized='table') }}

-- depends_on: {{ source('live_raw', 'gift_catalog') }}

with

source as (

    select * from {{ live_raw_reader('gift_catalog') }}

),

renamed as (

    select
        {{ clean_text('gift_id') }} as gift_id,
        {{ clean_text('gift_name') }} as gift_name,
        {{ try_cast(clean_text('coin_cost'), dbt.type_int()) }} as coin_cost
    from source

)

select * from renamed
