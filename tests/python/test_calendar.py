"""Empty inputs and the calendar (issue 18): any year builds, and an input empty on a day reads 0.

Two raw sets of their own, each built once (dbt build, then ``live-metrics materialize``):

- **2019, by hand** (fixture ``sparse``): ten days from 2019-03-27 to 2019-04-05, across a month and a
  coin price change, with a case of an empty input on most days: gifts and no ad impression; ads and no
  gift; a stream nobody watched, with a refund and a comment; a notification nobody followed; the first
  of a month with no gift yet; a day without sessions whose week-earlier day had some, and the reverse.
  Every value is known from the rows written here.
- **2031, generated** (fixture ``generated``): ten generated days from 2031-01-26, across a month, the
  kind of data the demo holds, years after the calendar the project used to carry (2024-2027).

For each: the build passes; the time spine is exactly the data's days (first day to last live day, with
no date variable); materialize writes rows (never "no data yet"); the scorecard shows numbers; and every
metric of every ``metrics.*`` table equals, day by day, the independent computation of
``tests/python/raw_reference.py`` from the raw rows. Where the reference has no value, a count or an
amount must read 0 (there was none that day) and a ratio must be empty (its denominator is 0). The 2019
set pins the cases by name, each worked out by hand: ``platform_net_revenue_usd`` on the day with gifts
and no ad impression is half the day's gift USD net of refunds, not NULL, and each other fixed metric
likewise. One test without a build reads the semantic layer's YAML: every summed or counted measure a
metric reads carries ``fill_nulls_with: 0``, so a metric added later cannot bring the fault back.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

import raw_reference as rr
from conftest import Warehouse, run_cli, run_dbt
from live_metrics.generator.gen_model import GeneratorConfig
from live_metrics.generator.gen_output import EVENT_COLUMN_NAMES
from live_metrics.generator.generate import generate_events, write_dataset

SAVED_QUERY_TABLES = (
    "creators_daily_scorecard",
    "viewers_daily_scorecard",
    "platform_daily_scorecard",
    "advertisers_daily_scorecard",
    "guardrails_daily",
)
# Metrics that are counts or amounts: on a day of the data without their events they read 0, never NULL.
# (Every other metric is a ratio, a mean or a median: empty where it is undefined.)
ADDITIVE = frozenset(
    {
        "live_watch_minutes",
        "live_viewers",
        "live_streams",
        "live_creators",
        "new_followers",
        "creator_diamonds",
        "gift_revenue_usd",
        "platform_net_revenue_usd",
        "ad_revenue_usd",
        "ad_reach",
        "viewer_sessions",
        "stream_hours",
        "first_time_creators",
        "notifications_sent",
        "comments",
        "likes",
        "shares",
        "gifters",
        "gift_revenue_mtd_usd",
        "ad_impressions",
        "ad_clicks",
        "moderation_actions",
        "underage_gift_attempts",
        "new_viewers",
        "unique_chatters",
    }
)


REPO_ROOT = Path(__file__).resolve().parents[2]
ADDITIVE_AGGREGATIONS = frozenset({"sum", "count", "count_distinct"})


def measure_inputs(metric: dict[str, Any]) -> list[dict[str, Any]]:
    """The measures a simple, cumulative or conversion metric reads, as {name, fill_nulls_with?} mappings."""
    params = metric.get("type_params", {})
    conversion = params.get("conversion_type_params", {})
    found = [params.get("measure"), conversion.get("base_measure"), conversion.get("conversion_measure")]
    return [{"name": item} if isinstance(item, str) else item for item in found if item]


def test_every_count_or_amount_reads_zero_where_it_has_nothing() -> None:
    """In the semantic layer itself: every measure a metric sums or counts carries fill_nulls_with: 0 (an empty
    input of a derived or ratio metric is 0, not NULL), and no mean or median does (it stays empty). ADDITIVE
    (the metrics the tables below must show as 0) is exactly the catalogue's counts and amounts."""
    import yaml

    aggregation = {}
    for path in REPO_ROOT.glob("models/marts/**/_*__semantic_models.yml"):
        for model in yaml.safe_load(path.read_text())["semantic_models"]:
            aggregation |= {measure["name"]: measure["agg"] for measure in model.get("measures", [])}
    wrong, counted = [], set()
    for path in REPO_ROOT.glob("models/marts/**/_*__metrics.yml"):
        for metric in yaml.safe_load(path.read_text())["metrics"]:
            for measure in measure_inputs(metric):
                additive = aggregation[measure["name"]] in ADDITIVE_AGGREGATIONS
                if additive != (measure.get("fill_nulls_with") == 0):
                    wrong.append(f"{metric['name']} ({measure['name']}, {aggregation[measure['name']]})")
                if additive and metric["type"] in ("simple", "cumulative"):
                    counted.add(metric["name"])
    assert not wrong, f"fill_nulls_with: 0 on every sum or count and on nothing else: {wrong}"
    assert ADDITIVE == counted & set(rr.DAILY_METRICS) | {"platform_net_revenue_usd"}


