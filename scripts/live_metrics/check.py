"""`live-metrics check`: the metric-tree rules, MetricFlow's validations and the guardrails, in one table."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from live_metrics.catalogue import load_catalogue
from live_metrics.errors import NoDataYet
from live_metrics.formatting import format_threshold, format_value
from live_metrics.manifest import load_manifest
from live_metrics.measure import rule_from_args
from live_metrics.mf_engine import MetricFlowSession
from live_metrics.options import add_anomaly_arguments, add_project_arguments, resolve_paths
from live_metrics.rules import FAIL, PASS, WARN, RuleResult, run_rules
from live_metrics.snapshot import (
    STATUS_BREACHED,
    STATUS_NO_DATA,
    STATUS_OK,
    STATUS_TRACKED,
    Snapshot,
    data_span,
    take_snapshot,
)
from live_metrics.table import format_table
from live_metrics.tree import MetricTree, build_tree

RULE_VALIDATE = "MetricFlow validations (mf validate-configs)"

DESCRIPTION = """\
Check the metric tree and the semantic layer, and print ONE summary table (rule, status, detail).

Rules on the semantic manifest: exactly one north star; every metric tagged with a valid stakeholder,
tier, direction and owner; every parent exists; no cycles; every metric reachable from the north star
via parent links; every guardrail has a threshold (a number) or an explicit `none`; every catalogue
metric (seeds/metric_catalogue.csv) present with the catalogue's stakeholder/tier/parent/direction/
threshold; labels and descriptions present.

With the warehouse (default): the validations of `mf validate-configs` (semantic and data warehouse),
run on the manifest given by --manifest, then every guardrail evaluated through MetricFlow on the
latest complete day and the latest complete week of data (value vs threshold: ok / breached;
threshold `none` = tracked), and every metric's latest day and week checked for anomalies: a value
outside mean ± K sd of the N periods before it (--anomaly-window N, default 8; --anomaly-sigma K,
default 3; a period without enough history gets no verdict).

Exit status: 0 when every row passes (WARN is not a failure), 1 when a row FAILs, 2 on a usage error.
Guardrail breaches and anomalies are WARN unless --fail-on-breach / --fail-on-anomaly."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check",
        help="check the metric tree rules, MetricFlow's validations and the guardrails",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_project_arguments(parser, json_help="print the results as JSON")
    parser.add_argument(
        "--no-warehouse",
        action="store_true",
        help="rules on the manifest only: no DuckDB, no MetricFlow validations, no guardrails",
    )
    parser.add_argument(
        "--skip-validate", action="store_true", help="skip the MetricFlow validations (those of `mf validate-configs`)"
    )
    parser.add_argument(
        "--fail-on-breach", action="store_true", help="a breached guardrail FAILs the check (default: WARN)"
    )
    parser.add_argument(
        "--fail-on-anomaly", action="store_true", help="an anomalous metric FAILs the check (default: WARN)"
    )
    add_anomaly_arguments(parser)
    parser.set_defaults(func=run)


def anomaly_row(tree: MetricTree, snapshot: Snapshot, fail_on_anomaly: bool) -> RuleResult:
    rule = f"anomalies ({snapshot.period.grain})"
    flagged = sorted(snapshot.anomalies(), key=tree.sort_key)
    judged = sum(value.anomaly is not None for value in snapshot.values.values())
    where = snapshot.period.label
    if not flagged:
        return RuleResult(
            rule, PASS, f"{where}: none of {judged} metrics with enough history ({snapshot.rule.describe()})"
        )
    details = "; ".join(snapshot.anomaly_text(name) for name in flagged)
    return RuleResult(rule, FAIL if fail_on_anomaly else WARN, f"{where}: {details}")


