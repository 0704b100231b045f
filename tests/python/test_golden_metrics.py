"""Golden checks through MetricFlow: every catalogue metric by day against the independent raw reference.

One MetricFlow session (one engine over the built warehouse) serves the whole module, and each metric is
queried once. The reference (tests/python/raw_reference.py) computes the 46 metrics of docs/contract/metrics.md's north
star, core, supporting and guardrail tables and the 11 of its growth-stage table from the raw events, per the
contract: each metric counts on the
UTC day of its event (a stream or session on its start day, hours live on the day they were live, a refund
on the refund's day), the notification join rate counts each notification at most once (a session start of
the recipient in a stream of that creator within the hour), the month-to-date metric is a running sum from
the first of the month on every day of the data, a D7 retention has a value only on the days D with D + 7
days <= the last day a stream was live. A growth-stage metric not yet in seeds/metric_catalogue.csv is skipped
against MetricFlow, but its reference is self-checked on the demo data without a warehouse.

A day the reference has a value for must come back from MetricFlow with the same value (counts exact, floats
rel 1e-9, money abs 1e-6), never null; a day without data may be absent or null in MetricFlow's output; no
metric may have a row after the data's last day. Every failure lists the day with both values.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import raw_reference as rr
from live_metrics.engine.mf_engine import MetricFlowSession

REPO_ROOT = Path(__file__).resolve().parents[2]
CATALOGUE_CSV = REPO_ROOT / "seeds" / "metric_catalogue.csv"

MONEY = "money"  # absolute tolerance 1e-6 USD
RATE = "rate"  # relative tolerance 1e-9
COUNT = "count"  # exact

# The catalogue metrics of docs/contract/metrics.md's north star, core, supporting and guardrail tables. The
# catalogue seed has no column telling them from the growth-stage metrics, so they are named here.
ORIGINAL_CATALOGUE: tuple[str, ...] = (
    "live_watch_minutes",
    "live_viewers",
    "watch_minutes_per_viewer",
    "live_streams",
    "live_creators",
    "notification_join_rate",
    "viewer_interaction_rate",
    "creator_reply_rate",
    "new_followers",
    "creator_diamonds",
    "gift_revenue_usd",
    "gifter_conversion_rate",
    "revenue_per_gifter_usd",
    "platform_net_revenue_usd",
    "ad_revenue_usd",
    "ad_reach",
    "ad_ctr",
    "viewer_sessions",
    "sessions_per_viewer",
    "avg_session_minutes",
    "streams_per_creator",
    "stream_hours",
    "first_time_creators",
    "avg_peak_concurrent_viewers",
    "notifications_sent",
    "notification_open_rate",
    "comments",
    "likes",
    "shares",
    "comments_per_watch_hour",
    "median_reply_seconds",
    "gifters",
    "gift_revenue_mtd_usd",
    "watch_minutes_wow_growth",
    "ad_impressions",
    "ad_clicks",
    "reports_per_1k_watch_minutes",
    "moderation_actions",
    "stream_crash_rate",
    "creator_burnout_rate",
    "rebuffer_ratio",
    "avg_startup_seconds",
    "notification_opt_out_rate",
    "gift_refund_rate",
    "whale_revenue_share",
    "underage_gift_attempts",
)
# docs/contract/metrics.md's "Growth stage" section (checked against MetricFlow once they are in the catalogue seed).
GROWTH_STAGE_METRICS: frozenset[str] = frozenset(
    {
        "new_viewers",
        "viewer_d7_retention",
        "creator_d7_retention",
        "avg_concurrent_viewers",
        "unique_chatters",
        "chatter_rate",
        "chat_messages_per_live_minute",
        "follow_conversion_rate",
        "diamonds_per_stream_hour",
        "notification_session_share",
        "early_exit_rate",
    }
)

# metric -> (reference by day, comparison): every metric of ORIGINAL_CATALOGUE
DAILY_GOLDEN: dict[str, tuple[Callable[[rr.Reference], dict[dt.date, Any]], str]] = {
    # north star
    "live_watch_minutes": (rr.watch_minutes_by_day, RATE),
    # core
    "live_viewers": (rr.viewers_by_day, COUNT),
    "watch_minutes_per_viewer": (rr.watch_minutes_per_viewer_by_day, RATE),
    "live_streams": (rr.streams_by_day, COUNT),
    "live_creators": (rr.live_creators_by_day, COUNT),
    "notification_join_rate": (rr.notification_join_rate_by_day, RATE),
    "viewer_interaction_rate": (rr.viewer_interaction_rate_by_day, RATE),
    "creator_reply_rate": (rr.creator_reply_rate_by_day, RATE),
    "new_followers": (rr.new_followers_by_day, COUNT),
    "creator_diamonds": (rr.creator_diamonds_by_day, COUNT),
    "gift_revenue_usd": (rr.gift_usd_by_day, MONEY),
    "gifter_conversion_rate": (rr.gifter_conversion_rate_by_day, RATE),
    "revenue_per_gifter_usd": (rr.revenue_per_gifter_by_day, MONEY),
    "platform_net_revenue_usd": (rr.platform_net_revenue_by_day, MONEY),
    "ad_revenue_usd": (rr.ad_revenue_by_day, MONEY),
    "ad_reach": (rr.ad_reach_by_day, COUNT),
    "ad_ctr": (rr.ad_ctr_by_day, RATE),
    # supporting
    "viewer_sessions": (rr.viewer_sessions_by_day, COUNT),
    "sessions_per_viewer": (rr.sessions_per_viewer_by_day, RATE),
    "avg_session_minutes": (rr.avg_session_minutes_by_day, RATE),
    "streams_per_creator": (rr.streams_per_creator_by_day, RATE),
    "stream_hours": (rr.stream_hours_by_day, RATE),
    "first_time_creators": (rr.first_time_creators_by_day, COUNT),
    "avg_peak_concurrent_viewers": (rr.avg_peak_concurrent_viewers_by_day, RATE),
    "notifications_sent": (rr.notifications_by_day, COUNT),
    "notification_open_rate": (rr.notification_open_rate_by_day, RATE),
    "comments": (rr.comments_by_day, COUNT),
    "likes": (rr.likes_by_day, COUNT),
    "shares": (rr.shares_by_day, COUNT),
    "comments_per_watch_hour": (rr.comments_per_watch_hour_by_day, RATE),
    "median_reply_seconds": (rr.median_reply_seconds_by_day, RATE),
    "gifters": (rr.gifters_by_day, COUNT),
    "gift_revenue_mtd_usd": (rr.gift_revenue_mtd_by_day, MONEY),
    "watch_minutes_wow_growth": (rr.watch_minutes_wow_growth_by_day, RATE),
    "ad_impressions": (rr.ad_impressions_by_day, COUNT),
    "ad_clicks": (rr.ad_clicks_by_day, COUNT),
    # guardrails
    "reports_per_1k_watch_minutes": (rr.reports_per_1k_watch_minutes_by_day, RATE),
    "moderation_actions": (rr.moderation_actions_by_day, COUNT),
    "stream_crash_rate": (rr.stream_crash_rate_by_day, RATE),
    "creator_burnout_rate": (rr.creator_burnout_rate_by_day, RATE),
    "rebuffer_ratio": (rr.rebuffer_ratio_by_day, RATE),
    "avg_startup_seconds": (rr.avg_startup_seconds_by_day, RATE),
    "notification_opt_out_rate": (rr.notification_opt_out_rate_by_day, RATE),
    "gift_refund_rate": (rr.gift_refund_rate_by_day, RATE),
    "whale_revenue_share": (rr.whale_revenue_share_by_day, RATE),
    "underage_gift_attempts": (rr.underage_gift_attempts_by_day, COUNT),
}

# metric -> (reference by day, comparison): every metric of GROWTH_STAGE_METRICS
GROWTH_GOLDEN: dict[str, tuple[Callable[[rr.Reference], dict[dt.date, Any]], str]] = {
    "new_viewers": (rr.new_viewers_by_day, COUNT),
    "viewer_d7_retention": (rr.viewer_d7_retention_by_day, RATE),
    "creator_d7_retention": (rr.creator_d7_retention_by_day, RATE),
    "avg_concurrent_viewers": (rr.avg_concurrent_viewers_by_day, RATE),
    "unique_chatters": (rr.unique_chatters_by_day, COUNT),
    "chatter_rate": (rr.chatter_rate_by_day, RATE),
    "chat_messages_per_live_minute": (rr.chat_messages_per_live_minute_by_day, RATE),
    "follow_conversion_rate": (rr.follow_conversion_rate_by_day, RATE),
    "diamonds_per_stream_hour": (rr.diamonds_per_stream_hour_by_day, RATE),
    "notification_session_share": (rr.notification_session_share_by_day, RATE),
    "early_exit_rate": (rr.early_exit_rate_by_day, RATE),
}
ALL_GOLDEN = {**DAILY_GOLDEN, **GROWTH_GOLDEN}

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


@pytest.fixture(scope="module")
def mf_by_day(mf_session: MetricFlowSession) -> Callable[[str], dict[dt.date, Any]]:
    """MetricFlow's values of a metric by day, each metric queried once per module."""
    cache: dict[str, dict[dt.date, Any]] = {}

    def query(metric: str) -> dict[dt.date, Any]:
        if metric not in cache:
            cache[metric] = query_by_period(mf_session, metric)
        return cache[metric]

    return query


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


