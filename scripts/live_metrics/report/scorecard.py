"""`live-metrics scorecard`: the north star and core metrics, this period vs the one before, and guardrails."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import sys
from dataclasses import dataclass

from live_metrics.engine.manifest import load_manifest
from live_metrics.engine.mf_engine import MetricFlowSession
from live_metrics.ops import answers
from live_metrics.options import add_anomaly_arguments, add_project_arguments, check_known, resolve_paths, split_names
from live_metrics.render.formatting import (
    format_metric_change,
    format_share,
    format_signed,
    format_threshold,
    format_value,
)
from live_metrics.render.table import format_table
from live_metrics.tree.measure import Measurement, measure, rule_from_args
from live_metrics.tree.rules import require_valid_tags
from live_metrics.tree.snapshot import GRAINS, STATUS_BREACHED, Snapshot
from live_metrics.tree.tree import MetricTree, build_tree

DESCRIPTION = """\
Print a short scorecard: the north star and the core metrics for the latest complete week against the
week before (value, previous, change, better/worse in the metric's direction), then every guardrail's
value, threshold and status (ok / breached / tracked), and a short "why it moved": the north star's
change split along the tree and its top moving segments (the full version is `live-metrics explain`).
A change is relative for counts and amounts (+3.2%) and in percentage points for rates (0.01% → 0.54%:
+0.53 pp; --json keeps the relative change and adds change_points). A metric whose value needs history
the data does not hold shows "no baseline"; flags mark anomalies (--anomaly-window, --anomaly-sigma)
and targets. Values come from one MetricFlow query; for the default arguments (with or without --json)
the run that built the warehouse stored the answer in it, and it is printed at once (--fresh: query again).
Add metrics with --metric; --grain day|month changes the period; --json prints the same as JSON."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "scorecard",
        help="north star + core metrics, latest complete week vs the week before, and guardrail status",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--metric",
        action="append",
        metavar="NAME[,NAME...]",
        help="also show these metrics (repeatable or comma-separated)",
    )
    parser.add_argument("--grain", choices=GRAINS, default="week", help="period to compare (default: week)")
    add_anomaly_arguments(parser)
    add_project_arguments(parser, catalogue=False, json_help="print the scorecard as JSON")
    answers.add_fresh_argument(parser)
    parser.set_defaults(func=run)


def _flags(record: dict[str, object]) -> str:
    flags = []
    anomaly = record.get("anomaly")
    if isinstance(anomaly, dict) and anomaly.get("flagged"):
        flags.append("ANOMALY")
    if record.get("target_status"):
        flags.append(str(record["target_status"]))
    return ", ".join(flags)


def why_lines(measurement: Measurement, top: int = 3) -> list[str]:
    """A short version of `explain`: the north star's first-level split and its top moving segments."""
    explanation = measurement.explanation
    star = explanation.north_star
    lines: list[str] = []
    if explanation.tree is not None and explanation.tree.children:
        parts = sorted(explanation.tree.children, key=lambda child: -abs(child.contribution))
        lines.append(
            f"{star} {format_signed(explanation.tree.contribution, star)} = "
            + " ".join(
                f"{format_signed(p.contribution, star)} from {p.metric} ({format_share(p.share)})" for p in parts
            )
        )
    for segment in explanation.top_segments(star, top):
        lines.append(
            f"{segment.dimension_label} {segment.segment}: {format_value(segment.previous, star)} → "
            f"{format_value(segment.value, star)} ({format_signed(segment.contribution, star)})"
        )
    return lines


@dataclass(frozen=True)
class Scorecard:
    """What the scorecard shows: the headline metrics' and guardrails' records, and why the north star moved."""

    snapshot: Snapshot
    first_day: dt.date  # the data's first day (the period's start when unknown)
    metrics: list[dict[str, object]]
    guardrails: list[dict[str, object]]
    why: list[str]

    @property
    def breached(self) -> list[object]:
        return [g["metric"] for g in self.guardrails if g["status"] == STATUS_BREACHED]

    def as_dict(self) -> dict[str, object]:
        return {
            **self.snapshot.as_dict(),
            "first_data_day": self.first_day.isoformat(),
            "metrics": self.metrics,
            "guardrails": self.guardrails,
            "breached": self.breached,
            "anomalies": self.snapshot.anomalies(),
            "why": self.why,
        }


def answer_arguments(grain: str, extra: list[str], rule: dict[str, object], as_json: bool) -> dict[str, object]:
    """What the scorecard's output depends on besides the warehouse and the manifest (a stored answer's key)."""
    return {"grain": grain, "metrics": list(extra), **rule, "json": as_json}


