"""The bench's goals (issue "daily operation at scale") with their status, and the table it prints."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from live_metrics.bench.bench_history import history_goals, history_result
from live_metrics.bench.measured import GIB, MIB, rss
from live_metrics.bench.sizes import HISTORY_DAYS, Size
from live_metrics.bench.steps import READ_COMMANDS
from live_metrics.render.table import format_table

# Goals (issue "daily operation at scale").
INCREMENTAL_GOAL_SHARE = 0.05  # one new day <= 0.05 x the full build
HISTORY_GOAL_RATIO = 1.25  # one new day's time and peak RSS at 90 days of history <= 1.25 x at 30 days
PEAK_RSS_GOAL_GIB = 4.0  # at the largest size
FLAT_RATIO_MAX = 1.2  # cost per event, largest / smallest size: "flat" up to this
READ_GOAL_SECONDS = 3.0  # scorecard, explain, check, creator on the demo warehouse (issue "slow and silent")


_STEP_ORDER = (
    "generate",
    "dbt_build",
    "cost_per_event_ratio",
    "materialize",
    "export",
    "baseline",
    "incremental_day",
    "history_day",
    "history_ratio",
    "read_command",
)


def ordered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda row: _STEP_ORDER.index(row["step"]))  # stable: sizes stay in order


def goals(rows: Sequence[dict[str, Any]], largest: Size, smallest: Size) -> list[dict[str, Any]]:
    """The goals of the issue, each with its value and status (met, missed, not measured yet)."""
    at_largest = [
        row for row in rows if row["size"] == largest.label and row["step"] in ("dbt_build", "materialize", "export")
    ]
    peak = max((row["peak_rss_bytes"] for row in at_largest), default=None)
    ratio = next((row["ratio"] for row in rows if row["step"] == "cost_per_event_ratio"), None)
    share = next((row["share_of_full_build"] for row in rows if row["step"] == "incremental_day"), None)
    stored = [row for row in rows if row["step"] == "read_command" and row["path"] == "stored answer"]
    slowest = max(stored, key=lambda row: row["seconds"], default=None)
    return [
        {
            "goal": f"{', '.join(READ_COMMANDS)} <= {READ_GOAL_SECONDS:g} s each on the demo (default arguments)",
            "value": slowest["seconds"] if slowest else None,
            "status": "not measured yet"
            if slowest is None
            else ("met" if slowest["seconds"] <= READ_GOAL_SECONDS else "missed"),
            "detail": "" if slowest is None else f"slowest {slowest['command']} {slowest['seconds']:.1f} s",
        },
        {
            "goal": f"one new day <= {INCREMENTAL_GOAL_SHARE:g} x full build at {largest.label}",
            "value": share,
            "status": "not measured yet" if share is None else ("met" if share <= INCREMENTAL_GOAL_SHARE else "missed"),
            "detail": "" if share is None else f"{share:.2f} x",
        },
        {
            "goal": f"peak RSS <= {PEAK_RSS_GOAL_GIB:g} GiB at {largest.label} (dbt build, materialize, export)",
            "value": round(peak / GIB, 3) if peak is not None else None,
            "status": "not measured yet" if peak is None else ("met" if peak <= PEAK_RSS_GOAL_GIB * GIB else "missed"),
            "detail": f"{rss(peak)}" if peak is not None else "",
        },
        {
            "goal": f"cost per event flat from {smallest.label} to {largest.label} (ratio <= {FLAT_RATIO_MAX:g})",
            "value": ratio,
            "status": "not measured yet" if ratio is None else ("met" if ratio <= FLAT_RATIO_MAX else "missed"),
            "detail": "one size only" if ratio is None else f"ratio {ratio:.2f}",
        },
        *history_goals(rows, HISTORY_DAYS, HISTORY_GOAL_RATIO),
    ]


# --- the table -------------------------------------------------------------------------------------

_LABELS = {
    "generate": "generate (live-metrics generate)",
    "dbt_build": "dbt build, full",
    "cost_per_event_ratio": "cost per event",
    "materialize": "live-metrics materialize",
    "export": "live-metrics export",
    "baseline": "baseline: 1 hand-written query",
    "incremental_day": "one new day, incremental",
    "history_day": "new day after history",
    "history_ratio": "new day, history growth",
    "read_command": "live-metrics",
}


def _result(row: dict[str, Any]) -> str:
    step = row["step"]
    if not row.get("measured", True):
        return row["status"]
    if step == "generate":
        return f"{row['events_per_second']:,.0f} events/s"
    if step == "dbt_build":
        return f"{row['seconds_per_million_events']:,.1f} s per M events"
    if step == "cost_per_event_ratio":
        verdict = f"<= {FLAT_RATIO_MAX:g}: flat" if row["ratio"] <= FLAT_RATIO_MAX else f"> {FLAT_RATIO_MAX:g}: grows"
        return (
            f"ratio {row['ratio']:.2f} ({verdict}); marginal "
            f"{row['marginal_seconds_per_million_events']:,.1f} s per M events"
        )
    if step == "baseline":
        return f"dbt build / baseline = {row['dbt_build_over_baseline']:.1f}x"
    if step == "incremental_day":
        return f"{row['share_of_full_build']:.2f} x the full build ({len(row['drops'])} new drops)"
    if step in ("history_day", "history_ratio"):
        return history_result(row)
    if step == "read_command":
        verdict = (
            ""
            if row["path"] == "MetricFlow"
            else (" (goal met)" if row["seconds"] <= READ_GOAL_SECONDS else " (goal MISSED)")
        )
        return f"{row['path']}; load {row['load_average']}{verdict}"
    return ""


def _pair(values: dict[str, Any], style: str) -> str:
    baseline, mart = style.format(values["baseline"]), style.format(values["mart"])
    return f"{baseline} {'=' if baseline == mart else '!='} {mart}"


def render(document: dict[str, Any], out: Path | None = None) -> str:
    machine, settings = document["machine"], document["settings"]
    load = machine.get("load_average_at_start") or []
    lines = [
        f"live-metrics bench ({document['started']}): {machine['cpus']} cores, {machine['memory_gib']} GiB, "
        f"load {load[0] if load else '?'} at start; DuckDB threads {settings['duckdb_threads']}, "
        f"memory_limit {settings['duckdb_memory_limit']} (incremental builds "
        f"{settings.get('duckdb_incremental_memory_limit', settings['duckdb_memory_limit'])}); "
        f"dbt threads {settings['dbt_threads']}",
        "",
        "data sets (generated, parquet daily drops):",
        format_table(
            ["data", "target", "events", "days", "creators", "viewers", "streams", "sessions", "parquet MiB"],
            [
                [
                    data["size"],
                    f"{data['target_events']:,}",
                    f"{data['events']:,}",
                    data["days"],
                    data["creators"],
                    f"{data['viewers']:,}",
                    f"{data['streams']:,}",
                    f"{data['sessions']:,}",
                    f"{data['raw_bytes'] / MIB:,.1f}",
                ]
                for data in document["data_sets"]
            ],
        ),
        "",
    ]
    table_rows = []
    for row in document["rows"]:
        measured = row.get("measured", True)
        table_rows.append(
            [
                _LABELS[row["step"]] + (f" {row['command']}" if row["step"] == "read_command" else ""),
                row["size"],
                f"{row['events']:,}" if "events" in row else "",
                f"{row['seconds']:,.1f}" if "seconds" in row else "",
                rss(row["peak_rss_bytes"]) if "peak_rss_bytes" in row else "",
                _result(row) if measured else row["status"],
            ]
        )
    lines.append(format_table(["step", "data", "events", "wall s", "peak RSS", "result"], table_rows))
    lines += ["", "baseline check (the baseline's sessions and per-stream peaks against the marts):"]
    lines.append(
        format_table(
            ["data", "sessions (baseline = mart)", "watch minutes (baseline = mart)", "rows differing", "result"],
            [
                [
                    check["data"],
                    _pair(check["sessions"], "{:,}"),
                    _pair(check["watch_minutes"], "{:,.1f}"),
                    f"{check['sessions_differing']} sessions, {check['stream_peaks_differing']} of "
                    f"{check['streams']:,} stream peaks",
                    "match" if check["matched"] else "MISMATCH",
                ]
                for check in document["baseline_checks"]
            ],
        )
    )
    lines += ["", "goals:"]
    lines.append(
        format_table(
            ["goal", "value", "status"],
            [[goal["goal"], goal["detail"], goal["status"]] for goal in document["goals"]],
        )
    )
    counts = document.get("dbt_project") or {}
    lines += [
        "",
        "notes:",
        f"- dbt build is the whole project as `make run` builds it: {counts.get('models', '?')} models "
        f"({counts.get('tables', '?')} tables, {counts.get('views', '?')} views), {counts.get('data_tests', '?')} "
        f"data tests, {counts.get('seeds', '?')} seeds, parse included (no unit test: they test the code and run in "
        "make test); the baseline "
        "computes one fact (viewer sessions with per-stream peak concurrency, with the ingestion rules they depend "
        "on), so 'dbt build / baseline' is the price of the whole project against one fact, not of one model",
        "- peak RSS: the largest resident set of the step's process tree (ru_maxrss, wait4); the DuckDB memory_limit "
        "caps DuckDB's buffer memory, not the Python process around it",
        "- one new day: the largest set's full build reads every drop but the last simulated day's (and the "
        "stragglers received after it); those drops then land and an incremental dbt build runs on that warehouse "
        "as `make daily` runs it (every model and data test; the unit tests, which test code and not data, are "
        "left to make test); the baseline check then compares that warehouse with the raw log",
        f"- history: one data set of {max(HISTORY_DAYS)} days at a fixed audience (data set 'history'); for each "
        f"history length H ({', '.join(f'{days}d' for days in HISTORY_DAYS)}) a full build reads the drops received "
        "before day H into its own warehouse, then day H's drops land (the last day's with its stragglers) for an "
        "incremental dbt build, as for one new day; its time and peak RSS should not grow with the history "
        f"(goal: the longest history's <= {HISTORY_GOAL_RATIO:g} x the shortest's)",
        "- read commands: on the demo warehouse built and published by `live-metrics build` (make run); with their "
        "default arguments scorecard, explain and check print the answers that run stored (live_ops.answers), "
        "creator reads the marts; the MetricFlow rows are the same commands with --fresh (not with --quick); wall "
        "time from process start to exit; load: the 1-minute load average as each started (the goal is for a "
        "quiet machine)",
        "- cost per event: wall seconds / events of the largest size over the same of the smallest; dbt's fixed "
        "cost (parse, one query per test) weighs more on the small size, so the marginal cost (extra seconds per "
        "extra million events between the two sizes) is shown beside it",
    ]
    if out is not None:
        lines += ["", f"JSON: {out}"]
    return "\n".join(lines)
