"""`live-metrics materialize`'s SQL without a warehouse build: the shaped saved-query tables (time order, the
data's last day, the completeness columns) and the metric definitions, run on an in-memory DuckDB over
hand-written rows; and which restated values a daily run reports. The same SQL on Spark:
test_spark_metrics.py (test_shaped_select_agrees_with_duckdb).

Expectations are written here from the rules as the docs state them (a period is complete once the data
runs past its end; needs_history N: the period starts N days after the data's first day or later; `month`:
in the first full month; needs_future N: the period ends N days before the data's last day or earlier),
not from the code under test."""

from __future__ import annotations

import datetime as dt
import random

import duckdb
import pytest

from live_metrics.engine.sql_dialect import DUCKDB, SPARK, SqlDialect
from live_metrics.ops.materialize import DataSpan, definitions_select, shaped_select
from live_metrics.ops.operations import restated
from live_metrics.tree.tree import MetricNode, MetricTree

FIRST = dt.date(2026, 10, 3)  # a Saturday, not the 1st: the first full month is November
LAST = dt.date(2026, 12, 9)  # the data's last day (cut off)
SPINE_START = FIRST - dt.timedelta(days=40)  # the spine starts before the data, with a margin


def node(name: str, **extra: object) -> MetricNode:
    return MetricNode(name, name, "d", "simple", "viewers", "core", "x", "increase", "o", None, **extra)  # type: ignore[arg-type]


METRICS = {
    "comments": node("comments"),
    "new_viewers": node("new_viewers", needs_history=28),
    "viewer_d7_retention": node("viewer_d7_retention", needs_future=7),
    "gift_revenue_mtd_usd": node("gift_revenue_mtd_usd", needs_history="month"),
    "watch_minutes_wow_growth": node("watch_minutes_wow_growth", needs_history=7),
}


def period_starts(grain: str) -> list[dt.date]:
    """Every period of ``grain`` from the data's first day to a week past its last (rows past it must go)."""
    starts: list[dt.date] = []
    day = FIRST
    while day <= LAST + dt.timedelta(days=7):
        if grain == "day":
            start = day
        elif grain == "week":
            start = day - dt.timedelta(days=day.weekday())
        else:
            start = day.replace(day=1)
        if start not in starts:
            starts.append(start)
        day += dt.timedelta(days=1)
    return starts


def period_end(start: dt.date, grain: str) -> dt.date:
    """The period's last day."""
    if grain == "day":
        return start
    if grain == "week":
        return start + dt.timedelta(days=6)
    following = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def expected_flags(start: dt.date, grain: str) -> dict[str, bool]:
    end = period_end(start, grain)
    complete = end < LAST
    return {
        "period__is_complete": complete,
        "new_viewers__is_complete": complete and start - dt.timedelta(days=28) >= FIRST,
        "viewer_d7_retention__is_complete": complete and end + dt.timedelta(days=7) <= LAST,
        "gift_revenue_mtd_usd__is_complete": complete and start >= dt.date(2026, 11, 1),
        "watch_minutes_wow_growth__is_complete": complete and start - dt.timedelta(days=7) >= FIRST,
    }


def saved_query_sql(grain: str, dialect: SqlDialect, shuffle: int = 7) -> str:
    """Rows as MetricFlow answers a saved query (a TIMESTAMP period, metrics), in no particular order."""
    starts = period_starts(grain)
    random.Random(shuffle).shuffle(starts)
    rows = [
        f"(timestamp '{start.isoformat()} 00:00:00', {index}, {index * 2}, 0.5, {index * 1.5}, 0.1)"
        for index, start in enumerate(starts)
    ]
    column = dialect.quote(f"metric_time__{grain}")
    return (
        f"select * from (values {', '.join(rows)}) as mf({column}, comments, new_viewers, viewer_d7_retention, "
        f"gift_revenue_mtd_usd, watch_minutes_wow_growth)"
    )


SPINE = f"(values (date '{SPINE_START.isoformat()}'), (date '{LAST.isoformat()}')) as spine(date_day)"
COLUMNS = [
    ("comments", "INTEGER"),
    ("new_viewers", "HUGEINT"),
    ("viewer_d7_retention", "DOUBLE"),
    ("gift_revenue_mtd_usd", "DOUBLE"),
    ("watch_minutes_wow_growth", "DOUBLE"),
]


SPAN = DataSpan(FIRST, LAST)


def shaped(grain: str, dialect: SqlDialect = DUCKDB, span: DataSpan = SPAN) -> str:
    columns = [(f"metric_time__{grain}", "TIMESTAMP"), *COLUMNS]
    return shaped_select(saved_query_sql(grain, dialect), columns, SPINE, dialect, METRICS, span)


def run(sql: str) -> tuple[list[str], list[tuple]]:
    with duckdb.connect() as connection:
        result = connection.execute(sql)
        return [column[0] for column in result.description], result.fetchall()


@pytest.mark.parametrize("grain", ["day", "week", "month"])
def test_each_value_is_final_only_when_the_data_holds_what_it_needs(grain: str) -> None:
    names, rows = run(shaped(grain))
    flags = list(expected_flags(FIRST, grain))
    assert names == [
        f"metric_time__{grain}",
        *(name for name, _ in COLUMNS),
        "is_complete",
        *flags,
    ]
    starts = [start for start in period_starts(grain) if start <= LAST]  # no period after the data's last day
    assert [row[0] for row in rows] == starts  # a DATE, in time order
    for row in rows:
        record = dict(zip(names, row, strict=True))
        expected = expected_flags(record[names[0]], grain)
        assert {flag: record[flag] for flag in flags} == expected, record[names[0]]
        assert record["is_complete"] == all(expected.values()), record[names[0]]
    judged = {flag: {dict(zip(names, row, strict=True))[flag] for row in rows} for flag in flags}
    if grain != "month":  # every flag is both true and false somewhere: the rule is exercised both ways
        assert all(values == {True, False} for values in judged.values()), judged


