"""`live-metrics explain`: why the north star moved, along the tree and along the dimensions."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Mapping
from typing import Any

from live_metrics.engine.manifest import load_manifest
from live_metrics.engine.mf_engine import MetricFlowSession
from live_metrics.ops import answers
from live_metrics.options import add_anomaly_arguments, add_project_arguments, resolve_paths
from live_metrics.render.formatting import (
    format_metric_change,
    format_share,
    format_signed,
    format_value,
    material_residual,
)
from live_metrics.render.table import format_table
from live_metrics.tree.drivers import Explanation
from live_metrics.tree.measure import Measurement, measure, rule_from_args
from live_metrics.tree.rules import require_valid_tags
from live_metrics.tree.snapshot import GRAINS, Snapshot
from live_metrics.tree.tree import MetricTree, build_tree

DESCRIPTION = """\
Explain the north star's change from the period before to the latest complete period (default: week):

  along the tree      the change split EXACTLY among the metrics that drive it: a product relation
                      (watch minutes = viewers × minutes per viewer) by the log-mean Divisia index
                      (LMDI), a sum (net revenue) additively; each driver is split further while its own
                      parts are new to the tree. The parts add up to the whole with no residual.
  context             the other metrics under the north star (not part of an identity): their change only
  other relations     every other metric with an identity, split the same way, in its own units
  along dimensions    for the north star and each additive core metric, the segments (platform, country,
                      category, join source, age band, gift, advertiser) that moved it most, with their
                      values before and after; a dimension's segments add up to the metric's change
  anomalies, targets  metrics whose latest period lies outside mean ± K sd of the N periods before
                      (--anomaly-window, --anomaly-sigma), and metrics with a meta `target`, on or off track

Metrics whose value depends on history the data does not hold (meta `needs_history`) show no baseline
instead of a change. --json prints everything as JSON. For the default arguments (with or without --json)
the run that built the warehouse stored the explanation in it, and it is printed at once (--fresh: query
MetricFlow again); the time shown is this command's own."""

DEFAULT_TOP = 3


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "explain",
        help="why the north star moved: exact split along the tree and the top moving segments",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--grain", choices=GRAINS, default="week", help="period to compare (default: week)")
    parser.add_argument(
        "--top",
        type=int,
        default=DEFAULT_TOP,
        metavar="N",
        help=f"segments shown per dimension and metric (default {DEFAULT_TOP})",
    )
    add_anomaly_arguments(parser)
    add_project_arguments(parser, catalogue=False, json_help="print the explanation as JSON")
    answers.add_fresh_argument(parser)
    parser.set_defaults(func=run)


def answer_arguments(grain: str, top: int, rule: dict[str, object], as_json: bool) -> dict[str, object]:
    """What explain's output depends on besides the warehouse and the manifest (a stored answer's key);
    --top shapes the text only."""
    return {"grain": grain, **rule, "json": as_json} | ({} if as_json else {"top": top})


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    top = max(args.top, 1)
    key = answer_arguments(args.grain, top, answers.rule_arguments(args), args.json)
    stored = answers.lookup(args, "explain", key)
    if stored is not None:  # computed by the run that built the file, from the same manifest
        document, text = (json.loads(stored.document), "") if args.json else ({}, stored.document)
    else:
        paths = resolve_paths(args)
        manifest = load_manifest(paths.manifest)
        tree = build_tree(manifest)
        require_valid_tags(tree)
        with answers.Progress("explain") as progress:
            progress.stage("starting MetricFlow (dbt profile, semantic manifest)")
            with MetricFlowSession(paths.project_dir, paths.manifest, paths.target) as session:
                rule = rule_from_args(args)
                measurement = measure(session, manifest, tree, args.grain, rule, progress=progress.stage)
        if args.json:
            document, text = explanation_document(tree, measurement.snapshot, measurement.explanation), ""
        else:
            document, text = {}, render_text(tree, measurement, top)
    seconds = time.perf_counter() - started  # this command's own time, whichever way it answered
    if args.json:
        print(json.dumps(document | {"seconds": round(seconds, 2)}, indent=2, default=str))
        return 0
    print(text)
    print(f"\n{seconds:.1f} s")
    return 0


def labels_of(tree: MetricTree) -> dict[str, str]:
    return {name: node.label or name for name, node in tree.nodes.items()}


