"""Golden checks through MetricFlow: catalogue metrics by day against the independent raw reference.

One MetricFlow session (one engine over the built warehouse) serves the whole module. The reference
(tests/python/raw_reference.py) mirrors MetricFlow's semantics: each metric counts on the UTC day of its time
dimension, the conversion metric attributes each join to the closest preceding notification of the same viewer
and creator within one hour, the month-to-date metric is a running sum from the first of the month.

A day the reference has a value for must come back from MetricFlow with the same value (floats rel 1e-9,
money abs 1e-6); a day without data may be absent or null in MetricFlow's output. Every failure lists the
day with both values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import raw_reference as rr
from live_metrics.mf_engine import MetricFlowSession

REPO_ROOT = Path(__file__).resolve().parents[2]

MONEY = "money"  # absolute tolerance 1e-6 USD
RATE = "rate"  # relative tolerance 1e-9
COUNT = "count"  # exact

# metric -> (reference by day, comparison)
DAILY_GOLDEN: dict[str, tuple[Callable[[rr.Reference], dict[dt.date, Any]], str]] = {
    "live_watch_minutes": (rr.watch_minutes_by_day, RATE),
    "live_viewers": (rr.viewers_by_day, COUNT),
    "live_streams": (rr.streams_by_day, COUNT),
    "ad_revenue_usd": (rr.ad_revenue_by_day, MONEY),
    "watch_minutes_per_viewer": (rr.watch_minutes_per_viewer_by_day, RATE),
    "creator_reply_rate": (rr.creator_reply_rate_by_day, RATE),
    "stream_crash_rate": (rr.stream_crash_rate_by_day, RATE),
    "watch_minutes_wow_growth": (rr.watch_minutes_wow_growth_by_day, RATE),
    "platform_net_revenue_usd": (rr.platform_net_revenue_by_day, MONEY),
    "notification_join_rate": (rr.notification_join_rate_by_day, RATE),
    "median_reply_seconds": (rr.median_reply_seconds_by_day, RATE),
    "ad_ctr": (rr.ad_ctr_by_day, RATE),
    "whale_revenue_share": (rr.whale_revenue_share_by_day, RATE),
    "creator_burnout_rate": (rr.creator_burnout_rate_by_day, RATE),
}

# (metric, grain) -> (reference by period start, comparison)
PERIOD_GOLDEN: dict[tuple[str, str], tuple[Callable[[rr.Reference, str], dict[dt.date, Any]], str]] = {
    ("live_watch_minutes", "week"): (rr.watch_minutes_by_period, RATE),
    ("live_watch_minutes", "month"): (rr.watch_minutes_by_period, RATE),
    ("live_viewers", "week"): (rr.viewers_by_period, COUNT),
    ("live_viewers", "month"): (rr.viewers_by_period, COUNT),
    ("live_streams", "week"): (rr.streams_by_period, COUNT),
    ("gift_revenue_usd", "week"): (rr.gift_usd_by_period, MONEY),
}


@pytest.fixture(scope="session")
def reference(warehouse: Any) -> rr.Reference:
    """The reference numbers for the raw data the warehouse was built from (computed once per session)."""
    return rr.cached_reference(warehouse.raw_data_path)


@pytest.fixture(scope="module")
def mf_session(warehouse: Any) -> Iterator[MetricFlowSession]:
    """One MetricFlow engine over the test warehouse for every golden check of this module."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LIVE_DUCKDB_PATH", str(warehouse.duckdb_path))
        patch.setenv("DBT_PROFILES_DIR", str(REPO_ROOT))
        with MetricFlowSession(project_dir=REPO_ROOT, manifest_path=warehouse.semantic_manifest) as session:
            yield session


