"""One measurement run shared by export, scorecard, explain and check: values, series and explanation.

Opens nothing itself: the caller's MetricFlow session answers every query (one query for all metrics'
series, then one per segment dimension).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from live_metrics.anomaly import AnomalyRule
from live_metrics.drivers import DimensionQuerier, Explanation, build_explanation
from live_metrics.manifest import SemanticManifest
from live_metrics.snapshot import Snapshot, data_span, take_snapshot
from live_metrics.tree import MetricTree


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
) -> Measurement:
    """Every metric of ``tree`` for the latest complete ``grain`` period, and why the north star moved."""
    star = tree.north_star()
    assert star is not None  # callers run require_valid_tags first
    first_day, last_day = data_span(session, star)
    snapshot = take_snapshot(session, list(tree), grain, last_day, first_day, rule)
    explanation = build_explanation(manifest, tree, snapshot, session if segments else None)
    return Measurement(snapshot, explanation)
