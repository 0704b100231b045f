"""One benchmark run: every step in order, one at a time (the demo and its read commands, then per size a
generated data set, its full build, the largest one's new day, the baseline and its check, materialize and
export on the largest; then the history step), and the JSON document of what was measured."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from live_metrics.bench.baseline import csv_reader, parquet_reader
from live_metrics.bench.bench_history import run_history
from live_metrics.bench.measured import GIB, Measured, load_average
from live_metrics.bench.report import goals, ordered
from live_metrics.bench.sizes import Size, history_plan
from live_metrics.bench.steps import DEFAULT_MEMORY_LIMIT, DEFAULT_THREADS, THREADS_ENV, Bench
from live_metrics.errors import UserError
from live_metrics.ops.dbt_step import MEMORY_LIMIT_ENV, incremental_build_env
from live_metrics.options import repo_root

DEMO_DIR = Path("seeds") / "demo"  # the demo step's data unless --demo says otherwise
DEMO_LOG = "raw_live_events.csv.gz"
SCHEMA = "live-metrics-bench/1"


def project_counts(target: Path) -> dict[str, int]:
    """What a full build ran: models by materialization, data tests, unit tests, seeds."""
    try:
        manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
        results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
    except (OSError, ValueError, KeyError):
        return {}
    kinds = [result["unique_id"].split(".")[0] for result in results]
    models = [node for node in manifest["nodes"].values() if node["resource_type"] == "model"]
    return {
        "models": kinds.count("model"),
        "tables": sum(1 for node in models if node["config"].get("materialized") == "table"),
        "views": sum(1 for node in models if node["config"].get("materialized") == "view"),
        "data_tests": kinds.count("test"),
        "unit_tests": kinds.count("unit_test"),
        "seeds": kinds.count("seed"),
    }


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def _memory_gib() -> float | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GIB, 1)
    except (ValueError, OSError, AttributeError):
        return None


def run_bench(
    sizes: Sequence[Size],
    workspace: Path,
    say: Callable[[str], None],
    quick: bool = False,
    demo_raw: Path | None = None,
) -> dict:
    """Run every step, one at a time; return the JSON document. ``demo_raw``: the demo step's data (default
    the committed demo, seeds/demo)."""
    demo_raw = demo_raw if demo_raw is not None else repo_root() / DEMO_DIR
    threads = os.environ.get(THREADS_ENV, DEFAULT_THREADS)
    memory_limit = os.environ.get(MEMORY_LIMIT_ENV, DEFAULT_MEMORY_LIMIT)
    if not threads.isdigit() or int(threads) < 1:
        raise UserError(f"{THREADS_ENV} must be a positive whole number, got {threads!r}")
    document: dict[str, Any] = {
        "schema": SCHEMA,
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "quick": quick,
        "demo_data": str(demo_raw),
        "machine": {
            "cpus": os.cpu_count(),
            "memory_gib": _memory_gib(),
            "load_average_at_start": load_average(),
            "python": sys.version.split()[0],
            "duckdb": _version("duckdb"),
            "dbt_core": _version("dbt-core"),
            "dbt_duckdb": _version("dbt-duckdb"),
        },
        "settings": {
            "duckdb_threads": int(threads),
            "duckdb_memory_limit": memory_limit,
            # the incremental builds' (one new day, history), as `make daily` runs them
            "duckdb_incremental_memory_limit": incremental_build_env(os.environ)[MEMORY_LIMIT_ENV],
            "dbt_threads": 2,
            "raw_format": "parquet",
        },
    }
    bench = Bench(workspace=workspace, say=say, threads=threads, memory_limit=memory_limit, rows=[], checks=[])
    started = time.perf_counter()

    # the baseline against the marts on the demo data (the committed CSV set unless --demo, read as `make build` does)
    demo_log = demo_raw / DEMO_LOG
    demo = bench.folder("demo")
    bench.demo_run(demo, demo_raw)  # as `make run`: dbt, materialize, export with the stored answers, publish
    bench.baseline("demo", demo, csv_reader(demo_log))
    bench.check("demo", demo, _raw_rows(demo / "live.duckdb"))
    bench.read_commands(demo, fresh=not quick)

    data_sets: list[dict[str, Any]] = []
    builds: dict[str, tuple[int, Measured]] = {}
    largest = sizes[-1]
    for size in sizes:
        folder = bench.folder(size.label)
        events, data = bench.generate(size, folder)
        data_sets.append(data)
        held = hold_last_day(folder / "raw", folder / "held", data) if size is largest else []
        # as `make run` builds: every model, seed and data test (the unit tests test the code: `make test`)
        build = bench.dbt_build(
            size.label, folder, folder / "raw", "parquet", "dbt build", "--exclude-resource-type", "unit_test"
        )
        built_events = _raw_rows(folder / "live.duckdb")
        builds[size.label] = (built_events, build)
        bench.rows.append(
            {
                "step": "dbt_build",
                "size": size.label,
                "measured": True,
                "events": built_events,
                "seconds": round(build.seconds, 2),
                "peak_rss_bytes": build.peak_rss_bytes,
                "seconds_per_million_events": round(build.seconds / (built_events / 1e6), 3),
                "warehouse_bytes": (folder / "live.duckdb").stat().st_size,
            }
        )
        if size is largest:
            document["dbt_project"] = project_counts(folder / "target")  # what the full build ran
        if held:
            for drop in held:
                drop.rename(folder / "raw" / "raw_live_events" / drop.name)
            # as `make daily` runs it: every model and data test; the unit tests are CI's (make test)
            day = bench.dbt_build(
                size.label,
                folder,
                folder / "raw",
                "parquet",
                "incremental dbt build",
                "--exclude-resource-type",
                "unit_test",
                incremental=True,
            )
            bench.rows.append(
                {
                    "step": "incremental_day",
                    "size": size.label,
                    "measured": True,
                    "events": _raw_rows(folder / "live.duckdb") - built_events,
                    "drops": [drop.name for drop in held],
                    "seconds": round(day.seconds, 2),
                    "peak_rss_bytes": day.peak_rss_bytes,
                    "share_of_full_build": round(day.seconds / build.seconds, 3),
                }
            )
        baseline = bench.baseline(size.label, folder, parquet_reader(folder / "raw"))
        bench.rows.append(
            {
                "step": "baseline",
                "size": size.label,
                "measured": True,
                "events": events,
                "seconds": round(baseline.seconds, 2),
                "peak_rss_bytes": baseline.peak_rss_bytes,
                "dbt_build_over_baseline": round(build.seconds / baseline.seconds, 2),
            }
        )
        bench.check(size.label, folder, events)
        if size is largest:
            bench.metrics_step("materialize", size, folder, events)
            bench.metrics_step("export", size, folder, events, "--out", str(folder / "export"))

    smallest = sizes[0]
    if len(sizes) > 1:
        (small_events, small), (large_events, large) = builds[smallest.label], builds[largest.label]
        ratio = (large.seconds / large_events) / (small.seconds / small_events)
        # the cost of one more million events between the two sizes, without dbt's fixed cost
        marginal = (large.seconds - small.seconds) / ((large_events - small_events) / 1e6)
        bench.rows.append(
            {
                "step": "cost_per_event_ratio",
                "size": f"{largest.label}/{smallest.label}",
                "measured": True,
                "ratio": round(ratio, 3),
                "marginal_seconds_per_million_events": round(marginal, 3),
            }
        )
    # one new day after 30 and after 90 days of history, on a data set of its own
    history_data, history_rows = run_history(bench, bench.folder("history"), history_plan(quick), _raw_rows)
    data_sets.append(history_data)
    bench.rows += history_rows
    document["data_sets"] = data_sets
    document["rows"] = ordered(bench.rows)
    document["baseline_checks"] = bench.checks
    document["goals"] = goals(document["rows"], largest, smallest)
    document["machine"]["load_average_at_end"] = load_average()
    document["seconds"] = round(time.perf_counter() - started, 1)
    document["workspace"] = str(workspace)
    return document


def hold_last_day(raw: Path, held: Path, data: dict[str, Any]) -> list[Path]:
    """Move the drops received on the last simulated day or later (its stragglers) out of ``raw``.

    They are the new day of the incremental step; returns where they are now, oldest first.
    """
    last_day = dt.date.fromisoformat(data["start"]) + dt.timedelta(days=int(data["days"]) - 1)
    drops = sorted((raw / "raw_live_events").glob("received_date=*"))
    new = [drop for drop in drops if drop.name.split("=", 1)[1] >= last_day.isoformat()]
    if not new or len(new) == len(drops):
        raise UserError(f"the generated data in {raw} has no daily drop for {last_day} to build incrementally")
    held.mkdir(parents=True, exist_ok=True)
    moved = []
    for drop in new:
        drop.rename(held / drop.name)
        moved.append(held / drop.name)
    return moved


def _raw_rows(warehouse: Path) -> int:
    """Raw rows of the log a warehouse was built from."""
    import duckdb

    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        row = connection.execute("select count(*) from staging.base_live__raw_events").fetchone()
    except duckdb.Error:
        return 0
    finally:
        connection.close()
    return int(row[0]) if row else 0
