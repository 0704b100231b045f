"""Building the metric tree from a semantic manifest: nodes, parent edges and component edges."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from live_metrics.engine.manifest import load_manifest, parse_manifest
from live_metrics.errors import UserError
from live_metrics.tree.tree import Edge, MetricTree, build_tree, parse_threshold

FIXTURES = Path(__file__).parent / "fixtures"
GOOD_MANIFEST = FIXTURES / "manifest_good.json"


def good_document() -> dict[str, Any]:
    return json.loads(GOOD_MANIFEST.read_text(encoding="utf-8"))


def tree_from(document: dict[str, Any]) -> MetricTree:
    return build_tree(parse_manifest(document, Path("test.json")))


@pytest.fixture(scope="module")
def tree() -> MetricTree:
    return build_tree(load_manifest(GOOD_MANIFEST))


def test_nodes_carry_meta_and_type(tree: MetricTree) -> None:
    assert len(tree) == 17
    star = tree.nodes["live_watch_minutes"]
    assert (star.type, star.tier, star.stakeholder, star.parent, star.direction, star.owner) == (
        "simple",
        "north_star",
        "platform",
        None,
        "increase",
        "live-core",
    )
    rebuffer = tree.nodes["rebuffer_ratio"]
    assert rebuffer.type == "ratio" and rebuffer.is_guardrail and rebuffer.threshold == 0.02
    assert tree.nodes["moderation_actions"].threshold == "none"
    assert tree.nodes["live_viewers"].threshold is None and not tree.nodes["live_viewers"].has_threshold
    assert {node.type for node in tree} == {"simple", "ratio", "derived", "cumulative", "conversion"}
    assert tree.north_star() == "live_watch_minutes"


def test_parent_edges_point_from_parent_to_child(tree: MetricTree) -> None:
    parent_edges = set(tree.parent_edges())
    assert len(parent_edges) == 16  # every metric but the north star
    assert Edge("live_watch_minutes", "live_viewers", "parent") in parent_edges
    assert Edge("live_viewers", "notification_join_rate", "parent") in parent_edges
    assert tree.children("rebuffer_ratio") == ("played_plus_rebuffer_total", "rebuffer_ms_total")


def test_component_edges_cover_every_metric_type(tree: MetricTree) -> None:
    components = {(edge.source, edge.target) for edge in tree.component_edges()}
    # ratio: numerator and denominator
    assert ("watch_minutes_per_viewer", "live_watch_minutes") in components
    assert ("watch_minutes_per_viewer", "live_viewers") in components
    # derived with an offset window: the same input twice gives one edge
    assert [e for e in tree.component_edges() if e.source == "watch_minutes_wow_growth"] == [
        Edge("watch_minutes_wow_growth", "live_watch_minutes", "component")
    ]
    # cumulative over a measure: resolved to the simple metric built on that measure
    assert ("watch_minutes_mtd", "live_watch_minutes") in components
    assert tree.nodes["watch_minutes_mtd"].input_measures == ("watch_minutes",)
    # conversion: base measure resolves to a metric; the conversion measure (no metric) stays a measure
    assert ("notification_join_rate", "notifications_sent") in components
    assert tree.nodes["notification_join_rate"].input_measures == ("notifications_sent", "joins")
    # simple metrics have no component edges
    assert not [e for e in tree.component_edges() if e.source == "live_viewers"]
    assert len(components) == 11


def test_edges_only_join_existing_metrics(tree: MetricTree) -> None:
    for edge in tree.edges:
        assert edge.source in tree.nodes and edge.target in tree.nodes
        assert edge.kind in ("parent", "component")


def test_unknown_parent_gets_no_edge_but_stays_on_the_node() -> None:
    document = good_document()
    metric = next(m for m in document["metrics"] if m["name"] == "live_viewers")
    metric["config"]["meta"]["parent"] = "no_such_metric"
    tree = tree_from(document)
    assert tree.nodes["live_viewers"].parent == "no_such_metric"
    assert not [e for e in tree.edges if e.target == "live_viewers" and e.kind == "parent"]


def test_subset_keeps_ancestors(tree: MetricTree) -> None:
    small = tree.subset(["rebuffer_ms_total"])
    assert set(small.nodes) == {"rebuffer_ms_total", "rebuffer_ratio", "watch_minutes_per_viewer", "live_watch_minutes"}
    assert all(e.source in small.nodes and e.target in small.nodes for e in small.edges)


def test_ancestors_stop_on_cycles() -> None:
    document = good_document()
    metric = next(m for m in document["metrics"] if m["name"] == "live_watch_minutes")
    metric["config"]["meta"]["parent"] = "notification_join_rate"
    tree = tree_from(document)
    assert tree.ancestors("live_viewers") == ["live_watch_minutes", "notification_join_rate"]


def test_threshold_parsing() -> None:
    assert parse_threshold(0) == 0.0
    assert parse_threshold("0.5") == 0.5
    assert parse_threshold("None") == "none"
    assert parse_threshold(None) is None
    assert parse_threshold("high") == "high"
    assert parse_threshold(True) == "true"


def test_grouping_by_stakeholder_and_tier(tree: MetricTree) -> None:
    grouped = tree.by_stakeholder_and_tier()
    assert list(grouped) == ["creators", "viewers", "platform"]
    assert [n.name for n in grouped["platform"]["north_star"]] == ["live_watch_minutes"]
    assert [n.name for n in grouped["creators"]["guardrail"]] == ["stream_crash_rate"]


def test_missing_meta_is_tolerated_by_the_loader() -> None:
    document = good_document()
    metric = next(m for m in document["metrics"] if m["name"] == "live_viewers")
    metric["config"] = None
    tree = tree_from(document)
    assert tree.nodes["live_viewers"].tag_problems() == ["no stakeholder", "no tier", "no direction", "no owner"]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda m: m["config"].__setitem__("meta", ["platform"]), "malformed config.meta"),
        (lambda m: m["config"]["meta"].__setitem__("parent", ["a", "b"]), "config.meta.parent"),
        (lambda m: m.__setitem__("config", "meta"), "malformed config"),
    ],
)
def test_malformed_meta_is_a_user_error_naming_the_metric(mutate: Any, expected: str) -> None:
    document = copy.deepcopy(good_document())
    mutate(next(m for m in document["metrics"] if m["name"] == "live_viewers"))
    with pytest.raises(UserError) as caught:
        tree_from(document)
    assert "live_viewers" in str(caught.value) and expected in str(caught.value)


def test_saved_queries_are_loaded() -> None:
    manifest = load_manifest(GOOD_MANIFEST)
    names = [query.name for query in manifest.saved_queries]
    assert sorted(names) == ["guardrails_daily", "platform_daily", "viewers_daily"]
    platform = next(q for q in manifest.saved_queries if q.name == "platform_daily")
    assert platform.metrics == ("live_watch_minutes", "watch_minutes_wow_growth", "watch_minutes_mtd")