def compare(metric: str, actual: dict[dt.date, Any], expected: dict[dt.date, Any], comparison: str) -> list[str]:
    """Mismatch lines: a reference day MetricFlow misses, returns null for or disagrees on, or a MetricFlow value
    on a day the reference has no data for (there only no row or a null is accepted, and for a count or an
    amount a 0: it reads 0 on a day without its events, `fill_nulls_with: 0`, such as a day with ad
    impressions and no click)."""
    problems: list[str] = []
    for day in sorted(set(actual) | set(expected)):
        if day not in expected and actual.get(day) is None:
            continue  # no data that day: absent or null is fine
        if day not in expected and comparison in (COUNT, MONEY) and actual.get(day) == 0:
            continue  # a count or an amount with no event that day
        want = expected.get(day)
        if want is None or not same_value(actual.get(day), want, comparison):
            problems.append(f"  {metric} {day}: MetricFlow={actual.get(day, '<no row>')!r} reference={want!r}")
    return problems


def assert_no_problems(metric: str, grain: str, problems: list[str]) -> None:
    assert not problems, f"{metric} by {grain}: {len(problems)} mismatching period(s)\n" + "\n".join(problems)


def catalogue_names() -> list[str]:
    """The metric names of seeds/metric_catalogue.csv, in its order."""
    with CATALOGUE_CSV.open(newline="", encoding="utf-8") as handle:
        return [row["metric_name"] for row in csv.DictReader(handle)]