# ---------------------------------------------------------------------------------------------------
# The 2019 set, by hand: one case of an empty input per day

EVENT_COLUMNS = EVENT_COLUMN_NAMES
SPARSE_FIRST = dt.date(2019, 3, 27)
SPARSE_DAYS = [SPARSE_FIRST + dt.timedelta(days=n) for n in range(10)]  # SPARSE_DAYS[0] is day 1
USD_PER_COIN = {dt.date(2019, 1, 1): Decimal("0.0105"), dt.date(2019, 4, 1): Decimal("0.0110")}
GIFT_COINS = {"gift_01": 1, "gift_02": 5, "gift_09": 29999}
CAMPAIGN_CPM = {"cmp_001": Decimal("4.50"), "cmp_002": Decimal("12.00")}


class EventLog:
    """Raw events written by hand: ids in order, each received a second after it happened."""

    def __init__(self) -> None:
        self.rows: list[dict[str, str]] = []

    def add(self, day: int, clock: str, event_type: str, user: str, stream: str = "", **props: Any) -> None:
        at = dt.datetime.combine(SPARSE_DAYS[day - 1], dt.time.fromisoformat(clock))
        self.rows.append(
            {
                "event_id": f"e_{len(self.rows) + 1:04d}",
                "event_type": event_type,
                "event_at": at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "received_at": (at + dt.timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "user_id": user,
                "stream_id": stream,
                "properties": json.dumps(props),
                "platform": "android",
                "app_version": "9.0.0",
                "country": "US",
            }
        )

    def stream(self, day: int, stream: str, creator: str, start: str, end: str) -> None:
        self.add(day, start, "stream_started", creator, stream, title=f"stream {stream}", category="talk")
        self.add(day, end, "stream_ended", creator, stream, end_reason="creator_ended")

    def session(self, day: int, stream: str, viewer: str, join: str, leave: str, **join_props: Any) -> None:
        self.add(day, join, "viewer_joined", viewer, stream, **({"source": "for_you"} | join_props))
        self.add(day, leave, "viewer_left", viewer, stream)
        self.add(day, leave, "playback_stats", viewer, stream, startup_ms=900, rebuffer_ms=300, played_ms=60_000)


def sparse_events() -> EventLog:
    log = EventLog()
    # day 1 (03-27): gifts, no ad impression. v1 sends 2 x gift_02 (10 coins), v2 a gift_09 (29,999 coins, a
    # whale day); v2 joins from a notification within the hour.
    log.stream(1, "s01", "c1", "10:00:00", "12:00:00")
    log.add(1, "10:00:05", "notification_sent", "v2", "s01", notification_id="n1", creator_id="c1")
    log.session(1, "s01", "v1", "10:10:00", "11:10:00")
    log.session(1, "s01", "v2", "10:20:00", "10:50:00", source="notification", notification_id="n1")
    log.add(1, "10:15:00", "comment_posted", "v1", "s01", comment_id="cm1", text="hello")
    log.add(1, "10:16:00", "creator_replied", "c1", "s01", comment_id="cm1", text="hi!")
    log.add(1, "10:17:00", "like_sent", "v1", "s01", count=3)
    log.add(1, "10:30:00", "gift_sent", "v1", "s01", gift_txn_id="g1", gift_id="gift_02", quantity=2)
    log.add(1, "10:40:00", "gift_sent", "v2", "s01", gift_txn_id="g2", gift_id="gift_09", quantity=1)
    # day 2 (03-28): ads (one clicked), no gift, one report
    log.stream(2, "s02", "c2", "14:00:00", "15:00:00")
    log.session(2, "s02", "v3", "14:05:00", "14:35:00", source="following")
    log.add(2, "14:10:00", "ad_impression", "v3", "s02", impression_id="i1", campaign_id="cmp_001")
    log.add(2, "14:11:00", "ad_clicked", "v3", "s02", impression_id="i1")
    log.add(2, "14:20:00", "ad_impression", "v3", "s02", impression_id="i2", campaign_id="cmp_002")
    log.add(2, "14:25:00", "stream_reported", "v3", "s02", reason="spam")
    # day 3 (03-29): a stream nobody watches; v1's day-1 gift g1 refunded; a comment outside any session
    log.stream(3, "s03", "c1", "09:00:00", "10:30:00")
    log.add(3, "09:30:00", "gift_refunded", "v1", "s01", gift_txn_id="g1")
    log.add(3, "09:40:00", "comment_posted", "v1", "s03", comment_id="cm2", text="anyone here?")
    # day 4 (03-30): a notification nobody follows; an opt-out; one short session
    log.stream(4, "s04", "c2", "08:00:00", "08:45:00")
    log.add(4, "08:00:05", "notification_sent", "v1", "s04", notification_id="n2", creator_id="c2")
    log.add(4, "08:01:00", "notification_opt_out", "v2", "", creator_id="c1")
    log.session(4, "s04", "v3", "08:05:00", "08:25:00")
    # day 5 (03-31): a gift and an impression (not clicked)
    log.stream(5, "s05", "c1", "20:00:00", "21:00:00")
    log.session(5, "s05", "v1", "20:05:00", "20:35:00")
    log.add(5, "20:10:00", "gift_sent", "v1", "s05", gift_txn_id="g3", gift_id="gift_01", quantity=1)
    log.add(5, "20:15:00", "ad_impression", "v1", "s05", impression_id="i3", campaign_id="cmp_001")
    # day 6 (04-01): a new month and a new coin price, no gift yet (month to date: 0)
    log.stream(6, "s06", "c2", "10:00:00", "11:00:00")
    log.session(6, "s06", "v2", "10:00:00", "10:40:00")
    log.add(6, "10:05:00", "ad_impression", "v2", "s06", impression_id="i4", campaign_id="cmp_002")
    # day 7 (04-02): a gift at April's price
    log.stream(7, "s07", "c1", "10:00:00", "12:00:00")
    log.session(7, "s07", "v1", "10:00:00", "11:00:00")
    log.add(7, "10:30:00", "gift_sent", "v1", "s07", gift_txn_id="g4", gift_id="gift_02", quantity=1)
    # day 8 (04-03): half of day 1's watch minutes
    log.stream(8, "s08", "c1", "10:00:00", "11:00:00")
    log.session(8, "s08", "v1", "10:00:00", "10:45:00")
    # day 9 (04-04): a stream nobody watches, a week after day 2's 30 minutes (week over week: -100 %)
    log.stream(9, "s09", "c2", "10:00:00", "10:30:00")
    # day 10 (04-05): watched, a week after day 3's none (week over week: undefined); the data's last day
    log.stream(10, "s10", "c1", "10:00:00", "11:00:00")
    log.session(10, "s10", "v2", "10:00:00", "10:20:00")
    return log


def write_csv(path: Path, header: tuple[str, ...] | list[str], rows: list[dict[str, Any]]) -> None:
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=list(header), quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(text.getvalue(), encoding="utf-8")


def write_sparse_set(folder: Path) -> Path:
    folder.mkdir(parents=True)
    log = sparse_events()
    with gzip.open(folder / "raw_live_events.csv.gz", "wt", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(EVENT_COLUMNS), quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writeheader()
        writer.writerows(log.rows)
    users = ["c1", "c2", "v1", "v2", "v3"]
    write_csv(
        folder / "users.csv",
        ("user_id", "signup_date", "country", "birth_year"),
        [{"user_id": user, "signup_date": "2018-06-01", "country": "US", "birth_year": "1990"} for user in users],
    )
    write_csv(
        folder / "gift_catalog.csv",
        ("gift_id", "gift_name", "coin_cost"),
        [{"gift_id": gift, "gift_name": gift.title(), "coin_cost": coins} for gift, coins in GIFT_COINS.items()],
    )
    write_csv(
        folder / "coin_prices.csv",
        ("valid_from", "usd_per_coin"),
        [{"valid_from": day.isoformat(), "usd_per_coin": str(price)} for day, price in USD_PER_COIN.items()],
    )
    write_csv(
        folder / "ad_campaigns.csv",
        ("campaign_id", "advertiser_id", "advertiser_name", "cpm_usd"),
        [
            {"campaign_id": campaign, "advertiser_id": "adv_1", "advertiser_name": "Acme", "cpm_usd": str(cpm)}
            for campaign, cpm in CAMPAIGN_CPM.items()
        ],
    )
    return folder


# ---------------------------------------------------------------------------------------------------
# The builds

GENERATED_CONFIG = GeneratorConfig(days=10, creators=8, viewers=250, seed=5, start=dt.date(2031, 1, 26))


@dataclass(frozen=True)
class CalendarBuild:
    warehouse: Warehouse
    reference: rr.Reference
    materialize_output: str

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.warehouse.duckdb_path), read_only=True) as connection:
            return connection.execute(sql).fetchall()

    def table(self, name: str) -> list[dict[str, Any]]:
        with duckdb.connect(str(self.warehouse.duckdb_path), read_only=True) as connection:
            cursor = connection.execute(f"select * from metrics.{name} order by metric_time__day")
            columns = [column[0] for column in cursor.description]
            return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def build(raw: Path, root: Path) -> CalendarBuild:
    warehouse = Warehouse(
        duckdb_path=root / "live.duckdb", target_path=root / "target", raw_data_path=raw, build_seconds=0.0
    )
    run_dbt(["build"], warehouse.duckdb_path, raw, warehouse.target_path, root / "logs")
    completed = run_cli(warehouse, "materialize")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return CalendarBuild(warehouse, rr.compute_reference(raw), completed.stdout)


