"""`live-metrics bench`: the command (its options, and the description of every step and goal), which runs the
benchmark (runner.py) and prints its table (report.py) or its JSON document."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from live_metrics.bench.measured import Progress
from live_metrics.bench.report import (
    FLAT_RATIO_MAX,
    HISTORY_GOAL_RATIO,
    INCREMENTAL_GOAL_SHARE,
    PEAK_RSS_GOAL_GIB,
    READ_GOAL_SECONDS,
    render,
)
from live_metrics.bench.runner import DEMO_DIR, DEMO_LOG, run_bench
from live_metrics.bench.sizes import (
    DEFAULT_SIZES,
    EVENTS_PER_VIEWER_DAY,
    HISTORY_DAYS,
    HISTORY_VIEWERS,
    MAX_SIZE,
    MIN_SIZE,
    QUICK_HISTORY_VIEWERS,
    QUICK_SIZES,
    human_count,
    parse_sizes,
)
from live_metrics.bench.steps import DEFAULT_MEMORY_LIMIT, DEFAULT_THREADS, THREADS_ENV
from live_metrics.errors import UserError
from live_metrics.ops.dbt_step import MEMORY_LIMIT_ENV
from live_metrics.options import repo_root, writable_dir

DEFAULT_OUT = Path("output") / "bench.json"


_HISTORY_EVENTS_PER_DAY = int(round(HISTORY_VIEWERS * EVENTS_PER_VIEWER_DAY, -3))

DESCRIPTION = f"""\
Benchmark the pipeline on this machine, one step at a time, on generated parquet data sets
(default {DEFAULT_SIZES}: about 1 and 10 million events):

  generate     live-metrics generate, events/s
  dbt build    a full build per size: wall seconds, peak RSS, seconds per million events, and the
               cost per event of the largest size over the smallest (goal: flat, ratio <= {FLAT_RATIO_MAX:g})
  materialize  live-metrics materialize on the largest warehouse
  export       live-metrics export on the largest warehouse
  baseline     one hand-written DuckDB query for the heaviest fact (viewer sessions with per-stream peak
               concurrency) from the raw parquet, checked against the marts (demo data and every size)
               and timed against the full dbt build
  one new day  on the largest size, generated as daily drops: the full build reads all but the last
               simulated day's drops, which then land for an incremental dbt build (its share of the full build)
  history      one data set of {max(HISTORY_DAYS)} days, {HISTORY_VIEWERS:,} viewers \
(~{_HISTORY_EVENTS_PER_DAY:,} events a day):
               one new day after {" and after ".join(map(str, HISTORY_DAYS))} days of history, each on a full build \
of its own (time, peak RSS)
  read         on the demo warehouse, built and published by `live-metrics build` as `make run` does:
               scorecard, explain, check (the answers the run stored) and creator with their default
               arguments, then scorecard, explain and check with --fresh (through MetricFlow; not with --quick)

then the goals: the read commands <= {READ_GOAL_SECONDS:g} s each on the demo, \
one new day <= {INCREMENTAL_GOAL_SHARE:g} x full build, peak RSS <= {PEAK_RSS_GOAL_GIB:g} GiB at the \
largest size, cost per event flat, one new day's time and peak RSS at {max(HISTORY_DAYS)} days of history \
<= {HISTORY_GOAL_RATIO:g} x at {min(HISTORY_DAYS)} days.
DuckDB runs with the settings of profiles.yml ({THREADS_ENV}, default {DEFAULT_THREADS}; {MEMORY_LIMIT_ENV}, \
default {DEFAULT_MEMORY_LIMIT}). Progress goes to stderr, the table to stdout; the JSON document is written to \
--out. A 10m run takes several minutes and most of the machine: run nothing else heavy meanwhile.
Exit status 1 when the baseline does not match the marts."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="benchmark generate, dbt build, materialize and export at ~1 M and ~10 M events",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--sizes",
        default=None,
        metavar="SIZE[,SIZE...]",
        help=f"event counts to generate, with k or m (default {DEFAULT_SIZES}; each between "
        f"{human_count(MIN_SIZE)} and {human_count(MAX_SIZE)})",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"small sizes ({QUICK_SIZES}; history at {QUICK_HISTORY_VIEWERS} viewers) for a quick check of the "
        "benchmark itself",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="PATH",
        help=f"where the JSON document goes (default: {DEFAULT_OUT} in the project)",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        metavar="DIR",
        help="keep the generated data, warehouses and logs in DIR (default: a temporary folder, removed)",
    )
    parser.add_argument(
        "--demo",
        type=Path,
        default=None,
        metavar="DIR",
        help=f"the raw data of the demo and read steps: a folder laid out as {DEMO_DIR} ({DEMO_LOG} beside the "
        f"reference CSVs), such as `live-metrics generate --format csv --out DIR` writes (default {DEMO_DIR})",
    )
    parser.add_argument("--json", action="store_true", help="print the JSON document instead of the table")
    parser.set_defaults(func=run)


def demo_folder(path: Path | None) -> Path | None:
    """``--demo``, checked before anything runs: a folder with the event log the demo step reads."""
    if path is None:
        return None
    path = path.resolve()
    if not path.is_dir():
        raise UserError(f"--demo {path}: no such folder")
    if not (path / DEMO_LOG).is_file():
        raise UserError(f"--demo {path}: no {DEMO_LOG} in it (live-metrics generate --format csv writes one)")
    return path


def run(args: argparse.Namespace) -> int:
    if args.quick and args.sizes is not None:
        raise UserError("--quick chooses the sizes itself: give --sizes or --quick, not both")
    sizes = parse_sizes(QUICK_SIZES if args.quick else (args.sizes if args.sizes is not None else DEFAULT_SIZES))
    demo_raw = demo_folder(args.demo)
    out = (args.out if args.out is not None else repo_root() / DEFAULT_OUT).resolve()
    writable_dir(out.parent)
    say = Progress()
    if args.keep is not None:
        workspace = writable_dir(args.keep.resolve())
    else:
        workspace = Path(tempfile.mkdtemp(prefix="live-metrics-bench-"))
    say(f"sizes {', '.join(size.label for size in sizes)}; working in {workspace}")
    try:
        document = run_bench(sizes, workspace, say, quick=args.quick, demo_raw=demo_raw)
    finally:
        if args.keep is None:
            shutil.rmtree(workspace, ignore_errors=True)
    if args.keep is None:
        document["workspace"] = None
    try:
        out.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    except OSError as error:
        raise UserError(f"cannot write {out}: {error.strerror or error}") from error
    say(f"done in {document['seconds']:.0f} s; JSON written to {out}")
    if args.json:
        print(json.dumps(document, indent=2))
    else:
        print(render(document, out))
    failed = [check["data"] for check in document["baseline_checks"] if not check["matched"]]
    if failed:
        sys.stdout.flush()
        raise UserError(f"the baseline does not match the marts on: {', '.join(failed)}", exit_code=1)
    return 0
