{#
    Seven-day returns per actor-day, for the retention metrics (METRICS.md, growth stage).

    From the starts of an actor's activities (a viewer's sessions, a creator's streams), one row per
    actor and UTC day with a start:
        actor_id, activity_date
        is_first_day              the actor's first day with a start in the data (new viewers)
        returned_within_7d        the actor starts again within 7 days of their LAST start that
                                  day: t < next start <= t + 7 days (exactly 7 days counts,
                                  7 days and a second does not)
        is_d7_retention_eligible  the 7 following days lie in the data (day + 7 <= last_day), so
                                  the last week of the data never looks like churn

    starts_cte: a CTE with columns actor_id and started_at. last_day: an expression for the
    data's last day (int_live__data_period.last_live_date).
#}
{% macro d7_returns(starts_cte, last_day) -%}
    select
        last_starts.actor_id,
        last_starts.activity_date,
        last_starts.activity_date = last_starts.first_activity_date as is_first_day,
        coalesce(
            last_starts.next_started_at <= {{ dbt.dateadd('day', 7, 'last_starts.started_at') }},
            false
        ) as returned_within_7d,
        coalesce({{ dbt.dateadd('day', 7, 'last_starts.activity_date') }} <= {{ last_day }}, false)
            as is_d7_retention_eligible
    from (
        select
            actor_id,
            started_at,
            activity_date,
            next_started_at,
            first_activity_date,
            row_number() over (partition by actor_id, activity_date order by started_at desc) as start_rank
        from (
            select
                actor_id,
                started_at,
                cast(started_at as date) as activity_date,
                lead(started_at) over (partition by actor_id order by started_at) as next_started_at,
                min(cast(started_at as date)) over (partition by actor_id) as first_activity_date
            from (select distinct actor_id, started_at from {{ starts_cte }}) as distinct_starts
        ) as ordered_starts
    ) as last_starts
    where last_starts.start_rank = 1
{%- endmacro %}
