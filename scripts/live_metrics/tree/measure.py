"""One measurement run shared by export, scorecard, explain and check: values, series and explanation.

Opens nothing itself: the caller's MetricFlow session answers every query (one query for all metrics'
series, then one per segment dimension).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

from live_metrics.engine.manifest import SemanticManifest
from live_metrics.tree.anomaly import AnomalyRule
from live_metrics.tree.drivers import DimensionQuerier, Explanation, build_explanation
from live_metrics.tree.snapshot import Snapshot, data_span, take_snapshot
from live_metrics.tree.tree import MetricTree


@dataclass(frozen=True)
class Measurement:
    snapshot: Snapshot
    explanation: Explanation


def rule_from_args(args: argparse.Namespace) -> AnomalyRule:
    return AnomalyRule(window=args.anomaly_window, sigma=args.anomaly_sigma)


def measure(
    session: DimensionQuerier,
    manifest: SemanticManifest,
    tree: MetricTree,
    grain: str,
    rule: AnomalyRule,
    segments: bool = True,
    progress: Callable[[str], None] | None = None,
) -> Measurement:
    """Every metric of ``tree`` for the latest complete ``grain`` period, and why the north star moved.

    ``progress`` is told each stage as it starts (the commands show it on stderr when they take long)."""
    say = progress or (lambda _text: None)
    star = tree.north_star()
    assert star is not None  # callers run require_valid_tags first
    say(f"querying MetricFlow: the data's span ({star} by day)")
    first_day, last_day = data_span(session, star)
    say(f"querying MetricFlow: {len(tree)} metrics by {grain}, the latest complete {grain} and {rule.window} before it")
    snapshot = take_snapshot(session, list(tree), grain, last_day, first_day, rule)
    say("splitting the north star's change along the tree" + (" and the dimensions" if segments else ""))
    explanation = build_explanation(manifest, tree, snapshot, session if segments else None)
    return Measurement(snapshot, explanation)
