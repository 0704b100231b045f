{#
    What this build recomputes after the gate (macros/incremental_scope.sql): one row.
    decided_after          the rows the gate decided after this moment are new to some scoped model (the
                           oldest record of live_scope_watermarks); null: every row is (a first build, a
                           scoped model never built, or built on other reference tables)
    decided_up_to          the newest decided_at of the gate: the scoped models record it once built
    reference_fingerprint  of the reference tables the scoped models read: they record it once built
#}
{{ config(pre_hook="{{ live_scope_create_watermarks() }}") }}

{%- set fingerprint = live_reference_fingerprint([
    ref('stg_live__gift_catalog'), ref('stg_live__coin_prices'), ref('stg_live__ad_campaigns'),
    ref('stg_live__users')]) %}

with

gate as (

    select decided_at from {{ ref('base_live__events') }}

),

final as (

    select
        'build' as build_scope_id,
        {{ live_scope_decided_after(fingerprint) }} as decided_after,
        max(decided_at) as decided_up_to,
        {{ fingerprint }} as reference_fingerprint
    from gate

)

select * from final
