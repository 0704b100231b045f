{#
    dbt's cross-database date macros, where an adapter's own version does not fit this project.
    dbt.dateadd and dbt.datediff look here first (dbt_project.yml, `dispatch`).

    Spark: dbt-spark's versions go through unix seconds, so they drop fractions of a second
    (event times carry milliseconds), and they wrap their arguments in assert_not_null, which
    fails the query on a null (an unparseable event_at is a quarantined row, not an error).
    These keep microseconds and give null for null, as DuckDB does.
#}

{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) -%}
    timestampadd({{ datepart | upper }}, {{ interval }}, {{ from_date_or_timestamp }})
{%- endmacro %}


{#-
    DuckDB counts whole units between the two times truncated to the unit (date_diff):
    milliseconds as epoch milliseconds apart, days as calendar days apart.
-#}
{% macro spark__datediff(first_date, second_date, datepart) -%}
    {%- if datepart == 'day' -%}
        datediff(cast({{ second_date }} as date), cast({{ first_date }} as date))
    {%- elif datepart in ('millisecond', 'second', 'minute', 'hour') -%}
        {%- set micros = {'millisecond': 1000, 'second': 1000000, 'minute': 60000000, 'hour': 3600000000}[datepart] -%}
        (unix_micros({{ second_date }}) div {{ micros }} - unix_micros({{ first_date }}) div {{ micros }})
    {%- else -%}
        {{ exceptions.raise_compiler_error("datediff by " ~ datepart ~ " is not implemented for Spark in macros/cross_db.sql") }}
    {%- endif -%}
{%- endmacro %}


{#
    One row per calendar day from first_day to last_day (both included), as a select whose one column is
    date_day, for each row of `relation` (columns or expressions of that relation give the bounds). The
    bounds come from the data, so dbt.date_spine (literal bounds) does not fit. A row whose bounds are null,
    or whose first day is after its last, gives no day. DuckDB: generate_series; Spark: sequence + explode.
#}
{% macro days_between(first_day, last_day, relation) -%}
    {{ return(adapter.dispatch('days_between', 'live_streaming')(first_day, last_day, relation)) }}
{%- endmacro %}

{% macro default__days_between(first_day, last_day, relation) -%}
    {{ exceptions.raise_compiler_error("days_between is not implemented for " ~ target.type ~ " in macros/cross_db.sql") }}
{%- endmacro %}

{#- generate_series gives timestamps at midnight; null bounds give an empty list. -#}
{% macro duckdb__days_between(first_day, last_day, relation) -%}
    select cast(unnest(days_of_row.day_starts) as date) as date_day
    from (
        select generate_series(
            cast({{ first_day }} as timestamp), cast({{ last_day }} as timestamp), interval 1 day
        ) as day_starts
        from {{ relation }}
        where {{ first_day }} <= {{ last_day }}
    ) as days_of_row
{%- endmacro %}

{#- sequence fails when the first day is after the last: those rows are left out first. -#}
{% macro spark__days_between(first_day, last_day, relation) -%}
    select explode(sequence(cast({{ first_day }} as date), cast({{ last_day }} as date), interval 1 day)) as date_day
    from {{ relation }}
    where {{ first_day }} <= {{ last_day }}
{%- endmacro %}