def run(args: argparse.Namespace) -> int:
    extra = split_names(args.metric)
    key = answer_arguments(args.grain, extra, answers.rule_arguments(args), args.json)
    stored = answers.lookup(args, "scorecard", key)
    if stored is not None:  # computed by the run that built the file, from the same manifest
        sys.stdout.write(stored.document)
        return 0
    paths = resolve_paths(args)
    manifest = load_manifest(paths.manifest)
    tree = build_tree(manifest)
    check_known(extra, list(tree.nodes), "metric", "--metric")
    require_valid_tags(tree)
    with answers.Progress("scorecard") as progress:
        progress.stage("starting MetricFlow (dbt profile, semantic manifest)")
        with MetricFlowSession(paths.project_dir, paths.manifest, paths.target) as session:
            measurement = measure(session, manifest, tree, args.grain, rule_from_args(args), progress=progress.stage)
    card = build_scorecard(tree, measurement, extra)
    sys.stdout.write(render(card, args.grain, args.json))
    return 0


def render(card: Scorecard, grain: str, as_json: bool) -> str:
    """What the scorecard prints: the JSON document, or the text of ``print_scorecard``."""
    if as_json:
        return json.dumps(card.as_dict(), indent=2, ensure_ascii=False, default=str) + "\n"
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        print_scorecard(card, grain)
    return text.getvalue()


def build_scorecard(tree: MetricTree, measurement: Measurement, extra: list[str]) -> Scorecard:
    """The north star and core metrics (then ``extra``), and every guardrail, in tree order."""
    ordered = sorted(tree.nodes, key=tree.sort_key)
    headline = [name for name in ordered if tree.nodes[name].tier in ("north_star", "core")]
    headline += [name for name in extra if name not in headline]
    guardrails = [name for name in ordered if tree.nodes[name].is_guardrail]
    snapshot = measurement.snapshot
    return Scorecard(
        snapshot=snapshot,
        first_day=snapshot.first_data_day or snapshot.period.start,
        metrics=[_record(tree, snapshot, name) for name in headline],
        guardrails=[_record(tree, snapshot, name) for name in guardrails],
        why=why_lines(measurement),
    )


def _record(tree: MetricTree, snapshot: Snapshot, name: str) -> dict[str, object]:
    node = tree.nodes[name]
    return {
        "metric": name,
        "label": node.label,
        "stakeholder": node.stakeholder,
        "tier": node.tier,
        "direction": node.direction,
        "threshold": node.threshold,
        **snapshot.values[name].as_dict(),
    }


def print_scorecard(card: Scorecard, grain: str) -> None:
    """The scorecard as text: the period, the metrics table, why it moved, the guardrails, what failed."""
    snapshot = card.snapshot
    print(
        f"Scorecard: {snapshot.period.label} vs {snapshot.previous.label} "
        f"(last complete day {snapshot.last_complete_day.isoformat()}; "
        f"data through {snapshot.last_data_day.isoformat()})\n"
    )
    if snapshot.period.end < card.first_day:
        print(
            f"note: the data starts on {card.first_day.isoformat()}, after {snapshot.period.label} ends: there is "
            f"no complete {grain} of data yet, so every value is empty; try a shorter --grain\n"
        )
    print(_metrics_table(card.metrics))
    if card.why:
        print("\nWhy it moved (`live-metrics explain` for the full split):")
        print("\n".join(f"  {line}" for line in card.why))
    if card.guardrails:
        print()
        print(_guardrails_table(card.guardrails))
        breached = card.breached
        print(
            f"\n{len(breached)} of {len(card.guardrails)} guardrails breached"
            + (f": {', '.join(str(name) for name in breached)}" if breached else "")
        )
    failed = [m["metric"] for m in card.metrics + card.guardrails if m["error"]]
    if failed:
        print(f"{len(failed)} metrics could not be queried: {', '.join(str(name) for name in failed)}")


def _metrics_table(metrics: list[dict[str, object]]) -> str:
    rows = []
    for m in metrics:
        name = str(m["metric"])
        rows.append(
            [
                name,
                m["stakeholder"],
                m["tier"],
                format_value(m["value"], name),
                format_value(m["previous"], name),
                format_metric_change(name, m["value"], m["previous"], m["change"], bool(m["baseline"])),  # type: ignore[arg-type]
                m["trend"] or ("error" if m["error"] else ""),
                _flags(m),
            ]
        )
    return format_table(["metric", "stakeholder", "tier", "value", "previous", "change", "trend", "flags"], rows)


def _guardrails_table(guardrails: list[dict[str, object]]) -> str:
    rows = [
        [
            g["metric"],
            g["stakeholder"],
            format_value(g["value"], str(g["metric"])),
            format_threshold(g["threshold"], str(g["metric"])),
            "ERROR" if g["error"] else ("BREACHED" if g["status"] == STATUS_BREACHED else g["status"]),
        ]
        for g in guardrails
    ]
    return format_table(["guardrail", "stakeholder", "value", "threshold", "status"], rows)
