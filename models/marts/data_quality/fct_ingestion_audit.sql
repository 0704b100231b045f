{#
    Where every raw row went: one row per event date, event type, outcome and
    reason, with the number of raw rows. Summed over everything it equals the
    raw row count, which tests/assert_audit_accounts_for_every_raw_row.sql
    checks against the raw source itself.
    event_date is null where event_at could not be parsed.
#}

with

outcomes as (

    select
        event_date,
        outcome,
        reason,
        coalesce(
            event_type,
            case when source_line is not null then '(unreadable)' else '(missing)' end
        ) as event_type
    from {{ ref('int_live__event_outcomes') }}

),

counted as (

    select
        event_date,
        outcome,
        event_type,
        coalesce(reason, 'none') as reason,
        count(*) as row_count
    from outcomes
    group by event_date, outcome, event_type, coalesce(reason, 'none')

)

select
    {{ dbt.hash(dbt.concat([
        "coalesce(cast(event_date as " ~ dbt.type_string() ~ "), 'unknown')", "'|'",
        'event_type', "'|'", 'outcome', "'|'", 'reason'
    ])) }} as audit_key,
    event_date,
    event_type,
    outcome,
    reason,
    row_count
from counted
