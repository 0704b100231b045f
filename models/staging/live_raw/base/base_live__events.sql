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

    Incremental: a build reads only the landed rows it has not seen (a `load_id` not in
    the table yet). Their row rules need only themselves; the rules across rows are
    settled against what is already here:
    - a new copy of an event_id already here is a later delivery (drops land in the order
      received), and the verdict on the copy received first stands;
    - the rows already here that share a stream or a business key with a new row are
      decided again with it (a late stream_started lets the stream's events in; a late
      event with the same comment_id but an earlier event_at becomes the one kept), and
      replace their old versions (delete+insert on raw_row_number);
    - a new row that would be clean but happened before the window (the earliest new
      drop's day minus the `late_window_days` var, 3 by default) is held back as
      `late_beyond_window`: the build warns (live_warn_late_beyond_window) and a full
      refresh counts it. Within the window the result equals a full refresh, row for row.
    A full refresh (or the first build) decides every row with the same code, nothing
    being here yet.
#}
{{ config(
    materialized='incremental',
    incremental_strategy=live_rewrite_strategy(),
    unique_key='raw_row_number',
    partition_by=live_rewrite_partition_by('drop_date'),
    on_schema_change='fail',
    pre_hook="{{ live_gate_forget_replaced_loads() }}",
    post_hook="{{ live_warn_late_beyond_window() }}"
) }}

{#-
    What the decisions across rows read (the windows work on these narrow rows only; the other columns
    join back at the end, by raw_row_number), and what the gate keeps to decide a row again later.
-#}
{%- set decision_columns = [
    'raw_row_number', 'event_id', 'event_type', 'event_at', 'received_at', 'stream_id', 'drop_date',
    'business_key', 'link_key', 'row_reason', 'delivery_number', 'first_copy_reason'] %}
{%- set carried_columns = [
    'source_line', 'raw_record', 'user_id', 'properties', 'platform', 'app_version', 'country', 'raw_event_at',
    'raw_received_at', 'load_id'] %}


with

raw_events as (

    select * from {{ ref('base_live__raw_events') }}
    {%- if is_incremental() %}
        where load_id not in (select distinct load_id from {{ this }})
    {%- endif %}

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
        cast(received_at as {{ dbt.type_string() }}) as raw_received_at,
        drop_date,
        load_id
    from raw_events

),

with_properties as (

    select
        *,
        {%- for field, text in json_texts('properties', live_rule_properties()).items() %}
            {{ text }} as property__{{ field }},
        {%- endfor %}
        {{ json_is_object('properties') }} as is_properties_object
    from typed

),

with_keys as (

    select
        *,
        {{ live_business_key() }} as business_key,
        {{ live_link_key() }} as link_key
    from with_properties

),

{# The row rules (macros/live_event_contract.sql): the first one a row breaks is its reason. #}
row_checked as (

    select
        with_keys.*,
        {{ live_row_reason('with_keys') }} as row_reason
    from with_keys

),

{# The new rows, narrow: what the decisions across rows read. #}
row_decisions as (

    select
        raw_row_number,
        event_id,
        event_type,
        event_at,
        received_at,
        stream_id,
        drop_date,
        business_key,
        link_key,
        row_reason,
        {#- drops first: a later drop is a later delivery, whatever its received_at says #}
        case
            when event_id is not null
                then row_number() over (
                        partition by event_id
                        order by drop_date nulls first, received_at nulls last, raw_row_number
                    )
            else 1
        end as new_copy_number
    from row_checked

),

{#
    What earlier builds decided that bears on the new rows: copies of their event_ids, and the
    day before which a new event is late beyond the window. A full build has no earlier rows:
    it reads none of the CTEs about them (Spark analyses a CTE again at every reference).
#}
earlier_copies as (

    {% if is_incremental() -%}
        select
            earlier.event_id,
            count(*) as copies,
            max(case when earlier.delivery_number = 1 then earlier.row_reason end) as first_copy_reason
        from {{ this }} as earlier
        where earlier.event_id in (select typed.event_id from typed)
        group by earlier.event_id
    {%- else -%}
        select
            cast(null as {{ dbt.type_string() }}) as event_id,
            cast(null as {{ dbt.type_bigint() }}) as copies,
            cast(null as {{ dbt.type_string() }}) as first_copy_reason
        where false
    {%- endif %}

),

window_start as (

    {% if is_incremental() -%}
        select
            {{ dbt.dateadd('day', -1 * var('late_window_days', 3), 'min(raw_events.drop_date)') }} as first_day
        from raw_events
    {%- else -%}
        select cast(null as date) as first_day
    {%- endif %}

),

new_rows as (

    select
        row_decisions.*,
        true as is_decided_here,
        case
            when row_decisions.event_id is null then 1
            else coalesce(earlier_copies.copies, 0) + row_decisions.new_copy_number
        end as delivery_number,
        -- the verdict on the copy received first, for the later copies of an event
        case
            when earlier_copies.event_id is not null then earlier_copies.first_copy_reason
            else max(case when row_decisions.new_copy_number = 1 then row_decisions.row_reason end) over (
                    partition by row_decisions.event_id
                )
        end as first_copy_reason,
        coalesce(
            earlier_copies.event_id is null
            and row_decisions.new_copy_number = 1
            and row_decisions.row_reason is null
            and cast(row_decisions.event_at as date) < (select window_start.first_day from window_start),
            false
        ) as is_late_beyond_window
    from row_decisions
    left join earlier_copies
        on row_decisions.event_id = earlier_copies.event_id

),

{%- if is_incremental() %}

{# Rows already here whose verdict the new rows can change: same stream or business key. #}
new_keys as (

    select distinct
        with_keys.event_type,
        with_keys.business_key
    from with_keys
    where with_keys.business_key is not null

),

key_streams as (

    select distinct earlier.stream_id
    from {{ this }} as earlier
    inner join new_keys
        on
            earlier.event_type = new_keys.event_type
            and earlier.business_key = new_keys.business_key
    where earlier.stream_id is not null

),

affected_streams as (

    select typed.stream_id from typed
    where typed.stream_id is not null
    union
    select key_streams.stream_id from key_streams

),

{# The rows already here whose verdict the new rows can change. #}
revisited as (

    select earlier.raw_row_number
    from {{ this }} as earlier
    where
        earlier.stream_id in (select affected_streams.stream_id from affected_streams)
        or exists (
            select 1
            from new_keys
            where
                earlier.event_type = new_keys.event_type
                and earlier.business_key = new_keys.business_key
        )

),

{# Every business key of the rows decided here: all the rows holding one take part in its ranking. #}
ranked_keys as (

    select
        new_keys.event_type,
        new_keys.business_key
    from new_keys
    union
    select
        earlier.event_type,
        earlier.business_key
    from {{ this }} as earlier
    where
        earlier.business_key is not null
        and earlier.raw_row_number in (select revisited.raw_row_number from revisited)

),

{# The rows already here that this build reads: those it decides again, and the other holders of their keys. #}
earlier_read as (

    select
        {%- for column in decision_columns %}
            earlier.{{ column }},
        {%- endfor %}
        coalesce(earlier.ingestion_reason = 'late_beyond_window', false) as is_late_beyond_window,
        earlier.raw_row_number in (select revisited.raw_row_number from revisited) as is_decided_here
    from {{ this }} as earlier
    where
        earlier.raw_row_number in (select revisited.raw_row_number from revisited)
        or exists (
            select 1
            from ranked_keys
            where
                earlier.event_type = ranked_keys.event_type
                and earlier.business_key = ranked_keys.business_key
        )

),
{%- endif %}

candidates as (

    select
        {%- for column in decision_columns %}
            new_rows.{{ column }},
        {%- endfor %}
        new_rows.is_late_beyond_window,
        new_rows.is_decided_here
    from new_rows
    {%- if is_incremental() %}
        union all
        select * from earlier_read
    {%- endif %}

),

{# The rows that can hold a business key: first copies that pass every row rule. #}
key_candidates as (

    select
        *,
        coalesce(
            business_key is not null and delivery_number = 1 and row_reason is null and not is_late_beyond_window,
            false
        ) as holds_business_key
    from candidates

),

key_ranked as (

    select
        *,
        case
            when holds_business_key
                then row_number() over (
                        partition by event_type, business_key, holds_business_key
                        order by event_at, received_at, raw_row_number
                    )
        end as business_key_rank
    from key_candidates

),

{# Whether the row's stream has a start that counts (a window: one read of key_ranked, not a self-join). #}
with_stream_start as (

    select
        *,
        coalesce(max(
            case
                when event_type = 'stream_started'
                    and delivery_number = 1
                    and row_reason is null
                    and not is_late_beyond_window
                    and business_key_rank = 1
                    then 1
            end
        ) over (partition by stream_id), 0) = 1 as has_stream_start
    from key_ranked

),

classified as (

    select
        with_stream_start.*,
        case
            when with_stream_start.delivery_number > 1
                and with_stream_start.row_reason is null
                and with_stream_start.first_copy_reason is not null
                then 'superseded_by_bad_copy'
            when with_stream_start.delivery_number > 1 then 'duplicate_delivery'
            when with_stream_start.row_reason is not null then with_stream_start.row_reason
            when with_stream_start.is_late_beyond_window then 'late_beyond_window'
            when with_stream_start.business_key_rank > 1 then 'duplicate_business_key'
            when with_stream_start.stream_id is not null
                and with_stream_start.event_type != 'stream_started'
                and with_stream_start.event_type in ({{ live_event_types(needs_stream=true) }})
                and not with_stream_start.has_stream_start
                then 'stream_not_started'
        end as ingestion_reason
    from with_stream_start
    where with_stream_start.is_decided_here

),

{# The other columns of the rows decided here: the new rows' and, for those decided again, the ones kept. #}
carried as (

    select
        {%- for column in carried_columns %}
            {{ column }},
        {%- endfor %}
        raw_row_number
    from typed
    {%- if is_incremental() %}
        union all
        select
            {%- for column in carried_columns %}
                earlier.{{ column }},
            {%- endfor %}
            earlier.raw_row_number
        from {{ this }} as earlier
        where earlier.raw_row_number in (select revisited.raw_row_number from revisited)
    {%- endif %}

),

final as (

    select
        classified.raw_row_number,
        carried.source_line,
        carried.raw_record,
        classified.event_id,
        classified.event_type,
        classified.event_at,
        cast(classified.event_at as date) as event_date,
        classified.received_at,
        carried.user_id,
        classified.stream_id,
        carried.properties,
        carried.platform,
        carried.app_version,
        carried.country,
        classified.delivery_number,
        classified.ingestion_reason,
        carried.raw_event_at,
        carried.raw_received_at,
        classified.drop_date,
        carried.load_id,
        classified.business_key,
        classified.link_key,
        classified.row_reason,
        classified.first_copy_reason,
        {{ live_build_started_at() }} as decided_at,
        coalesce(cast(classified.received_at as date) > cast(classified.event_at as date), false)
            as is_late_arrival,
        case
            when classified.ingestion_reason is null then 'clean'
            when classified.ingestion_reason in ('duplicate_delivery', 'superseded_by_bad_copy') then 'duplicate'
            else 'quarantined'
        end as ingestion_outcome
    from classified
    inner join carried on classified.raw_row_number = carried.raw_row_number

),

{%- set output_columns = [
    'raw_row_number', 'source_line', 'raw_record', 'event_id', 'event_type', 'event_at', 'event_date',
    'received_at', 'user_id', 'stream_id', 'properties', 'platform', 'app_version', 'country',
    'delivery_number', 'ingestion_reason', 'raw_event_at', 'raw_received_at', 'drop_date', 'load_id',
    'business_key', 'link_key', 'row_reason', 'first_copy_reason', 'decided_at', 'is_late_arrival',
    'ingestion_outcome'] %}

{#
    An engine that replaces whole partitions (Spark: insert_overwrite by drop_date) gets every
    row of the drops touched here: the rows not decided again, as they were.
#}
{%- if is_incremental() and live_rewrites_whole_partitions() %}

unchanged_in_touched_drops as (

    select
        {%- for column in output_columns[:-1] %}
            earlier.{{ column }},
        {%- endfor %}
        earlier.{{ output_columns[-1] }}
    from {{ this }} as earlier
    where
        exists (select 1 from final where final.drop_date is not distinct from earlier.drop_date)
        and earlier.raw_row_number not in (select final.raw_row_number from final)

),
{%- endif %}

decided_and_unchanged as (

    select
        {%- for column in output_columns[:-1] %}
            {{ column }},
        {%- endfor %}
        {{ output_columns[-1] }}
    from final
    {%- if is_incremental() and live_rewrites_whole_partitions() %}
        union all
        select * from unchanged_in_touched_drops
    {%- endif %}

)

select * from decided_and_unchanged