def explanation_document(tree: MetricTree, snapshot: Snapshot, explanation: Explanation) -> dict[str, Any]:
    """The ``explain`` block of the exported document (also ``explain --json``)."""
    star = explanation.north_star
    value = snapshot.values[star]
    change_abs = None if value.value is None or value.previous is None else value.value - value.previous
    return {
        **snapshot.as_dict(),
        "metric": star,
        "value": value.value,
        "previous": value.previous,
        "change_abs": change_abs,
        "change": value.change,
        "change_points": value.change_points,
        "baseline": value.baseline,
        "tree": explanation.tree.as_dict(labels_of(tree)) if explanation.tree else None,
        "context": context_metrics(tree, explanation, star),
        "relations": {name: relation_dict(explanation, name) for name in sorted(explanation.splits, key=tree.sort_key)},
        "segments": [segment.as_dict() for segment in explanation.top_segments(star)],
        "segments_by_metric": {
            metric: {dim: [s.as_dict() for s in segments] for dim, segments in dims.items()}
            for metric, dims in explanation.segments.items()
        },
        "anomalies": sorted(snapshot.anomalies(), key=tree.sort_key),
        "anomalies_evaluated": snapshot.anomalies_evaluated(),
        "no_anomaly_text": snapshot.no_anomaly_text(),
        "targets": {
            name: {"target": tree.nodes[name].target, "status": item.target_status}
            for name, item in snapshot.values.items()
            if tree.nodes[name].target is not None
        },
        "residual": explanation.residual(),
    }


def relation_dict(explanation: Explanation, name: str) -> dict[str, Any] | None:
    split = explanation.splits.get(name)
    relation = explanation.relations.get(name)
    if relation is None:
        return None
    weight_key = "coefficient" if relation.kind == "sum" else "exponent"
    contributions = dict(split.contributions) if split else {}
    return {
        "relation": relation.kind,
        "identity": relation.text(),
        "change": split.change if split else None,
        "parts": [
            {
                "metric": part,
                weight_key: weight,
                "contribution": contributions.get(part),
                "share": split.share(part) if split else None,
            }
            for part, weight in relation.parts
        ],
    }


def context_metrics(tree: MetricTree, explanation: Explanation, name: str) -> list[str]:
    """Children of ``name`` in the tree that are not parts of its identity."""
    relation = explanation.relations.get(name)
    parts = set(relation.part_names) if relation else set()
    return [child for child in tree.children(name) if child not in parts]


def contribution_rows(node: Mapping[str, Any], star: str, indent: str, name: str = "{}") -> list[list[object]]:
    """Rows (metric, previous, value, change, contribution, share) of a contribution tree as a dict
    (``Contribution.as_dict``), children indented by ``indent`` and largest first; ``name`` formats the metric.
    A rate's change is in percentage points, any other metric's relative."""
    metric = str(node["metric"])
    rows: list[list[object]] = [
        [
            name.format(metric),
            format_value(node.get("previous"), metric),
            format_value(node.get("value"), metric),
            format_metric_change(metric, node.get("value"), node.get("previous"), node.get("change")),
            format_signed(node.get("contribution"), star),
            format_share(node.get("share")),
        ]
    ]
    for child in sorted(node.get("children") or [], key=lambda item: -abs(item["contribution"])):
        rows += [[indent + str(row[0]), *row[1:]] for row in contribution_rows(child, star, indent, name)]
    return rows


def render_text(tree: MetricTree, measurement: Measurement, top: int) -> str:
    snapshot, explanation = measurement.snapshot, measurement.explanation
    star = explanation.north_star
    lines = [f"Why {star} moved: {snapshot.period.label} vs {snapshot.previous.label}"]
    lines.append(_headline(snapshot, star))
    if explanation.tree is None:
        lines.append("\nNo change to explain: the north star has no value in one of the two periods.")
    else:
        lines.append(f"\nAlong the tree (contributions in {star}; each level adds up exactly to the one above)")
        rows = contribution_rows(explanation.tree.as_dict(labels_of(tree)), star, "· ")
        lines.append(format_table(["metric", "previous", "value", "change", "contribution", "share"], rows))
        if material_residual(explanation.residual(), explanation.tree.contribution):
            lines.append(f"residual: {explanation.residual():.3g}")
    context = context_metrics(tree, explanation, star)
    if context:
        lines.append("\nContext (under the north star, not part of its identity)")
        lines.append(_context_table(snapshot, context))
    lines.append("\nOther relations (each in its own units)")
    lines.append(_relations_table(tree, explanation))
    lines.append("\nAlong the dimensions (top movers per dimension)")
    lines.append(_segments_table(tree, explanation, top))
    lines.append("\n" + _anomaly_lines(tree, snapshot))
    return "\n".join(lines)


