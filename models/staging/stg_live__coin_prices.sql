-- A table, not a view: it reads a raw file by a path relative to the project.
{{ config(materialized='table') }}

with

source as (

    select * from {{ source('live_raw', 'coin_prices') }}

),

renamed as (

    select
        {{ try_cast(clean_text('valid_from'), 'date') }} as valid_from,
        {{ try_cast(clean_text('usd_per_coin'), 'decimal(18, 8)') }} as usd_per_coin
    from source

),

with_validity as (

    select
        valid_from,
        usd_per_coin,
        lead(valid_from) over (order by valid_from) as valid_to
    from renamed

)

select * from with_validity
