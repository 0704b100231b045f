-- A table, not a view: it reads a raw file, found and checked when the model runs (macros/raw_files.sql).
{{ config(materialized='table') }}

-- depends_on: {{ source('live_raw', 'coin_prices') }}

with

source as (

    select * from {{ live_raw_reader('coin_prices') }}

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