def as_date(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def query_by_period(session: MetricFlowSession, metric: str, grain: str = "day") -> dict[dt.date, Any]:
    """MetricFlow's value of ``metric`` per period start (None where MetricFlow returns null)."""
    time_column = f"metric_time__{grain}"
    result = session.query_metrics([metric], group_by=[time_column])
    records = result.records()
    return {as_date(record[time_column]): record[metric] for record in records}


def same_value(actual: Any, expected: Any, comparison: str) -> bool:
    if actual is None:
        return False
    if comparison == MONEY:
        return abs(Decimal(str(actual)) - Decimal(str(expected))) <= Decimal("0.000001")
    if comparison == COUNT:
        return actual == expected
    return float(actual) == pytest.approx(float(expected), rel=1e-9)


def compare(
    metric: str,
    actual: dict[dt.date, Any],
    expected: dict[dt.date, Any],
    comparison: str,
    expected_elsewhere: Callable[[dt.date], Any] | None = None,
) -> list[str]:
    """Mismatch lines: a reference day MetricFlow misses or disagrees on, or a MetricFlow value on a day the
    reference has no data for (unless ``expected_elsewhere`` gives the value such a day must have)."""
    problems: list[str] = []
    for day in sorted(set(actual) | set(expected)):
        if day in expected:
            want = expected[day]
        elif actual.get(day) is None:
            continue  # no data that day: absent or null is fine
        elif expected_elsewhere is not None:
            want = expected_elsewhere(day)
        else:
            want = None
        got = actual.get(day, "<no row>")
        if want is None or not same_value(actual.get(day), want, comparison):
            problems.append(f"  {metric} {day}: MetricFlow={got!r} reference={want!r}")
    return problems


def assert_no_problems(metric: str, grain: str, problems: list[str]) -> None:
    assert not problems, f"{metric} by {grain}: {len(problems)} mismatching period(s)\n" + "\n".join(problems)


@pytest.mark.parametrize("metric", sorted(DAILY_GOLDEN))
def test_metric_by_day(metric: str, mf_session: MetricFlowSession, reference: rr.Reference) -> None:
    compute, comparison = DAILY_GOLDEN[metric]
    expected = compute(reference)
    assert expected, f"the reference has no {metric} at all: nothing would be checked"
    actual = query_by_period(mf_session, metric)
    assert_no_problems(metric, "day", compare(metric, actual, expected, comparison))


def test_gift_revenue_mtd_by_day(mf_session: MetricFlowSession, reference: rr.Reference) -> None:
    """Cumulative month to date: every day with gifts, and any other day MetricFlow returns (time-spine days
    carry the running sum of their month)."""
    expected = rr.gift_revenue_mtd_by_day(reference)
    assert expected, "the reference has no gifts: nothing would be checked"
    actual = query_by_period(mf_session, "gift_revenue_mtd_usd")
    problems = compare(
        "gift_revenue_mtd_usd", actual, expected, MONEY, lambda day: rr.gift_revenue_mtd_on(reference, day)
    )
    assert_no_problems("gift_revenue_mtd_usd", "day", problems)


def test_gift_revenue_mtd_by_month(mf_session: MetricFlowSession, reference: rr.Reference) -> None:
    """At month grain the cumulative metric is its value on the month's last day: the month's gift USD."""
    expected = rr.gift_usd_by_period(reference, "month")
    actual = query_by_period(mf_session, "gift_revenue_mtd_usd", "month")
    assert_no_problems("gift_revenue_mtd_usd", "month", compare("gift_revenue_mtd_usd", actual, expected, MONEY))


@pytest.mark.parametrize(("metric", "grain"), sorted(PERIOD_GOLDEN))
def test_metric_by_week_or_month(
    metric: str, grain: str, mf_session: MetricFlowSession, reference: rr.Reference
) -> None:
    compute, comparison = PERIOD_GOLDEN[(metric, grain)]
    expected = compute(reference, grain)
    actual = query_by_period(mf_session, metric, grain)
    assert_no_problems(metric, grain, compare(metric, actual, expected, comparison))
