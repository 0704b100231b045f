"""`live-metrics export`: write the metric tree as JSON, Mermaid, Markdown and one offline HTML page."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from live_metrics.engine.manifest import load_manifest
from live_metrics.engine.mf_engine import MetricFlowSession
from live_metrics.errors import UserError
from live_metrics.ops import answers
from live_metrics.options import (
    add_anomaly_arguments,
    add_project_arguments,
    check_known,
    resolve_paths,
    split_names,
    writable_dir,
)
from live_metrics.render.exporters import EXPORT_FORMATS, attach_periods, build_document, write_all
from live_metrics.render.formatting import format_node_change, format_value
from live_metrics.render.table import format_table
from live_metrics.report import check, explain, scorecard
from live_metrics.tree.catalogue import load_catalogue
from live_metrics.tree.measure import Measurement, measure, rule_from_args
from live_metrics.tree.periods import GrainPeriods, measure_periods, page_periods
from live_metrics.tree.rules import require_valid_tags
from live_metrics.tree.snapshot import GRAINS
from live_metrics.tree.tree import build_tree

DEFAULT_OUT = Path("output") / "metric_tree"


def _files_help() -> str:
    """One paragraph per export format, from the registry: its file name, then what it holds."""
    column = 5 + max(len(export_format.file_name) for export_format in EXPORT_FORMATS.values())
    return "\n".join(
        textwrap.fill(
            export_format.description,
            width=105,
            initial_indent=f"  {export_format.file_name:<{column - 2}}",
            subsequent_indent=" " * column,
        )
        for export_format in EXPORT_FORMATS.values()
    )


DESCRIPTION = f"""\
Export the metric tree (nodes with their meta, parent and component edges) to DIR, in these formats
(--format picks some):

{_files_help()}

