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
