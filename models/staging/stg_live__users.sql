-- A table, not a view: it reads a raw file by a path relative to the project.
{{ config(materialized='table') }}

with

source as (

    select * from {{ source('live_raw', 'users') }}

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