Values come from ONE MetricFlow query over all metrics for the latest complete --grain period and the
--anomaly-window periods before it (the data's last day is the latest day with a north-star value):
each node carries its value, change (or "no baseline"; for a rate also change_points, its change in
percentage points), sparkline series, anomaly band, target status, its decomposition (the identity that
explains it, split exactly) and its top moving segments; parent edges carry the child's share of the
parent's change. The document's `explain` block is the output of `live-metrics explain`. --no-values
writes the tree alone and needs no warehouse.

The HTML page also carries every other complete day, week and month that has the period before it in
the data, for its grain switch and period picker (one query per metric set and group-by over the whole
data, cut per period); LIVE_EXPORT_PERIODS=latest leaves them out (a page no person reads: faster)."""


def first_data_day(measurement: Measurement) -> dt.date:
    """The data's first day as the measurement found it (its period's start when it was not found)."""
    return measurement.snapshot.first_data_day or measurement.snapshot.period.start


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export",
        help="export the metric tree (JSON, Mermaid, Markdown, HTML) with current values",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--out", type=Path, default=None, metavar="DIR", help=f"output directory; default: {DEFAULT_OUT} in the project"
    )
    parser.add_argument(
        "--grain", choices=GRAINS, default="week", help="period the values are computed over (default: week)"
    )
    parser.add_argument("--no-values", action="store_true", help="export the tree without values (no warehouse)")
    parser.add_argument(
        "--format",
        action="append",
        metavar="NAME[,NAME...]",
        help=f"write only these formats: {', '.join(EXPORT_FORMATS)} (repeatable or comma-separated; default: all)",
    )
    add_anomaly_arguments(parser)
    parser.add_argument(
        "--metrics",
        action="append",
        metavar="NAME[,NAME...]",
        help="export only these metrics and their ancestors up to the north star (repeatable or comma-separated)",
    )
    add_project_arguments(parser, json_help="print what was written as JSON")
    parser.add_argument(
        "--store-answers",
        action="store_true",
        help="a step of `live-metrics build` / `daily`: also store what scorecard, explain and check print for "
        "their default arguments in the run's work file (live_ops.answers), from the same measurement; "
        "refused on any other file",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    formats = split_names(args.format) or list(EXPORT_FORMATS)
    check_known(formats, list(EXPORT_FORMATS), "format", "--format")
    paths = resolve_paths(args)
    manifest = load_manifest(paths.manifest)
    tree = build_tree(manifest)
    require_valid_tags(tree)
    wanted = split_names(args.metrics)
    if wanted:
        check_known(wanted, list(tree.nodes), "metric", "--metrics")
        tree = tree.subset(wanted)
    definitions: dict[str, str] = {}
    if paths.catalogue_given or paths.catalogue.exists():
        definitions = {entry.metric_name: entry.definition for entry in load_catalogue(paths.catalogue)}
    # a bad --out fails now, before the MetricFlow queries
    out_dir = writable_dir(args.out.resolve() if args.out else paths.project_dir / DEFAULT_OUT)
    if args.store_answers:
        if args.no_values or wanted:
            raise UserError("--store-answers needs the whole tree with its values: drop --no-values and --metrics")
        found = answers.duckdb_file(args)
        if found is None:
            raise UserError("--store-answers stores into a run's DuckDB work file: not with this target")
        answers.require_run_work_file(found[0])
    measurement: Measurement | None = None
    periods: list[GrainPeriods] = []
    stored: list[answers.Answer] = []
    if not args.no_values:
        rule = rule_from_args(args)
        with answers.Progress("export") as progress:
            progress.stage("starting MetricFlow (dbt profile, semantic manifest)")
            with MetricFlowSession(paths.project_dir, paths.manifest, paths.target) as session:
                measurement = measure(session, manifest, tree, args.grain, rule, progress=progress.stage)
                if "html" in formats and not wanted and page_periods(os.environ) == "all":
                    periods = measure_periods(
                        session,
                        manifest,
                        tree,
                        first_data_day(measurement),
                        measurement.snapshot.last_data_day,
                        rule,
                        lambda snapshot, explanation: build_document(
                            tree, snapshot, definitions, explanation=explanation
                        ),
                        progress.stage,
                    )
                if args.store_answers:
                    stored = compute_answers(session, tree, measurement, args.grain, rule, progress=progress.stage)
                warehouse = session.duckdb_path
        if stored and warehouse is not None:  # written once the session has let go of the file
            answers.store(warehouse, paths.manifest, stored)
    snapshot = measurement.snapshot if measurement else None
    explanation = measurement.explanation if measurement else None
    document = build_document(tree, snapshot, definitions, explanation=explanation)
    if periods and measurement is not None:
        attach_periods(document, periods, args.grain, first_data_day(measurement))
    written = write_all(document, out_dir, formats)
    seconds = time.perf_counter() - started
    if args.json:
        print(
            json.dumps(
                {
                    "files": {kind: str(path) for kind, path in written.items()},
                    "nodes": len(document["nodes"]),
                    "edges": len(document["edges"]),
                    "period": document["period"],
                    "seconds": round(seconds, 2),
                }
                | ({"answers_stored": [answer.command for answer in stored]} if args.store_answers else {}),
                indent=2,
            )
        )
        return 0
    rows = [[kind, str(path), path.stat().st_size] for kind, path in written.items()]
    print(format_table(["format", "file", "bytes"], rows))
    summary = f"\n{len(document['nodes'])} metrics, {len(document['edges'])} edges"
    if snapshot is not None:
        star_node = next(n for n in document["nodes"] if n["name"] == document["north_star"])
        summary += (
            f"; values for {snapshot.period.label} vs {snapshot.previous.label}; north star "
            f"{format_value(star_node['value'], star_node['name'])} ({format_node_change(star_node)})"
        )
        errors = [n["name"] for n in document["nodes"] if n.get("error")]
        if errors:
            summary += f"; {len(errors)} metrics failed to query: {', '.join(errors)}"
    print(summary + f"; {seconds:.1f} s")
    if stored:
        commands = sorted({answer.command for answer in stored})
        print(f"stored {len(stored)} answers of {', '.join(commands)} in {warehouse} ({answers.ANSWERS_TABLE})")
    return 0


def compute_answers(
    session: Any, tree: Any, measurement: Any, grain: str, rule: Any, progress: Callable[[str], None] | None = None
) -> list[answers.Answer]:
    """What scorecard, explain and check print for the default arguments, from ``measurement`` (the
    tree's values for ``grain`` under ``rule``) and ``session`` (check's validations and day/week rows)."""
    rule_arguments = {"anomaly_window": int(rule.window), "anomaly_sigma": float(rule.sigma)}
    stored: list[answers.Answer] = []
    card = scorecard.build_scorecard(tree, measurement, [])
    for as_json in (False, True):
        stored.append(
            answers.Answer(
                "scorecard",
                scorecard.answer_arguments(grain, [], rule_arguments, as_json),
                scorecard.render(card, grain, as_json),
            )
        )
    stored.append(
        answers.Answer(
            "explain",
            explain.answer_arguments(grain, explain.DEFAULT_TOP, rule_arguments, as_json=False),
            explain.render_text(tree, measurement, explain.DEFAULT_TOP),
        )
    )
    document = explain.explanation_document(tree, measurement.snapshot, measurement.explanation)
    stored.append(
        answers.Answer(
            "explain",
            explain.answer_arguments(grain, explain.DEFAULT_TOP, rule_arguments, as_json=True),
            json.dumps(document, default=str),
        )
    )
    measured = check.measure_warehouse(session, tree, rule, validate=True, progress=progress or answers.no_progress)
    for fail_on_breach in (False, True):
        for fail_on_anomaly in (False, True):
            stored.append(
                answers.Answer(
                    "check",
                    check.answer_arguments(rule_arguments, fail_on_breach, fail_on_anomaly),
                    measured.stored(tree, fail_on_breach, fail_on_anomaly),
                )
            )
    return stored