@pytest.fixture(scope="module")
def sparse(tmp_path_factory: pytest.TempPathFactory) -> CalendarBuild:
    root = tmp_path_factory.mktemp("sparse_2019")
    return build(write_sparse_set(root / "raw"), root)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> CalendarBuild:
    root = tmp_path_factory.mktemp("generated_2031")
    write_dataset(generate_events(GENERATED_CONFIG), root / "raw", "csv")
    return build(root / "raw", root)


BUILDS = ("sparse", "generated")


@pytest.fixture(params=BUILDS)
def any_build(request: pytest.FixtureRequest) -> CalendarBuild:
    return request.getfixturevalue(request.param)


# ---------------------------------------------------------------------------------------------------
# Any year: the spine is the data's calendar, materialize writes rows, the scorecard shows numbers


def data_calendar(reference: rr.Reference) -> list[dt.date]:
    """Every day from the first clean event's day to the last day a stream was live, from the raw rows."""
    days = rr.calendar_days(reference)
    assert days == [days[0] + dt.timedelta(days=n) for n in range(len(days))] and len(days) >= 10
    return days


def test_the_years_are_outside_the_old_calendar(sparse: CalendarBuild, generated: CalendarBuild) -> None:
    assert {day.year for day in data_calendar(sparse.reference)} == {2019}
    assert {day.year for day in data_calendar(generated.reference)} == {2031}