def test_golden_covers_every_catalogue_metric() -> None:
    """Every catalogue metric has a golden check by day (a metric added to the catalogue without one fails
    here), and the reference registers every checked metric under its catalogue name."""
    catalogue = catalogue_names()
    assert [name for name in ORIGINAL_CATALOGUE if name not in catalogue] == [], "left the catalogue"
    assert sorted(DAILY_GOLDEN) == sorted(ORIGINAL_CATALOGUE), "DAILY_GOLDEN must cover exactly the 46 metrics"
    assert sorted(GROWTH_GOLDEN) == sorted(GROWTH_STAGE_METRICS), "GROWTH_GOLDEN must cover the 11 growth metrics"
    unchecked = [name for name in catalogue if name not in ALL_GOLDEN]
    assert unchecked == [], f"catalogue metrics without a golden check: {unchecked}"
    assert {name: compute for name, (compute, _) in ALL_GOLDEN.items()} == rr.DAILY_METRICS


def skip_unless_in_catalogue(metric: str) -> None:
    """A growth-stage metric is queried from MetricFlow only once the catalogue seed lists it."""
    if metric in GROWTH_STAGE_METRICS and metric not in catalogue_names():
        pytest.skip(f"{metric} is not in seeds/metric_catalogue.csv yet")


@pytest.mark.parametrize("metric", sorted(ALL_GOLDEN))
def test_metric_by_day(metric: str, mf_by_day: Callable[[str], dict[dt.date, Any]], reference: rr.Reference) -> None:
    skip_unless_in_catalogue(metric)
    compute, comparison = ALL_GOLDEN[metric]
    expected = compute(reference)
    assert expected, f"the reference has no {metric} at all: nothing would be checked"
    assert_no_problems(metric, "day", compare(metric, mf_by_day(metric), expected, comparison))


@pytest.mark.parametrize("metric", sorted(ALL_GOLDEN))
def test_no_day_past_the_data(
    metric: str, mf_by_day: Callable[[str], dict[dt.date, Any]], reference: rr.Reference
) -> None:
    """MetricFlow returns no row (not even a null one) after the data's last day (the last clean event_at day)."""
    skip_unless_in_catalogue(metric)
    last_day = rr.last_data_day(reference)
    late = {day: value for day, value in sorted(mf_by_day(metric).items()) if day > last_day}
    assert not late, f"{metric}: {len(late)} row(s) after the data's last day {last_day}: {late}"


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


# ---------------------------------------------------------------------------------------------------
# The growth-stage references on their own: the demo data without a warehouse, and hand-made D7 cases

DEMO_DATA = REPO_ROOT / "seeds" / "demo"
DAY = dt.timedelta(days=1)


@pytest.fixture(scope="module")
def demo_reference() -> rr.Reference:
    return rr.cached_reference(DEMO_DATA.resolve())


def micros(text: str) -> int:
    value = rr.parse_timestamp(text)
    assert value is not None
    return value