def test_day_grain_on_the_demo_shape() -> None:
    """The retention flag is false on exactly the last 7 days; the first-ever count on the first 28 days."""
    names, rows = run(shaped("day"))
    retention = [row[0] for row in rows if not row[names.index("viewer_d7_retention__is_complete")]]
    assert retention == [LAST - dt.timedelta(days=back) for back in range(6, -1, -1)]
    new = [row[0] for row in rows if not row[names.index("new_viewers__is_complete")]]
    assert new[:28] == [FIRST + dt.timedelta(days=offset) for offset in range(28)]
    assert new[28:] == [LAST]  # the cut-off last day: no period is complete on it


def test_counts_are_bigint_and_days_dates() -> None:
    with duckdb.connect() as connection:
        connection.execute(f"create table t as {shaped('day')}")
        types = dict(connection.execute("select column_name, column_type from (describe t)").fetchall())
    assert types["metric_time__day"] == "DATE" and types["new_viewers"] == "BIGINT"
    assert {types[name] for name in types if name.endswith("is_complete")} == {"BOOLEAN"}


def test_without_data_nothing_is_final() -> None:
    """No north star day yet: the span is unknown and no value counts as final."""
    names, rows = run(shaped("day", span=DataSpan()))
    assert rows and not any(value for row in rows for name, value in zip(names, row, strict=True) if "complete" in name)


def test_a_metric_without_needs_gets_no_column_of_its_own() -> None:
    columns = [("metric_time__day", "DATE"), ("comments", "BIGINT")]
    sql = shaped_select("select date '2026-11-01' as metric_time__day, 3 as comments", columns, SPINE, DUCKDB, METRICS)
    names, rows = run(sql)
    assert names == ["metric_time__day", "comments", "is_complete", "period__is_complete"]
    assert rows == [(dt.date(2026, 11, 1), 3, False, False)]  # no span given: not judged final


def test_the_spark_sql_speaks_spark() -> None:
    """The Spark rendering quotes with backticks and has no DuckDB-only spelling (`::`, double quotes)."""
    sql = shaped("week", SPARK)
    assert "`viewer_d7_retention__is_complete`" in sql and "`is_complete`" in sql
    assert '"' not in sql and "::" not in sql
    assert "interval 1 week" in sql and "date '2026-10-31'" in sql  # first day + 28


def test_metric_definitions_carry_the_needs() -> None:
    nodes = {name: metric for name, metric in METRICS.items()}
    names, rows = run(definitions_select(MetricTree(nodes=nodes, edges=())))
    assert names[-2:] == ["needs_history", "needs_future"]
    by_name = {row[0]: row[-2:] for row in rows}
    assert by_name == {
        "comments": (None, None),
        "new_viewers": ("28", None),
        "viewer_d7_retention": (None, 7),
        "gift_revenue_mtd_usd": ("month", None),
        "watch_minutes_wow_growth": ("7", None),
    }


def test_restated_counts_only_values_that_were_final() -> None:
    """A daily run reports a published day as restated when a value it marked final changed; a retention rate
    of the last week or a first-ever count of the first weeks may change without being restated."""
    day = dt.date(2026, 11, 20)
    with duckdb.connect() as connection:
        connection.execute("attach ':memory:' as previous")
        for database in ("previous", "memory"):
            connection.execute(f"create schema {database}.metrics")
        connection.execute(
            "create table previous.metrics.viewers as select * from (values "
            "(date '2026-11-20', 10, 0.5, false, true, false, false), "
            "(date '2026-11-21', 11, 0.6, false, false, false, false)) "
            "as t(metric_time__day, comments, viewer_d7_retention, is_complete, period__is_complete, "
            "viewer_d7_retention__is_complete, new_viewers__is_complete)"
        )
        # the same table, a column more (a new metric): the retention of both days changed, comments of neither
        connection.execute(
            "create table memory.metrics.viewers as select * from (values "
            "(date '2026-11-20', 10, 0.7, 1, true), (date '2026-11-21', 11, 0.9, 2, true)) "
            "as t(metric_time__day, comments, viewer_d7_retention, shares, is_complete)"
        )
        assert restated(connection) == ([], [])
        connection.execute("update memory.metrics.viewers set comments = 12")  # comments were final on 11-20 only
        assert restated(connection) == ([day], ["comments"])


def test_restated_reads_a_table_published_before_the_flags() -> None:
    """A warehouse published before the completeness columns has only is_complete: it still decides."""
    with duckdb.connect() as connection:
        connection.execute("attach ':memory:' as previous")
        for database in ("previous", "memory"):
            connection.execute(f"create schema {database}.metrics")
            connection.execute(
                f"create table {database}.metrics.guardrails as select * from (values "
                "(date '2026-11-20', 0.1, true), (date '2026-11-21', 0.2, false)) "
                "as t(metric_time__day, early_exit_rate, is_complete)"
            )
        connection.execute("update memory.metrics.guardrails set early_exit_rate = 0.3")
        assert restated(connection) == ([dt.date(2026, 11, 20)], ["early_exit_rate"])