def test_the_spine_is_the_data_calendar(any_build: CalendarBuild) -> None:
    spine = [day for (day,) in any_build.query("select date_day from marts.metricflow_time_spine order by 1")]
    assert spine == data_calendar(any_build.reference)


def test_materialize_writes_the_data_days(any_build: CalendarBuild) -> None:
    """Every table has rows, on days of the data only (a table has a row on a day one of its metrics has a
    value); every day of the data has a row in the creators' table (a stream every day in both sets) and
    in the platform's; only the last day is incomplete."""
    assert "no data yet" not in any_build.materialize_output
    days = data_calendar(any_build.reference)
    for table in SAVED_QUERY_TABLES:
        rows = any_build.table(table)
        assert rows, f"metrics.{table} is empty"
        assert {row["metric_time__day"] for row in rows} <= set(days), table
        assert all(row["period__is_complete"] == (row["metric_time__day"] < days[-1]) for row in rows), table
    for table in ("creators_daily_scorecard", "platform_daily_scorecard"):
        assert [row["metric_time__day"] for row in any_build.table(table)] == days, table


# ---------------------------------------------------------------------------------------------------
# Every metric of every table against the reference


MONEY_METRICS = frozenset(
    {"gift_revenue_usd", "platform_net_revenue_usd", "ad_revenue_usd", "gift_revenue_mtd_usd", "revenue_per_gifter_usd"}
)