def guardrail_rows(tree: MetricTree, snapshot: Snapshot, fail_on_breach: bool) -> list[RuleResult]:
    rows: list[RuleResult] = []
    grain = snapshot.period.grain
    for node in tree:
        if not node.is_guardrail:
            continue
        value = snapshot.values.get(node.name)
        rule = f"guardrail {node.name} ({grain})"
        where = snapshot.period.label
        if value is None or value.error:
            rows.append(RuleResult(rule, FAIL, f"{where}: query failed: {value.error if value else 'no result'}"))
            continue
        shown = format_value(value.value, node.name)
        threshold = format_threshold(node.threshold, node.name)
        if value.status == STATUS_TRACKED:
            rows.append(RuleResult(rule, PASS, f"{where}: {shown}, tracked (no threshold)"))
        elif value.status == STATUS_NO_DATA:
            rows.append(RuleResult(rule, WARN, f"{where}: no value (no data in the period)"))
        elif value.status == STATUS_BREACHED:
            comparison = "<" if node.direction == "increase" else ">"
            rows.append(
                RuleResult(
                    rule,
                    FAIL if fail_on_breach else WARN,
                    f"{where}: {shown} {comparison} threshold {threshold}: breached",
                )
            )
        elif value.status == STATUS_OK:
            comparison = "≥" if node.direction == "increase" else "≤"
            rows.append(RuleResult(rule, PASS, f"{where}: {shown} {comparison} threshold {threshold}: ok"))
    return rows


def warehouse_rows(args: argparse.Namespace, tree: MetricTree) -> tuple[list[RuleResult], list[dict[str, Any]]]:
    """MetricFlow's validations, then the guardrails, through one MetricFlow session."""
    paths = resolve_paths(args)
    guardrails = [node for node in tree if node.is_guardrail]
    star = tree.north_star()
    rows: list[RuleResult] = []
    periods: list[dict[str, Any]] = []
    # the session's entry turns a missing/locked DuckDB file or a manifest parsed for another file
    # into a one-line error before anything runs
    with MetricFlowSession(paths.project_dir, paths.manifest, paths.target) as session:
        if not args.skip_validate:
            outcome = session.validate()
            rows.append(RuleResult(RULE_VALIDATE, PASS if outcome.ok else FAIL, outcome.detail))
        if not guardrails:
            rows.append(RuleResult("guardrails", WARN, "no guardrail metrics to evaluate"))
        elif star is None:
            rows.append(RuleResult("guardrails", WARN, "skipped: no single north star to date the data by"))
        else:
            try:
                first_day, last_day = data_span(session, star)
            except NoDataYet as empty:
                rows.append(RuleResult("guardrails", WARN, f"no data yet: {empty}"))
                return rows, periods
            for grain in ("day", "week"):
                snapshot = take_snapshot(session, list(tree), grain, last_day, first_day, rule_from_args(args))
                rows.extend(guardrail_rows(tree, snapshot, args.fail_on_breach))
                rows.append(anomaly_row(tree, snapshot, args.fail_on_anomaly))
                periods.append(snapshot.as_dict())
    return rows, periods


def run(args: argparse.Namespace) -> int:
    paths = resolve_paths(args)
    manifest = load_manifest(paths.manifest)
    catalogue = load_catalogue(paths.catalogue)
    tree = build_tree(manifest)
    results = run_rules(tree, catalogue)
    periods: list[dict[str, Any]] = []
    if not args.no_warehouse:
        extra, periods = warehouse_rows(args, tree)
        results.extend(extra)
    failed = any(result.failed for result in results)
    if args.json:
        document = {
            "ok": not failed,
            "manifest": str(paths.manifest),
            "periods": periods,
            "results": [{"rule": r.rule, "status": r.status, "detail": r.detail} for r in results],
        }
        print(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        print(format_table(["rule", "status", "detail"], [[r.rule, r.status, r.detail] for r in results]))
        counts = {status: sum(r.status == status for r in results) for status in (PASS, FAIL, WARN)}
        verdict = "FAILED" if failed else "passed"
        print(f"\ncheck {verdict}: {counts[PASS]} PASS, {counts[FAIL]} FAIL, {counts[WARN]} WARN", file=sys.stdout)
    return 1 if failed else 0
