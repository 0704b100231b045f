"""`live-metrics check`: the metric-tree rules, MetricFlow's validations and the guardrails, in one table."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from typing import Any

from live_metrics.engine.manifest import load_manifest
from live_metrics.engine.mf_engine import MetricFlowSession
from live_metrics.errors import NoDataYet
from live_metrics.ops import answers
from live_metrics.ops.answers import Stage, no_progress
from live_metrics.ops.operations import latest_run
from live_metrics.options import add_anomaly_arguments, add_project_arguments, resolve_paths
from live_metrics.render.formatting import format_threshold, format_value
from live_metrics.render.table import format_table
from live_metrics.tree.anomaly import AnomalyRule
from live_metrics.tree.catalogue import load_catalogue
from live_metrics.tree.measure import rule_from_args
from live_metrics.tree.rules import FAIL, PASS, WARN, RuleResult, run_rules
from live_metrics.tree.snapshot import (
    STATUS_BREACHED,
    STATUS_NO_DATA,
    STATUS_OK,
    STATUS_TRACKED,
    Snapshot,
    data_span,
    take_snapshot,
)
from live_metrics.tree.tree import MetricTree, build_tree

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
default 3; a period without enough history gets no verdict). The run that built the warehouse stored
the MetricFlow part of this table (validations, guardrails, anomalies) for the default --anomaly-* values,
with or without --fail-on-breach / --fail-on-anomaly: it is used at once (--fresh: ask MetricFlow again);
the rules on the manifest and the rows about the latest run are always read afresh.

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
    answers.add_fresh_argument(parser)
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


def run_rows(run: dict[str, Any] | None) -> list[RuleResult]:
    """What the latest run changed (live_ops.runs): events held back as late, days restated by late events."""
    if run is None:
        return []
    drops = run["drops_landed"]
    landed = f"{run['records_landed']:,} raw records landed" + (f" ({len(drops)} new drop files)" if drops else "")
    rows = [RuleResult("latest run", PASS, f"{run['command']}, finished {run['finished']}: {landed}")]
    late = run["late_beyond_window"]
    rows.append(
        RuleResult(
            "events held back as late",
            WARN if late else PASS,
            f"{late:,} event(s) arrived more than late_window_days after they happened and are held back as "
            "late_beyond_window (marts.fct_quarantined_events): `make run` rebuilds from all drops and counts them"
            if late
            else "none held back as late_beyond_window",
        )
    )
    days, metrics = run["restated_days"], run["restated_metrics"]
    if days:
        span = str(days[0]) if len(days) == 1 else f"{days[0]} to {days[-1]} ({len(days)} days)"
        shown = ", ".join(metrics[:5]) + (f" and {len(metrics) - 5} more" if len(metrics) > 5 else "")
        rows.append(
            RuleResult(
                "days restated by late events",
                WARN,
                f"the latest run changed complete day(s) already published, {span}: {shown}; "
                "reports taken from the earlier figures are out of date (nothing to repair)",
            )
        )
    else:
        rows.append(RuleResult("days restated by late events", PASS, "no complete day changed"))
    return rows


@dataclass(frozen=True)
class MeasuredRows:
    """What check asks MetricFlow: the validations' row, and the latest day's and week's snapshots (or the
    row saying why the guardrails could not be evaluated)."""

    validation: list[RuleResult]
    snapshots: list[Snapshot]
    unevaluated: list[RuleResult]

    def rows(self, tree: MetricTree, fail_on_breach: bool, fail_on_anomaly: bool) -> list[RuleResult]:
        """The guardrail and anomaly rows, day then week (they follow the rows about the latest run)."""
        if self.unevaluated:
            return list(self.unevaluated)
        rows: list[RuleResult] = []
        for snapshot in self.snapshots:
            rows.extend(guardrail_rows(tree, snapshot, fail_on_breach))
            rows.append(anomaly_row(tree, snapshot, fail_on_anomaly))
        return rows

    @property
    def periods(self) -> list[dict[str, Any]]:
        return [snapshot.as_dict() for snapshot in self.snapshots]

    def stored(self, tree: MetricTree, fail_on_breach: bool, fail_on_anomaly: bool) -> str:
        """The answer a run stores for these flags (ops/answers.py): everything but the rows about the latest run."""
        return json.dumps(
            {
                "validation": [_row_dict(row) for row in self.validation],
                "rows": [_row_dict(row) for row in self.rows(tree, fail_on_breach, fail_on_anomaly)],
                "periods": self.periods,
            },
            ensure_ascii=False,
        )


def _row_dict(row: RuleResult) -> dict[str, str]:
    return {"rule": row.rule, "status": row.status, "detail": row.detail}


def _row(record: dict[str, str]) -> RuleResult:
    return RuleResult(record["rule"], record["status"], record["detail"])


def answer_arguments(rule: dict[str, object], fail_on_breach: bool, fail_on_anomaly: bool) -> dict[str, object]:
    """What check's MetricFlow rows depend on besides the warehouse and the manifest (a stored answer's key)."""
    return {**rule, "fail_on_breach": fail_on_breach, "fail_on_anomaly": fail_on_anomaly}


def measure_warehouse(
    session: MetricFlowSession, tree: MetricTree, rule: AnomalyRule, validate: bool, progress: Stage = no_progress
) -> MeasuredRows:
    """MetricFlow's validations, then the guardrails and anomalies of the latest complete day and week."""
    guardrails = [node for node in tree if node.is_guardrail]
    star = tree.north_star()
    validation: list[RuleResult] = []
    if validate:
        progress("running MetricFlow's validations (semantic and data warehouse)")
        outcome = session.validate()
        validation.append(RuleResult(RULE_VALIDATE, PASS if outcome.ok else FAIL, outcome.detail))
    if not guardrails:
        return MeasuredRows(validation, [], [RuleResult("guardrails", WARN, "no guardrail metrics to evaluate")])
    if star is None:
        return MeasuredRows(
            validation, [], [RuleResult("guardrails", WARN, "skipped: no single north star to date the data by")]
        )
    try:
        progress(f"querying MetricFlow: the data's span ({star} by day)")
        first_day, last_day = data_span(session, star)
    except NoDataYet as empty:
        return MeasuredRows(validation, [], [RuleResult("guardrails", WARN, f"no data yet: {empty}")])
    snapshots = []
    for grain in ("day", "week"):
        progress(f"querying MetricFlow: {len(tree)} metrics by {grain} (guardrails, anomalies)")
        snapshots.append(take_snapshot(session, list(tree), grain, last_day, first_day, rule))
    return MeasuredRows(validation, snapshots, [])