def test_d7_retention_window_and_eligibility() -> None:
    """Retained: another start on one of the calendar days D+1 to D+7 (docs/contract/metrics.md §Changes,
    2026-12-06); eligible: D + 7 <= last."""
    starts = [
        # a: two starts on 11-01; back on 11-08 (D+7) -> retained
        ("a", micros("2026-11-01T08:00:00Z")),
        ("a", micros("2026-11-01T20:00:00Z")),
        ("a", micros("2026-11-08T20:00:00Z")),
        # b: back on D+7 one second later in the day than on D (over 168 hours) -> retained all the same
        ("b", micros("2026-11-01T10:00:00Z")),
        ("b", micros("2026-11-08T10:00:01Z")),
        # c: back on 11-09 (D+8) at 00:00:00 -> not retained
        ("c", micros("2026-11-01T07:00:00Z")),
        ("c", micros("2026-11-09T00:00:00Z")),
        # e: a second start later the same day does not retain the day
        ("e", micros("2026-11-01T01:00:00Z")),
        ("e", micros("2026-11-01T05:00:00Z")),
        # d: two starts at the same instant are not "another" day; d on 11-02 comes back on 11-03 (D+1)
        ("d", micros("2026-11-02T12:00:00Z")),
        ("d", micros("2026-11-02T12:00:00Z")),
        ("d", micros("2026-11-03T00:00:00Z")),
    ]
    last_day = dt.date(2026, 11, 9)  # eligible: 11-01 and 11-02 only
    retention = rr.d7_retention_by_day(starts, last_day)
    # 11-01: a and b retained, c and e not = 2 / 4; 11-02: d = 1 / 1
    assert retention == {dt.date(2026, 11, 1): 0.5, dt.date(2026, 11, 2): 1.0}
    assert rr.d7_retention_by_day(starts, dt.date(2026, 11, 7)) == {}  # no eligible day: no value at all


@pytest.mark.parametrize("metric", ["viewer_d7_retention", "creator_d7_retention"])
def test_demo_retention_only_on_eligible_days(metric: str, demo_reference: rr.Reference) -> None:
    retention = rr.DAILY_METRICS[metric](demo_reference)
    last_day = rr.last_live_day(demo_reference)
    if metric == "viewer_d7_retention":
        active_days = {session.day for session in demo_reference.sessions}
    else:
        active_days = {rr.stream_start_day(stream) for stream in demo_reference.streams.values()}
    assert retention, f"{metric}: no value on the demo data"
    assert set(retention) == {day for day in active_days if day + 7 * DAY <= last_day}
    assert all(0.0 <= value <= 1.0 for value in retention.values()), retention


def test_demo_new_viewers_add_up_to_the_viewers(demo_reference: rr.Reference) -> None:
    new_viewers = rr.new_viewers_by_day(demo_reference)
    assert sum(new_viewers.values()) == len({session.viewer_id for session in demo_reference.sessions})
    viewers = rr.viewers_by_day(demo_reference)
    assert set(new_viewers) == set(viewers), "a value (maybe 0) on every day with a session"
    assert all(0 <= new_viewers[day] <= count for day, count in viewers.items())
    assert new_viewers[min(viewers)] == viewers[min(viewers)], "on the first day every viewer is new"


@pytest.mark.parametrize("metric", ["early_exit_rate", "notification_session_share", "chatter_rate"])
def test_demo_session_shares_are_fractions(metric: str, demo_reference: rr.Reference) -> None:
    shares = rr.DAILY_METRICS[metric](demo_reference)
    assert set(shares) == set(rr.viewer_sessions_by_day(demo_reference)), "one value per day with a session"
    assert all(0.0 <= value <= 1.0 for value in shares.values()), shares
    assert 0.0 < max(shares.values()), f"{metric} is 0 on every demo day"


def test_demo_avg_concurrent_viewers_by_hand(demo_reference: rr.Reference) -> None:
    """One day worked out from the sessions and streams: minutes watched in sessions starting that day over the
    minutes any stream was live during that day."""
    day = dt.date(2026, 11, 16)
    start, end = rr.day_start(day), rr.day_start(day + DAY)
    watched = sum(s.ended_at - s.started_at for s in demo_reference.sessions if start <= s.started_at < end)
    live = sum(
        max(0, min(stream.ended_at, end) - max(stream.started_at, start)) for stream in demo_reference.streams.values()
    )
    assert watched > 0 and live > 0
    expected = (watched / rr.MICROS_PER_MINUTE) / (live / rr.MICROS_PER_MINUTE)
    hours = rr.stream_hours_by_day(demo_reference)[day]
    assert live / rr.MICROS_PER_HOUR == pytest.approx(hours, rel=1e-12)
    assert rr.avg_concurrent_viewers_by_day(demo_reference)[day] == pytest.approx(expected, rel=1e-12)
    minutes = rr.watch_minutes_by_day(demo_reference)[day]
    assert rr.avg_concurrent_viewers_by_day(demo_reference)[day] == pytest.approx(minutes / (hours * 60), rel=1e-12)
