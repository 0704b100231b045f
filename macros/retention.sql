{#
    Seven-day returns per actor-day, for the retention metrics (docs/contract/metrics.md §Growth stage).

    From the starts of an actor's activities (a viewer's sessions, a creator's streams), one row per
    actor and UTC day with a start:
        actor_id, activity_date
        is_first_day              the actor's first day with a start in the data (new viewers)
        returned_within_7d        the actor starts again on one of the calendar days D+1 to D+7
                                  (UTC; another start later on day D does not count;
                                  docs/contract/metrics.md §Changes, 2026-12-06)
        is_d7_retention_eligible  the 7 following days lie in the data (day + 7 <= last_day), so
                                  the last week of the data never looks like churn

    starts_cte: a CTE with columns actor_id and started_at. last_day: an expression for the
    data's last day (int_live__data_period.last_live_date).
#}
{% macro d7_returns(starts_cte, last_day) -%}
    select
        actor_days.actor_id,
        actor_days.activity_date,
        actor_days.activity_date = actor_days.first_activity_date as is_first_day,
        coalesce(
            actor_days.next_activity_date <= {{ dbt.dateadd('day', 7, 'actor_days.activity_date') }},
            false
        ) as returned_within_7d,
        coalesce({{ dbt.dateadd('day', 7, 'actor_days.activity_date') }} <= {{ last_day }}, false)
            as is_d7_retention_eligible
    from (
        select
            actor_id,
            activity_date,
            lead(activity_date) over (partition by actor_id order by activity_date) as next_activity_date,
            min(activity_date) over (partition by actor_id) as first_activity_date
        from (
            select distinct
                actor_id,
                cast(started_at as date) as activity_date
            from {{ starts_cte }}
        ) as distinct_days
    ) as actor_days
{%- endmacro %}
