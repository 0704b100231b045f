-- A table, not a view: it reads a raw file, found and checked when the model runs (macros/raw_files.sql).
{{ config(materialized='table') }}

-- depends_on: {{ source('live_raw', 'users') }}

with

source as (

    select * from {{ live_raw_reader('users') }}

),

renamed as (

    select
        {{ clean_text('user_id') }} as user_id,
        {{ try_cast(clean_text('signup_date'), 'date') }} as signup_date,
        upper({{ clean_text('country') }}) as country,
        {{ try_cast(clean_text('birth_year'), dbt.type_int()) }} as birth_year
    from source

)

select * from renamed
