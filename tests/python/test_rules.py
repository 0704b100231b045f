"""The integrity rules: the good fixture passes them all; each breakage FAILs exactly its rule.

Also: the guardrail and period logic. (seeds/metric_catalogue.csv against the contract,
docs/contract/metrics.md, is checked in test_project.py.)
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from live_metrics.engine.manifest import parse_manifest
from live_metrics.errors import UserError
from live_metrics.tree.catalogue import CatalogueEntry, load_catalogue
from live_metrics.tree.rules import (
    FAIL,
    PASS,
    RULE_CATALOGUE,
    RULE_LABELS,
    RULE_NAMES,
    RULE_NO_CYCLES,
    RULE_ONE_NORTH_STAR,
    RULE_PARENTS,
    RULE_REACHABLE,
    RULE_TAGS,
    RULE_THRESHOLDS,
    WARN,
    RuleResult,
    require_valid_tags,
    run_rules,
)
from live_metrics.tree.snapshot import (
    guardrail_status,
    last_complete_day,
    latest_complete_period,
    previous_period,
    trend,
)
from live_metrics.tree.tree import MetricTree, build_tree

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[2]

Document = dict[str, Any]


def good_document() -> Document:
    return json.loads((FIXTURES / "manifest_good.json").read_text(encoding="utf-8"))


def good_catalogue() -> tuple[CatalogueEntry, ...]:
    return load_catalogue(FIXTURES / "catalogue_good.csv")


def metric(document: Document, name: str) -> dict[str, Any]:
    return next(m for m in document["metrics"] if m["name"] == name)


def meta(document: Document, name: str) -> dict[str, Any]:
    return metric(document, name)["config"]["meta"]


def tree_of(document: Document) -> MetricTree:
    return build_tree(parse_manifest(document, Path("fixture.json")))


def results_by_rule(document: Document, catalogue: tuple[CatalogueEntry, ...] | None = None) -> dict[str, RuleResult]:
    results = run_rules(tree_of(document), good_catalogue() if catalogue is None else catalogue)
    assert [r.rule for r in results] == list(RULE_NAMES)
    return {r.rule: r for r in results}


def test_good_fixture_passes_every_rule() -> None:
    results = results_by_rule(good_document())
    assert {rule: r.status for rule, r in results.items()} == {rule: PASS for rule in RULE_NAMES}


def _set(name: str, key: str, value: Any) -> Callable[[Document], None]:
    def mutate(document: Document) -> None:
        meta(document, name)[key] = value

    return mutate


def _drop(name: str, key: str) -> Callable[[Document], None]:
    def mutate(document: Document) -> None:
        meta(document, name).pop(key, None)

    return mutate


def _remove_metric(name: str) -> Callable[[Document], None]:
    def mutate(document: Document) -> None:
        document["metrics"] = [m for m in document["metrics"] if m["name"] != name]

    return mutate


def _set_field(name: str, key: str, value: Any) -> Callable[[Document], None]:
    def mutate(document: Document) -> None:
        metric(document, name)[key] = value

    return mutate


# (case id, mutation, the rule that must FAIL, words its detail must contain)
BREAKAGES = [
    ("two north stars", _set("live_viewers", "tier", "north_star"), RULE_ONE_NORTH_STAR, ["2 metrics", "live_viewers"]),
    (
        "no north star",
        _set("live_watch_minutes", "tier", "core"),
        RULE_ONE_NORTH_STAR,
        ["no metric has tier north_star"],
    ),
    (
        "invalid stakeholder",
        _set("live_viewers", "stakeholder", "gamers"),
        RULE_TAGS,
        ["live_viewers", "stakeholder 'gamers'"],
    ),
    ("invalid tier", _set("viewer_sessions", "tier", "kpi"), RULE_TAGS, ["viewer_sessions", "tier 'kpi'"]),
    ("missing owner", _drop("live_streams", "owner"), RULE_TAGS, ["live_streams", "no owner"]),
    ("invalid direction", _set("live_streams", "direction", "up"), RULE_TAGS, ["live_streams", "direction 'up'"]),
    (
        "unknown parent",
        _set("notifications_sent", "parent", "notification_join"),
        RULE_PARENTS,
        ["notifications_sent", "'notification_join' is not a metric"],
    ),
    ("missing parent", _drop("live_streams", "parent"), RULE_PARENTS, ["live_streams: no parent"]),
    (
        "north star with parent",
        _set("live_watch_minutes", "parent", "live_viewers"),
        RULE_PARENTS,
        ["the north star has parent"],
    ),
    (
        "cycle",
        _set("live_viewers", "parent", "notification_join_rate"),
        RULE_NO_CYCLES,
        ["live_viewers → notification_join_rate → live_viewers"],
    ),
    (
        "guardrail without threshold",
        _drop("rebuffer_ratio", "threshold"),
        RULE_THRESHOLDS,
        ["rebuffer_ratio: no threshold"],
    ),
    (
        "guardrail with bad threshold",
        _set("stream_crash_rate", "threshold", "high"),
        RULE_THRESHOLDS,
        ["stream_crash_rate", "'high'"],
    ),
    (
        "catalogue metric missing",
        _remove_metric("crashed_streams"),
        RULE_CATALOGUE,
        ["1 missing from the manifest: crashed_streams"],
    ),
    (
        "catalogue mismatch",
        _set("live_viewers", "direction", "decrease"),
        RULE_CATALOGUE,
        ["live_viewers: direction 'decrease' (catalogue 'increase')"],
    ),
    (
        "catalogue threshold mismatch",
        _set("rebuffer_ratio", "threshold", 0.03),
        RULE_CATALOGUE,
        ["rebuffer_ratio: threshold 0.03 (catalogue '0.02')"],
    ),
    ("missing label", _set_field("live_viewers", "label", None), RULE_LABELS, ["live_viewers: no label"]),
    (
        "missing description",
        _set_field("live_streams", "description", ""),
        RULE_LABELS,
        ["live_streams: no description"],
    ),
]


@pytest.mark.parametrize(("mutate", "rule", "words"), [b[1:] for b in BREAKAGES], ids=[b[0] for b in BREAKAGES])
def test_each_breakage_fails_its_rule(mutate: Callable[[Document], None], rule: str, words: list[str]) -> None:
    document = good_document()
    mutate(document)
    results = results_by_rule(document)
    assert results[rule].status == FAIL, results[rule]
    for word in words:
        assert word in results[rule].detail, results[rule].detail


def test_a_cycle_also_breaks_reachability() -> None:
    document = good_document()
    meta(document, "live_viewers")["parent"] = "notification_join_rate"
    results = results_by_rule(document)
    assert results[RULE_REACHABLE].status == FAIL
    detail = results[RULE_REACHABLE].detail
    assert "live_viewers" in detail and "notification_join_rate" in detail and "notifications_sent" in detail


def test_unreachable_without_a_north_star() -> None:
    document = good_document()
    meta(document, "live_watch_minutes")["tier"] = "core"
    assert results_by_rule(document)[RULE_REACHABLE].status == FAIL


def test_threshold_on_non_guardrail_is_a_warning() -> None:
    document = good_document()
    meta(document, "live_viewers")["threshold"] = 5
    results = results_by_rule(document)
    assert results[RULE_THRESHOLDS].status == WARN and "live_viewers" in results[RULE_THRESHOLDS].detail


def test_extra_manifest_metrics_are_allowed() -> None:
    catalogue = tuple(e for e in good_catalogue() if e.metric_name != "crashed_streams")
    result = results_by_rule(good_document(), catalogue)[RULE_CATALOGUE]
    assert result.status == PASS and "1 extra" in result.detail


def test_empty_catalogue_fails() -> None:
    assert results_by_rule(good_document(), ())[RULE_CATALOGUE].status == FAIL


def test_require_valid_tags_names_the_metric() -> None:
    document = good_document()
    meta(document, "live_streams").pop("tier")
    with pytest.raises(UserError, match=r"metric 'live_streams' has missing or malformed config.meta \(no tier"):
        require_valid_tags(tree_of(document))
    require_valid_tags(tree_of(good_document()))


# --- guardrails and periods -------------------------------------------------------------------------


def test_guardrail_status_follows_direction_and_threshold() -> None:
    tree = tree_of(good_document())
    rebuffer = tree.nodes["rebuffer_ratio"]  # decrease, 0.02
    assert guardrail_status(rebuffer, 0.03) == "breached"
    assert guardrail_status(rebuffer, 0.02) == "ok"
    assert guardrail_status(rebuffer, None) == "no data"
    assert guardrail_status(tree.nodes["moderation_actions"], 1000) == "tracked"
    assert guardrail_status(tree.nodes["live_viewers"], 3) is None
    document = good_document()
    meta(document, "rebuffer_ratio")["direction"] = "increase"
    assert guardrail_status(tree_of(document).nodes["rebuffer_ratio"], 0.01) == "breached"


def test_trend_is_judged_in_the_metric_direction() -> None:
    assert trend("increase", 2, 1) == "better"
    assert trend("decrease", 2, 1) == "worse"
    assert trend("decrease", 1, 1) == "flat"
    assert trend("increase", None, 1) is None


@pytest.mark.parametrize(
    ("last_data_day", "complete_day"),
    [("2026-03-02", "2026-03-01"), ("2026-03-01", "2026-02-28")],
)
def test_the_last_data_day_may_be_cut_off(last_data_day: str, complete_day: str) -> None:
    assert last_complete_day(dt.date.fromisoformat(last_data_day)) == dt.date.fromisoformat(complete_day)


@pytest.mark.parametrize(
    ("last_day", "grain", "start", "end"),
    [
        ("2026-03-05", "day", "2026-03-05", "2026-03-05"),
        ("2026-03-05", "week", "2026-02-23", "2026-03-01"),  # Thursday: the week before is the last complete one
        ("2026-03-01", "week", "2026-02-23", "2026-03-01"),  # Sunday completes its own week
        ("2026-03-05", "month", "2026-02-01", "2026-02-28"),
        ("2026-03-31", "month", "2026-03-01", "2026-03-31"),
    ],
)
def test_latest_complete_period(last_day: str, grain: str, start: str, end: str) -> None:
    period = latest_complete_period(dt.date.fromisoformat(last_day), grain)
    assert (period.start.isoformat(), period.end.isoformat()) == (start, end)
    before = previous_period(period)
    assert before.end == period.start - dt.timedelta(days=1)


def test_catalogue_seed_loads() -> None:
    entries = load_catalogue(REPO / "seeds" / "metric_catalogue.csv")
    assert len(entries) == 57
    assert [e.metric_name for e in entries if e.tier == "north_star"] == ["live_watch_minutes"]
    assert next(e for e in entries if e.metric_name == "moderation_actions").threshold == "none"


def test_targets_and_history_needs_are_checked() -> None:
    from live_metrics.tree.rules import RULE_TARGETS, check_targets
    from live_metrics.tree.tree import MetricNode, MetricTree

    def node(name: str, **extra: object) -> MetricNode:
        return MetricNode(name, name, "d", "simple", "platform", "core", "x", "increase", "o", None, **extra)  # type: ignore[arg-type]

    good = MetricTree(
        nodes={"a": node("a", target=0.3, needs_history="month"), "b": node("b", needs_history=7)}, edges=()
    )
    assert check_targets(good, []).status == PASS
    bad = MetricTree(nodes={"a": node("a", target_text="soon"), "b": node("b", needs_history="forever")}, edges=())
    result = check_targets(bad, [])
    assert result.rule == RULE_TARGETS and result.status == "FAIL"
    assert "target 'soon' is not a number" in result.detail and "needs_history 'forever'" in result.detail


def test_retention_needs_the_days_after_the_period() -> None:
    """meta needs_future (retention): a period whose days lack their 7 following days has no baseline."""
    from live_metrics.tree.rules import check_targets
    from live_metrics.tree.snapshot import Period, baseline_note, has_baseline
    from live_metrics.tree.tree import MetricNode, MetricTree

    def retention(needs_future: object) -> MetricNode:
        return MetricNode(
            "r", "r", "d", "ratio", "viewers", "core", "x", "increase", "o", None, needs_future=needs_future
        )  # type: ignore[arg-type]

    week = Period("week", dt.date(2026, 11, 9), dt.date(2026, 11, 15))
    assert has_baseline(retention(7), week, dt.date(2026, 11, 9), dt.date(2026, 11, 22))  # 11-15 + 7 = 11-22
    assert not has_baseline(retention(7), week, dt.date(2026, 11, 9), dt.date(2026, 11, 21))
    note = baseline_note(retention(7), dt.date(2026, 11, 9), week, dt.date(2026, 11, 21))
    assert note == "no baseline: needs the 7 days after each day of the period; the data ends 2026-11-21"
    bad = MetricTree(nodes={"r": retention("soon")}, edges=())
    assert "needs_future 'soon' is not a number of days" in check_targets(bad, []).detail


def test_a_metric_computed_from_one_that_is_not_final_is_not_final_either() -> None:
    """A composite carries the needs_history / needs_future of its inputs (at least as many days)."""
    from live_metrics.tree.rules import check_targets
    from live_metrics.tree.tree import Edge, MetricNode, MetricTree

    def node(name: str, **extra: object) -> MetricNode:
        return MetricNode(name, name, "d", "ratio", "viewers", "core", "x", "increase", "o", None, **extra)  # type: ignore[arg-type]

    def tree(**composite: object) -> MetricTree:
        nodes = {"rate": node("rate", **composite), "first": node("first", needs_history=28), "days": node("days")}
        nodes["back"] = node("back", needs_future=7)
        edges = tuple(Edge("rate", name, "component") for name in ("first", "days", "back"))
        return MetricTree(nodes=nodes, edges=edges)

    assert check_targets(tree(needs_history=28, needs_future=7), []).status == PASS
    assert check_targets(tree(needs_history="month", needs_future=14), []).status == PASS
    detail = check_targets(tree(needs_history=7), []).detail
    assert "rate: computed from first (needs_history 28) but its needs_history is 7" in detail
    assert "rate: computed from back (needs_future 7) but its needs_future is missing" in detail


def test_a_helper_is_used_by_its_parent_and_is_no_catalogue_metric() -> None:
    """meta `helper: true` marks a numerator or denominator of the ratio above it (shown as context)."""
    from live_metrics.tree.rules import check_targets

    document = good_document()
    for name in ("rebuffer_ms_total", "played_plus_rebuffer_total"):
        meta(document, name)["helper"] = True
    tree = tree_of(document)
    assert [node.name for node in tree if node.helper] == ["rebuffer_ms_total", "played_plus_rebuffer_total"]
    helpers = {"rebuffer_ms_total", "played_plus_rebuffer_total"}
    catalogue = tuple(entry for entry in good_catalogue() if entry.metric_name not in helpers)
    result = check_targets(tree, catalogue)
    assert result.status == PASS and "2 helpers" in result.detail, result.detail

    meta(document, "viewer_sessions")["helper"] = True  # its parent, watch_minutes_per_viewer, does not divide it
    meta(document, "live_streams")["helper"] = "yes"  # only `true` makes a helper
    catalogue += (CatalogueEntry("rebuffer_ms_total", "viewers", "supporting", None, "increase", None, "d"),)
    broken = tree_of(document)
    assert not broken.nodes["live_streams"].helper
    detail = check_targets(broken, catalogue).detail
    assert "viewer_sessions: helper, but its parent watch_minutes_per_viewer does not use it" in detail
    assert "rebuffer_ms_total: a catalogue metric cannot be a helper" in detail
    assert "played_plus_rebuffer_total" not in detail
