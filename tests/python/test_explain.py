"""Why did it move: relations, exact splits, segments and anomalies.

Unit tests on generated numbers (random and planted), then the real semantic layer and the demo warehouse:
the parts always add up to the whole, a change planted in one segment is the top mover, a planted anomaly is
the only one flagged, and `explain` on the demo splits the north star's change exactly.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pytest

import raw_reference as rr
from conftest import Warehouse, run_cli
from live_metrics.engine.manifest import load_manifest
from live_metrics.engine.mf_engine import QueryResult
from live_metrics.tree.anomaly import AnomalyRule, detect
from live_metrics.tree.decompose import PRODUCT, SUM, Relation, find_relations, log_mean, split_change
from live_metrics.tree.drivers import segment_changes
from live_metrics.tree.snapshot import take_snapshot
from live_metrics.tree.tree import MetricNode, build_tree

# ---------------------------------------------------------------------------------------------------
# Exact splits on random data


@pytest.mark.parametrize("seed", range(200))
def test_product_split_adds_up_to_the_whole(seed: int) -> None:
    rng = random.Random(seed)
    size = rng.randint(2, 4)
    exponents = [rng.choice([1.0, -1.0, 2.0, 0.5]) for _ in range(size)]
    before = {f"p{i}": math.exp(rng.uniform(-6, 8)) for i in range(size)}
    after = {name: value * math.exp(rng.uniform(-2, 2)) for name, value in before.items()}
    for values in (before, after):
        values["x"] = math.prod(values[f"p{i}"] ** exponents[i] for i in range(size))
    relation = Relation("x", PRODUCT, tuple((f"p{i}", exponents[i]) for i in range(size)))
    split = split_change(relation, after, before)
    assert split is not None
    change = after["x"] - before["x"]
    assert abs(sum(value for _, value in split.contributions) - change) <= 1e-9 * max(1.0, abs(change))
    # each part is the LMDI effect L(x1, x0) · e · ln(p1 / p0)
    scale = log_mean(after["x"], before["x"])
    for (name, weight), (_, contribution) in zip(relation.parts, split.contributions, strict=True):
        expected = scale * weight * math.log(after[name] / before[name])
        assert contribution == pytest.approx(expected, rel=1e-6, abs=1e-9 * max(1.0, abs(change)))


@pytest.mark.parametrize("seed", range(100))
def test_sum_split_adds_up_to_the_whole(seed: int) -> None:
    rng = random.Random(seed)
    weights = [rng.choice([0.5, -0.5, 1.0, 3.0]) for _ in range(3)]
    before = {f"p{i}": rng.uniform(-1e4, 1e4) for i in range(3)}
    after = {f"p{i}": rng.uniform(-1e4, 1e4) for i in range(3)}
    for values in (before, after):
        values["x"] = sum(weights[i] * values[f"p{i}"] for i in range(3))
    relation = Relation("x", SUM, tuple((f"p{i}", weights[i]) for i in range(3)))
    split = split_change(relation, after, before)
    assert split is not None
    assert sum(value for _, value in split.contributions) == pytest.approx(after["x"] - before["x"], abs=1e-9)
    for (name, weight), (_, contribution) in zip(relation.parts, split.contributions, strict=True):
        assert contribution == pytest.approx(weight * (after[name] - before[name]), abs=1e-6)


def test_a_product_with_a_zero_factor_is_not_split() -> None:
    relation = Relation("x", PRODUCT, (("a", 1.0), ("b", 1.0)))
    assert split_change(relation, {"x": 0.0, "a": 0.0, "b": 3.0}, {"x": 6.0, "a": 2.0, "b": 3.0}) is None
    assert split_change(relation, {"x": 6.0, "a": None, "b": 3.0}, {"x": 6.0, "a": 2.0, "b": 3.0}) is None


# ---------------------------------------------------------------------------------------------------
# Segments: a planted change is the top mover


class SegmentQuerier:
    """A fake MetricFlow answering per-segment queries from generated rows: (period, dimension value) -> value."""

    def __init__(self, rows: dict[str, dict[tuple[dt.date, str], float]]) -> None:
        self.rows = rows  # group-by name -> (period start, segment) -> value of metric "m"

    def dimensions_for(self, metric: str) -> list[str]:
        return sorted(self.rows)

    def query_metrics(
        self,
        metrics: Sequence[str],
        group_by: Sequence[str] = (),
        start: dt.date | None = None,
        end: dt.date | None = None,
        order_by: Sequence[str] | None = None,
    ) -> QueryResult:
        time_column, dimension = group_by
        table = self.rows[dimension]
        rows = tuple((dt.datetime.combine(day, dt.time()), segment, value) for (day, segment), value in table.items())
        return QueryResult(columns=(time_column, dimension, *metrics), rows=rows)


@pytest.mark.parametrize("seed", range(20))
def test_a_change_planted_in_one_segment_is_the_top_mover(seed: int) -> None:
    rng = random.Random(seed)
    previous_week, week = dt.date(2026, 11, 9), dt.date(2026, 11, 16)
    countries = [f"C{i:02d}" for i in range(30)]
    planted = rng.choice(countries)
    rows: dict[tuple[dt.date, str], float] = {}
    for country in countries:
        base = rng.uniform(500, 5000)
        rows[(previous_week, country)] = base
        rows[(week, country)] = base * rng.uniform(0.95, 1.05)
    rows[(week, planted)] += 4000.0  # more than any natural movement (at most 5 % of 5000 = 250)
    rows[(previous_week, None)] = 10.0  # type: ignore[index]  # a segment with no value: "(unknown)"
    querier = SegmentQuerier({"session__country": rows, "session__platform": {(previous_week, "ios"): 1.0}})
    nodes = [MetricNode("m", "M", "", "simple", "platform", "north_star", None, "increase", "o", None)]
    values = {
        "2026-11-09": {"m": sum(v for (day, _), v in rows.items() if day == previous_week)},
        "2026-11-16": {"m": sum(v for (day, _), v in rows.items() if day == week)},
    }
    snapshot = take_snapshot(TotalsQuerier(values), nodes, "week", dt.date(2026, 11, 23))
    segments = segment_changes(querier, ["m"], snapshot)["m"]["session__country"]
    assert segments[0].segment == planted
    assert sum(segment.contribution for segment in segments) == pytest.approx(
        values["2026-11-16"]["m"] - values["2026-11-09"]["m"], abs=1e-6
    )
    assert any(segment.segment == "(unknown)" and segment.contribution == -10.0 for segment in segments)


class TotalsQuerier:
    """Answers per-period metric totals (period start ISO -> metric -> value)."""

    def __init__(self, values: dict[str, dict[str, float]]) -> None:
        self.values = values

    def query_metrics(
        self,
        metrics: Sequence[str],
        group_by: Sequence[str] = (),
        start: dt.date | None = None,
        end: dt.date | None = None,
        order_by: Sequence[str] | None = None,
    ) -> QueryResult:
        rows = tuple(
            (dt.datetime.fromisoformat(day), *(row.get(name) for name in metrics))
            for day, row in sorted(self.values.items())
        )
        return QueryResult(columns=(group_by[0], *metrics), rows=rows)


# ---------------------------------------------------------------------------------------------------
# Anomalies: a planted spike is flagged, and nothing else


def test_a_planted_anomaly_is_the_only_one_flagged() -> None:
    days = [dt.date(2026, 11, 1) + dt.timedelta(days=i) for i in range(20)]
    rng = random.Random(7)
    names = [f"metric_{i:02d}" for i in range(55)]
    series: dict[str, dict[str, float]] = {day.isoformat(): {} for day in days}
    for name in names:
        base, amplitude, phase = rng.uniform(10, 1e5), rng.uniform(0.01, 0.1), rng.uniform(0, 6.3)
        for index, day in enumerate(days):
            # a smooth weekly-ish wave: bounded, so no day lies 3 sd outside the 8 before it
            series[day.isoformat()][name] = base * (1 + amplitude * math.sin(phase + index * 2 * math.pi / 7))
    last_complete = days[-2]
    series[last_complete.isoformat()]["metric_13"] *= 1.8  # the planted spike
    nodes = [MetricNode(name, name, "", "simple", "platform", "core", "x", "increase", "o", None) for name in names]
    snapshot = take_snapshot(TotalsQuerier(series), nodes, "day", days[-1], days[0], AnomalyRule(window=8, sigma=3))
    assert snapshot.period.start == last_complete
    assert snapshot.anomalies() == ["metric_13"]
    assert all(value.anomaly is not None for value in snapshot.values.values())


def test_no_verdict_without_enough_history() -> None:
    assert detect([1.0, 2.0, 3.0], 100.0, AnomalyRule(window=8)) is None
    flat = detect([5.0] * 8, 5.0, AnomalyRule(window=8))
    assert flat is not None and not flat.flagged


# ---------------------------------------------------------------------------------------------------
# The real semantic layer and the demo warehouse


@pytest.fixture(scope="module")
def relations(warehouse: Warehouse) -> dict[str, Relation]:
    manifest = load_manifest(warehouse.semantic_manifest)
    return find_relations(manifest, build_tree(manifest))


def test_the_catalogue_relations_are_found(relations: dict[str, Relation]) -> None:
    def parts(name: str) -> dict[str, float]:
        return dict(relations[name].parts)

    assert parts("live_watch_minutes") == {"live_viewers": 1.0, "watch_minutes_per_viewer": 1.0}
    assert parts("watch_minutes_per_viewer") == {"sessions_per_viewer": 1.0, "avg_session_minutes": 1.0}
    assert parts("gift_revenue_usd") == {
        "live_viewers": 1.0,
        "gifter_conversion_rate": 1.0,
        "revenue_per_gifter_usd": 1.0,
    }
    assert parts("gifter_conversion_rate") == {"gifters": 1.0, "live_viewers": -1.0}
    assert parts("live_streams") == {"live_creators": 1.0, "streams_per_creator": 1.0}
    net = relations["platform_net_revenue_usd"]
    assert net.kind == SUM and dict(net.parts) == {
        "gift_revenue_usd": 0.5,
        "gift_refunded_usd": -0.5,
        "ad_revenue_usd": 1.0,
    }
    # guardrails and opaque metrics (conversion, distinct counts) explain nothing by identity
    assert "notification_join_rate" not in relations and "live_viewers" not in relations


@pytest.fixture(scope="module")
def explained(warehouse: Warehouse) -> dict:
    completed = run_cli(warehouse, "explain", "--json")
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def _check_node_adds_up(node: dict) -> None:
    if node["children"]:
        total = sum(child["contribution"] for child in node["children"])
        assert total == pytest.approx(node["contribution"], abs=1e-9 * max(1.0, abs(node["contribution"])))
        for child in node["children"]:
            _check_node_adds_up(child)


def test_explain_splits_the_demo_north_star_exactly(explained: dict, warehouse: Warehouse) -> None:
    reference = rr.cached_reference(warehouse.raw_data_path)
    weeks = rr.watch_minutes_by_period(reference, "week")
    period = dt.date.fromisoformat(explained["period"]["start"])
    previous = dt.date.fromisoformat(explained["previous_period"]["start"])
    # the whole: the change of watch minutes computed from the raw events, not from a mart
    assert explained["change_abs"] == pytest.approx(weeks[period] - weeks[previous], rel=1e-9)
    tree = explained["tree"]
    assert tree["contribution"] == pytest.approx(explained["change_abs"], rel=1e-12)
    assert {child["metric"] for child in tree["children"]} == {"live_viewers", "watch_minutes_per_viewer"}
    _check_node_adds_up(tree)
    assert explained["residual"] <= 1e-9 * abs(explained["change_abs"])
    assert explained["change_points"] is None  # watch minutes are a count: no change in points
    # the viewers' part is the LMDI effect of the viewers' own change, from the raw events
    viewers = rr.viewers_by_period(reference, "week")
    scale = log_mean(weeks[period], weeks[previous])
    viewers_part = next(child for child in tree["children"] if child["metric"] == "live_viewers")
    assert viewers_part["contribution"] == pytest.approx(
        scale * math.log(viewers[period] / viewers[previous]), rel=1e-9
    )


def test_explain_segments_add_up_per_dimension(explained: dict) -> None:
    by_dimension = explained["segments_by_metric"]["live_watch_minutes"]
    assert {
        "session__platform",
        "session__country",
        "session__category",
        "session__traffic_source",
        "viewer__age_band",
    } <= set(by_dimension)
    for dimension, segments in by_dimension.items():
        total = sum(segment["contribution"] for segment in segments)
        assert total == pytest.approx(explained["change_abs"], rel=1e-9), dimension
    top = explained["segments"]
    assert [abs(s["contribution"]) for s in top] == sorted((abs(s["contribution"]) for s in top), reverse=True)


def test_explain_segments_match_the_sessions_fact(explained: dict, warehouse: Warehouse) -> None:
    period = explained["period"]
    segments = explained["segments_by_metric"]["live_watch_minutes"]["session__platform"]
    with duckdb.connect(str(warehouse.duckdb_path), read_only=True) as connection:
        expected = dict(
            connection.execute(
                "select platform, sum(watch_minutes) from marts.fct_viewer_sessions "
                "where started_date between ? and ? group by 1",
                [period["start"], period["end"]],
            ).fetchall()
        )
    assert {s["segment"]: s["value"] for s in segments if s["value"]} == pytest.approx(expected, rel=1e-9)


def test_history_metrics_show_no_baseline_on_the_demo(warehouse: Warehouse, tmp_path: Path) -> None:
    completed = run_cli(warehouse, "export", "--out", str(tmp_path))
    assert completed.returncode == 0, completed.stderr
    nodes = {n["name"]: n for n in json.loads((tmp_path / "metric_tree.json").read_text())["nodes"]}
    # the demo runs from 2026-09-28 to 12-01: the week of 11-23 has 28 days of creator history, its month to
    # date and its week before, so the metrics needing history have a baseline; the 7-day retentions of its
    # days need data up to 12-06, so they are not final (their value is not shown as one), while the week
    # before, whose days end on 11-22 + 7, is
    for name in ("first_time_creators", "gift_revenue_mtd_usd", "watch_minutes_wow_growth"):
        assert nodes[name]["baseline"] is True and nodes[name]["final"] is True, name
        assert nodes[name]["baseline_note"] is None and nodes[name]["value"] is not None, name
    assert nodes["gift_revenue_mtd_usd"]["change"] is not None  # (first-time creators: 0 after 0, no change)
    for name in ("viewer_d7_retention", "creator_d7_retention", "retained_viewer_days"):
        assert nodes[name]["final"] is False and nodes[name]["baseline"] is False and nodes[name]["change"] is None
        assert nodes[name]["baseline_note"].startswith("no baseline: needs the 7 days after each day"), name
        assert nodes[name]["series"][-2]["value"] is not None  # the week before is final
    assert nodes["retained_viewer_days"]["helper"] is True and nodes["retained_viewer_days"]["trend"] is None
    assert nodes["live_watch_minutes"]["baseline"] is True and nodes["live_watch_minutes"]["change"] is not None
    assert nodes["watch_minutes_wow_growth"]["value"] is not None  # the latest week has its week before
    # a rate's change is also given in percentage points; the relative change stays as it was
    crash = nodes["stream_crash_rate"]
    assert crash["change_points"] == pytest.approx((crash["value"] - crash["previous"]) * 100, abs=1e-12)
    assert crash["change"] == pytest.approx((crash["value"] - crash["previous"]) / crash["previous"], rel=1e-12)
    assert nodes["live_watch_minutes"]["change_points"] is None  # a count
    assert nodes["viewer_d7_retention"]["change_points"] is None  # a rate without a baseline
    weights = {
        (e["source"], e["target"]): e["weight"]
        for e in json.loads((tmp_path / "metric_tree.json").read_text())["edges"]
    }
    assert weights[("live_watch_minutes", "live_viewers")] + weights[
        ("live_watch_minutes", "watch_minutes_per_viewer")
    ] == pytest.approx(1.0, abs=1e-12)
    assert weights[("live_watch_minutes", "live_streams")] is None  # context, not part of the identity