def _headline(snapshot: Snapshot, star: str) -> str:
    value = snapshot.values[star]
    if value.value is None or value.previous is None:
        return f"{star}: {format_value(value.value, star)} (previous {format_value(value.previous, star)})"
    delta = format_signed(value.value - value.previous, star)
    change = format_metric_change(star, value.value, value.previous, value.change, value.baseline)
    text = f"{star}: {format_value(value.previous, star)} → {format_value(value.value, star)}: {delta}"
    return text if change == delta else f"{text} ({change})"  # a rate's change in points is its delta


def _context_table(snapshot: Snapshot, names: list[str]) -> str:
    rows = []
    for name in names:
        item = snapshot.values.get(name)
        if item is None:
            continue
        change = format_metric_change(name, item.value, item.previous, item.change, item.baseline)
        rows.append([name, format_value(item.previous, name), format_value(item.value, name), change])
    return format_table(["metric", "previous", "value", "change"], rows)


def _relations_table(tree: MetricTree, explanation: Explanation) -> str:
    expanded = {node.metric for node in explanation.tree.walk() if node.children} if explanation.tree else set()
    rows = []
    for name in sorted(explanation.splits, key=tree.sort_key):
        if name in expanded:
            continue
        split = explanation.splits[name]
        parts = ", ".join(
            f"{part} {format_signed(amount, name)}"
            for part, amount in sorted(split.contributions, key=lambda p: -abs(p[1]))
        )
        rows.append([split.relation.text(), format_signed(split.change, name), parts])
    return format_table(["identity", "change", "split"], rows) if rows else "(none)"


def _segments_table(tree: MetricTree, explanation: Explanation, top: int) -> str:
    rows = []
    for metric in sorted(explanation.segments, key=tree.sort_key):
        for _dimension, segments in explanation.segments[metric].items():
            for segment in segments[:top]:
                rows.append(
                    [
                        metric,
                        segment.dimension_label,
                        segment.segment,
                        format_value(segment.previous, metric),
                        format_value(segment.value, metric),
                        format_signed(segment.contribution, metric),
                        format_share(segment.share),
                    ]
                )
    headers = ["metric", "dimension", "segment", "previous", "value", "contribution", "share"]
    return format_table(headers, rows) if rows else "(no segment data)"


def _anomaly_lines(tree: MetricTree, snapshot: Snapshot) -> str:
    flagged = sorted(snapshot.anomalies(), key=tree.sort_key)
    rule = snapshot.rule.describe()
    lines = [f"Anomalies ({rule}): " + (", ".join(flagged) if flagged else snapshot.no_anomaly_text())]
    lines += [f"  {snapshot.anomaly_text(name)}" for name in flagged]
    targets = {name: v for name, v in snapshot.values.items() if v.target_status}
    if targets:
        lines.append(
            "Targets: "
            + ", ".join(
                f"{name} {v.target_status} "
                f"({format_value(v.value, name)} vs {format_value(tree.nodes[name].target, name)})"
                for name, v in sorted(targets.items())
            )
        )
    return "\n".join(lines)


def node_fields(
    explanation: Explanation, name: str, tree: MetricTree, contributions: Mapping[str, float]
) -> Mapping[str, Any]:
    """The per-node explanation keys of the exported document (``contributions``: the north star's, by metric)."""
    relation = relation_dict(explanation, name)
    decomposition = None
    if relation is not None:
        decomposition = {
            "relation": relation["relation"],
            "identity": relation["identity"],
            "parts": relation["parts"],
            "context": context_metrics(tree, explanation, name),
        }
    return {
        "decomposition": decomposition,
        "segments": [segment.as_dict() for segment in explanation.top_segments(name)],
        "north_star_contribution": contributions.get(name),
    }
