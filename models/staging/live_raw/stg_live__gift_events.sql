with

events as (

    {{ clean_events_of_family('gift') }}

),

parsed as (

    select
        {{ live_event_columns() }},
        user_id as viewer_id,
        {{ json_text('properties', 'gift_txn_id') }} as gift_txn_id,
        {{ json_text('properties', 'gift_id') }} as gift_id,
        {{ json_integer('properties', 'quantity') }} as quantity,
        {{ json_text('properties', 'reason') }} as block_reason
    from events

)

select * from parsed
