{#
    The ingestion gate: one row per raw record (base_live__raw_events), typed, with its outcome.

    outcome  clean | duplicate | quarantined
    reason   null for clean rows; `duplicate_delivery` for a repeated delivery, or
             `superseded_by_bad_copy` when the repeat was fine but the copy received
             first (which wins) was quarantined; otherwise the first rule the row
             breaks, starting with the records the CSV reader could not parse
             (see the reason-code seed).

    Event types match case-insensitively and trimmed (`COMMENT_POSTED`, a tab-padded
    type); every text column is trimmed of spaces, tabs and line breaks.

    The gate reads only the raw log. Rules that need the meaning of several
    events (orphan leaves, refunds of unknown transactions) or the reference
    tables (unknown gift and campaign ids, int_live__reference_checks) are
    decided later, in intermediate models; the final word on every row is
    int_live__event_outcomes.
#}
{{ config(materialized='table') }}

{%- set contract = live_event_contract() %}
{%- set stream_types = [] %}
{%- for event_type, rule in contract.items() if rule.needs_stream %}
    {%- do stream_types.append("'" ~ event_type ~ "'") %}
{%- endfor %}

with

raw_events as (

    select * from {{ ref('base_live__raw_events') }}

),

typed as (

    select
        raw_row_number,
        source_line,
        read_error,
        raw_record,
        {{ clean_text('event_id') }} as event_id,
        lower({{ clean_text('event_type') }}) as event_type,
        {{ parse_utc_timestamp(clean_text('event_at')) }} as event_at,
        {{ parse_utc_timestamp(clean_text('received_at')) }} as received_at,
        {{ clean_text('user_id') }} as user_id,
        {{ clean_text('stream_id') }} as stream_id,
        cast(properties as {{ dbt.type_string() }}) as properties,
        lower({{ clean_text('platform') }}) as platform,
        {{ clean_text('app_version') }} as app_version,
        upper({{ clean_text('country') }}) as country,
        cast(event_at as {{ dbt.type_string() }}) as raw_event_at,
        cast(received_at as {{ dbt.type_string() }}) as raw_received_at
    from raw_events

),

with_keys as (

    select
        *,
        {{ json_is_object('properties') }} as is_properties_object,
        case event_type
            {%- for event_type, rule in contract.items() if rule.business_key is defined %}
                when '{{ event_type }}'
                    then
                        {%- if rule.business_key == 'stream_id' %} stream_id
                {%- else %} {{ json_text('properties', rule.business_key) }}
                {%- endif %}
            {%- endfor %}
        end as business_key,
        case
            when event_id is not null
                then row_number() over (
                        partition by event_id
                        order by received_at nulls last, raw_row_number
                    )
            else 1
        end as delivery_number
    from typed

),

row_checked as (

    select
        with_keys.*,
        case
            when with_keys.read_error is not null then with_keys.read_error
            when with_keys.event_id is null then 'missing_event_id'
            when with_keys.event_type is null
                or with_keys.event_type not in ({{ live_event_types() }})
                then 'unknown_event_type'
            when with_keys.event_at is null then 'unparseable_event_at'
            when with_keys.received_at is null then 'unparseable_received_at'
            when with_keys.event_at > {{ dbt.dateadd('minute', 5, 'with_keys.received_at') }}
                then 'future_event_at'
            when with_keys.user_id is null then 'missing_user_id'
            when with_keys.stream_id is null
                and with_keys.event_type in ({{ stream_types | join(', ') }})
                then 'missing_stream_id'
            when not with_keys.is_properties_object then 'properties_not_object'
            {%- for event_type, rule in contract.items() if rule.required %}
                when with_keys.event_type = '{{ event_type }}' and (
                        {%- for field in rule.required %}
                            {{ json_text('with_keys.properties', field) }} is null
                            {%- if not loop.last %} or {% endif %}
                        {%- endfor %}
                    ) then 'missing_required_property'
            {%- endfor %}
            {%- for event_type, rule in contract.items() %}
                {%- for field in rule.get('positive_int', []) %}
                    when with_keys.event_type = '{{ event_type }}'
                        and {{ json_integer('with_keys.properties', field) }} is null
                        then 'invalid_property_value'
                    when with_keys.event_type = '{{ event_type }}'
                        and {{ json_integer('with_keys.properties', field) }} < 1
                        then 'non_positive_quantity'
                {%- endfor %}
                {%- for field in rule.get('non_negative', []) %}
                    {%- set as_number = try_cast(json_text('with_keys.properties', field), 'double') %}
                    when with_keys.event_type = '{{ event_type }}'
                        and coalesce({{ as_number }} < 0 or not {{ is_finite(as_number) }}, true)
                        then 'invalid_property_value'
                {%- endfor %}
                {%- for field, bound in rule.get('at_most', {}).items() %}
                    when with_keys.event_type = '{{ event_type }}'
                        and {{ try_cast(json_text('with_keys.properties', field), 'double') }} > {{ bound }}
                        then 'implausible_value'
                {%- endfor %}
                {%- for field, values in rule.get('allowed', {}).items() %}
                    when with_keys.event_type = '{{ event_type }}'
                        and {{ json_text('with_keys.properties', field) }}
                        not in ('{{ values | join("', '") }}')
                        then 'invalid_property_value'
                {%- endfor %}
            {%- endfor %}
        end as row_reason
    from with_keys

),

key_ranked as (

    select
        *,
        {#- the verdict on the copy received first, for the later copies of an event -#}
        max(case when delivery_number = 1 then row_reason end) over (
            partition by event_id
        ) as first_copy_reason,
        case
            when business_key is not null and delivery_number = 1 and row_reason is null
                then row_number() over (
                        partition by
                            event_type,
                            business_key,
                            (business_key is not null and delivery_number = 1 and row_reason is null)
                        order by event_at, received_at, raw_row_number
                    )
        end as business_key_rank
    from row_checked

),

started_streams as (

    select stream_id
    from key_ranked
    where
        event_type = 'stream_started'
        and delivery_number = 1
        and row_reason is null
        and business_key_rank = 1

),

classified as (

    select
        key_ranked.*,
        case
            when key_ranked.delivery_number > 1
                and key_ranked.row_reason is null
                and key_ranked.first_copy_reason is not null
                then 'superseded_by_bad_copy'
            when key_ranked.delivery_number > 1 then 'duplicate_delivery'
            when key_ranked.row_reason is not null then key_ranked.row_reason
            when key_ranked.business_key_rank > 1 then 'duplicate_business_key'
            when key_ranked.stream_id is not null
                and key_ranked.event_type != 'stream_started'
                and key_ranked.event_type in ({{ stream_types | join(', ') }})
                and started_streams.stream_id is null
                then 'stream_not_started'
        end as ingestion_reason
    from key_ranked
    left join started_streams
        on key_ranked.stream_id = started_streams.stream_id

),

final as (

    select
        raw_row_number,
        source_line,
        raw_record,
        event_id,
        event_type,
        event_at,
        cast(event_at as date) as event_date,
        received_at,
        user_id,
        stream_id,
        properties,
        platform,
        app_version,
        country,
        delivery_number,
        ingestion_reason,
        raw_event_at,
        raw_received_at,
        coalesce(cast(received_at as date) > cast(event_at as date), false) as is_late_arrival,
        case
            when ingestion_reason is null then 'clean'
            when ingestion_reason in ('duplicate_delivery', 'superseded_by_bad_copy') then 'duplicate'
            else 'quarantined'
        end as ingestion_outcome
    from classified

)

select * from final