def warehouse_rows(args: argparse.Namespace, tree: MetricTree) -> tuple[list[RuleResult], list[dict[str, Any]]]:
    """MetricFlow's validations, the latest run, then the guardrails, through one MetricFlow session
    (or from the answer stored by the run that built the file)."""
    key = answer_arguments(answers.rule_arguments(args), args.fail_on_breach, args.fail_on_anomaly)
    stored = answers.lookup(args, "check", key)
    if stored is not None:  # computed by the run that built the file, from the same manifest
        document = json.loads(stored.document)
        validation = [] if args.skip_validate else [_row(record) for record in document["validation"]]
        latest = run_rows(latest_run(stored.path))  # recorded after the answers: read now
        return validation + latest + [_row(record) for record in document["rows"]], document["periods"]
    paths = resolve_paths(args)
    # the session's entry turns a missing/locked DuckDB file or a manifest parsed for another file
    # into a one-line error before anything runs
    with answers.Progress("check") as progress:
        progress.stage("starting MetricFlow (dbt profile, semantic manifest)")
        with MetricFlowSession(paths.project_dir, paths.manifest, paths.target) as session:
            measured = measure_warehouse(
                session, tree, rule_from_args(args), validate=not args.skip_validate, progress=progress.stage
            )
    # read once the session has let go of the file: a second connection of this process with another
    # configuration than the adapter's is refused while it holds the file
    latest = run_rows(latest_run(session.duckdb_path)) if session.duckdb_path is not None else []
    return (
        measured.validation + latest + measured.rows(tree, args.fail_on_breach, args.fail_on_anomaly),
        measured.periods,
    )


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