def same(actual: Any, expected: Any, metric: str) -> bool:
    if actual is None or expected is None:
        return actual is None and expected is None
    if metric in MONEY_METRICS:
        return abs(Decimal(str(actual)) - Decimal(str(expected))) <= Decimal("0.000001")
    if isinstance(expected, int) and not isinstance(expected, bool):
        return actual == expected
    return math.isclose(float(actual), float(expected), rel_tol=1e-9, abs_tol=1e-12)


def expected_value(metric: str, day: dt.date, by_day: dict[dt.date, Any]) -> Any:
    """The reference's value; on a day it has none, 0 for a count or an amount and empty for a ratio."""
    if day in by_day:
        return by_day[day]
    return 0 if metric in ADDITIVE else None


def mismatches(build: CalendarBuild) -> list[str]:
    problems = []
    for table in SAVED_QUERY_TABLES:
        rows = build.table(table)
        metrics = [name for name in rows[0] if name != "metric_time__day" and not name.endswith("is_complete")]
        for metric in metrics:
            by_day = rr.DAILY_METRICS[metric](build.reference)
            for row in rows:
                day, want = row["metric_time__day"], expected_value(metric, row["metric_time__day"], by_day)
                if not same(row[metric], want, metric):
                    problems.append(f"  {table}.{metric} {day}: table={row[metric]!r} reference={want!r}")
    return problems


def test_every_metric_equals_the_reference(any_build: CalendarBuild) -> None:
    problems = mismatches(any_build)
    assert not problems, f"{len(problems)} value(s) differ from the raw reference:\n" + "\n".join(problems)


def test_the_scorecard_shows_numbers(any_build: CalendarBuild) -> None:
    """The scorecard of the latest complete day: the north star and every core metric and guardrail the data
    defines that day has a number, equal to the reference's (none reads "—" over clean events)."""
    completed = run_cli(any_build.warehouse, "scorecard", "--grain", "day", "--json")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    scorecard = json.loads(completed.stdout)
    days = data_calendar(any_build.reference)
    assert scorecard["period"]["start"] == scorecard["period"]["end"] == days[-2].isoformat()
    assert scorecard["last_data_day"] == days[-1].isoformat()
    shown = {record["metric"]: record for record in [*scorecard["metrics"], *scorecard.get("guardrails", [])]}
    assert "live_watch_minutes" in shown and len(shown) >= 20, sorted(shown)
    problems = []
    for metric, record in shown.items():
        want = expected_value(metric, days[-2], rr.DAILY_METRICS[metric](any_build.reference))
        if not same(record["value"], want, metric):
            problems.append(f"  {metric}: scorecard={record['value']!r} reference={want!r}")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------------------------
# The 2019 cases by name, each worked out from the rows written above


def day(n: int) -> dt.date:
    return SPARSE_DAYS[n - 1]


def usd(coins: int, on: dt.date) -> Decimal:
    price = [value for valid_from, value in sorted(USD_PER_COIN.items()) if valid_from <= on][-1]
    return coins * price


def metric_on(build: CalendarBuild, metric: str, on: dt.date) -> Any:
    for table in SAVED_QUERY_TABLES:
        for row in build.table(table):
            if metric in row and row["metric_time__day"] == on:
                return row[metric]
    raise AssertionError(f"{metric} has no row on {on}")


GIFT_DAY_USD = usd(10, day(1)) + usd(29999, day(1))
CASES: dict[str, tuple[int, Callable[[], Any]]] = {
    # day 1: gifts and no ad impression: half the gift USD, plus 0
    "platform_net_revenue_usd@1": (1, lambda: GIFT_DAY_USD / 2),
    # day 2: ads and no gift
    "platform_net_revenue_usd@2": (2, lambda: (CAMPAIGN_CPM["cmp_001"] + CAMPAIGN_CPM["cmp_002"]) / 1000),
    "gift_revenue_usd@2": (2, lambda: 0),
    "gifters@2": (2, lambda: 0),
    "gifter_conversion_rate@2": (2, lambda: 0.0),
    "creator_diamonds@2": (2, lambda: 0),
    "diamonds_per_stream_hour@2": (2, lambda: 0.0),
    "revenue_per_gifter_usd@2": (2, lambda: None),  # no gifter: undefined
    "whale_revenue_share@2": (2, lambda: None),  # no gift USD: undefined
    # day 3: no viewer, a refund of day 1's 10 coins (5 diamonds), a comment
    "live_watch_minutes@3": (3, lambda: 0),
    "live_viewers@3": (3, lambda: 0),
    "avg_concurrent_viewers@3": (3, lambda: 0.0),
    "watch_minutes_per_viewer@3": (3, lambda: None),
    "comments_per_watch_hour@3": (3, lambda: None),
    "platform_net_revenue_usd@3": (3, lambda: -usd(10, day(1)) / 2),
    "creator_diamonds@3": (3, lambda: -5),
    "diamonds_per_stream_hour@3": (3, lambda: -5 / 1.5),
    "gift_refund_rate@3": (3, lambda: None),  # refunded coins over no gifted coin: undefined
    "chat_messages_per_live_minute@3": (3, lambda: 1 / 90),
    # day 4: a notification nobody followed
    "notification_join_rate@4": (4, lambda: 0.0),
    "notification_open_rate@4": (4, lambda: 0.0),
    "notification_opt_out_rate@4": (4, lambda: 1.0),
    # day 6: the first of April, no gift yet
    "gift_revenue_mtd_usd@6": (6, lambda: 0),
    # day 7: April's first gift, at April's price
    "gift_revenue_mtd_usd@7": (7, lambda: usd(5, day(7))),
    # week over week: day 8 (45 min) against day 1 (90), day 9 (none) against day 2 (30), day 10 against day 3 (none)
    "watch_minutes_wow_growth@8": (8, lambda: -0.5),
    "watch_minutes_wow_growth@9": (9, lambda: -1.0),
    "watch_minutes_wow_growth@10": (10, lambda: None),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_an_empty_input_reads_zero_and_only_a_zero_denominator_is_empty(sparse: CalendarBuild, case: str) -> None:
    metric = case.split("@")[0]
    number, want = CASES[case]
    expected = want()
    actual = metric_on(sparse, metric, day(number))
    assert same(actual, expected, metric), f"{metric} on {day(number)}: {actual!r}, expected {expected!r}"
    if expected is not None:  # the reference agrees with the value worked out by hand
        assert same(expected_value(metric, day(number), rr.DAILY_METRICS[metric](sparse.reference)), expected, metric)
