"""`live-metrics generate`: write a synthetic raw event log and its reference tables.

The output follows the input contract in docs/contract/events.md exactly: ``raw_live_events`` (every
column text, rows in received_at order, duplicates at their own received_at) plus
``users``, ``gift_catalog``, ``coin_prices`` and ``ad_campaigns``. The world is realistic
(heavy-tailed creators, viewers and gifters; live alerts; sessions with reconnects) and
every data-quality problem of the contract is injected at a documented rate.

Python use (no CLI)::

    data = generate_events(GeneratorConfig(days=3, creators=10, viewers=300, seed=1))
    table = data.event_table()            # pyarrow.Table of text columns
    write_dataset(data, Path("out"), "csv")
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from live_metrics.errors import UserError
from live_metrics.generator.gen_hostile import (
    HostileRecord,
    append_to_event_log,
    context_from_reference,
    hostile_records,
)
from live_metrics.generator.gen_model import (
    ALL_EVENT_TYPE_NAMES,
    PROBLEMS,
    Events,
    GeneratorConfig,
    counts_by,
)
from live_metrics.generator.gen_output import (
    FORMATS,
    PARTITIONS,
    EventFormatter,
    file_names,
    reference_table,
    write_tables,
)
from live_metrics.generator.gen_problems import ProblemRate, inject_problems
from live_metrics.generator.gen_streams import ALERT_OUTAGE_HOURS, ALERT_OUTAGE_UTC_H, CRASH_SPIKE_SHARE
from live_metrics.generator.gen_world import build_world
from live_metrics.options import writable_dir

__all__ = ["GeneratorConfig", "GeneratedData", "generate_events", "write_dataset", "register", "run"]

# Rough size guard: about 10 events per viewer-day (~320 bytes of RAM each while generating);
# refuse runs that would not fit in memory.
EVENTS_PER_VIEWER_DAY_ESTIMATE = 10
MAX_ESTIMATED_EVENTS = 150_000_000
MAX_DAYS = 3_660


@dataclass
class GeneratedData:
    """A generated data set: raw event rows (as integer columns) and reference tables.

    ``events`` is in output order (received_at); ``events["problem"]`` is the injected-problem
    label of each row (see ``gen_model.PROBLEMS``), aligned with ``event_table()``.
    """

    config: GeneratorConfig
    events: Events
    reference: dict[str, pa.Table]
    problem_rates: list[ProblemRate]
    entity_stats: dict[str, int]
    formatter: EventFormatter
    seconds: dict[str, float] = field(default_factory=dict)

    def event_table(self) -> pa.Table:
        """The whole raw_live_events table as text columns (fine up to a few million rows)."""
        return pa.concat_tables(list(self.event_batches()))

    def event_batches(self, chunk_rows: int = 1_000_000) -> Iterator[pa.Table]:
        return self.formatter.batches(self.events, chunk_rows)

    def events_by_type(self) -> dict[str, int]:
        return counts_by(self.events["etype"], ALL_EVENT_TYPE_NAMES)

    def rows_by_problem(self) -> dict[str, int]:
        return counts_by(self.events["problem"], [p.name for p in PROBLEMS])

    def labels(self) -> list[str]:
        """Problem name of each raw row, in output order (for tests and reconciliation)."""
        names = np.array([p.name for p in PROBLEMS])
        return names[self.events["problem"]].tolist()


def generate_events(config: GeneratorConfig, progress: Callable[[str], None] | None = None) -> GeneratedData:
    """Simulate the world, inject the data-quality problems, and return the raw rows."""
    _validate(config)
    say = progress or (lambda _msg: None)
    t0 = time.perf_counter()
    say(f"simulating {config.days} days, {config.creators} creators, {config.viewers} viewers (seed {config.seed})")
    world = build_world(config)
    t1 = time.perf_counter()
    say(
        f"simulated {len(world.events):,} clean events in {world.entity_stats['streams']:,} streams, "
        f"{world.entity_stats['sessions']:,} sessions ({t1 - t0:.1f} s)"
    )
    raw, rates = inject_problems(config, world)
    t2 = time.perf_counter()
    say(f"injected data-quality problems: {len(raw):,} raw rows ({t2 - t1:.1f} s)")
    formatter = EventFormatter(config, world)
    reference = {name: reference_table(cols) for name, cols in world.reference.items()}
    return GeneratedData(
        config=config,
        events=raw,
        reference=reference,
        problem_rates=rates,
        entity_stats=dict(world.entity_stats),
        formatter=formatter,
        seconds={"simulate": t1 - t0, "inject": t2 - t1},
    )


def write_dataset(
    data: GeneratedData,
    out_dir: Path | str,
    fmt: str = "csv",
    progress: Callable[[str], None] | None = None,
    partition_by: str | None = None,
) -> dict[str, int]:
    """Write raw_live_events and the four reference tables to ``out_dir``.

    ``fmt`` is ``csv`` (raw_live_events.csv.gz + plain .csv reference tables) or ``parquet``.
    ``partition_by="received_date"`` writes the event log as daily drops
    (``raw_live_events/received_date=YYYY-MM-DD/part-0.*``). Returns file name -> size in bytes.
    """
    if fmt not in FORMATS:
        raise UserError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    out = writable_dir(Path(out_dir))
    t0 = time.perf_counter()
    try:
        sizes = write_tables(out, fmt, data.event_batches(), data.reference, progress, partition_by)
    except OSError as error:
        raise UserError(f"cannot write to {out}: {error.strerror or error}") from error
    data.seconds["write"] = time.perf_counter() - t0
    return sizes


# --- validation ----------------------------------------------------------------------------


def _validate(config: GeneratorConfig) -> None:
    if not 1 <= config.days <= MAX_DAYS:
        raise UserError(f"--days must be between 1 and {MAX_DAYS}, got {config.days}")
    if config.creators < 1:
        raise UserError(f"--creators must be at least 1, got {config.creators}")
    if config.viewers < 1:
        raise UserError(f"--viewers must be at least 1, got {config.viewers}")
    if config.seed < 0:
        raise UserError(f"--seed must be a non-negative integer, got {config.seed}")
    estimate = config.viewers * config.days * EVENTS_PER_VIEWER_DAY_ESTIMATE
    if estimate > MAX_ESTIMATED_EVENTS:
        raise UserError(
            f"about {estimate:,} events requested; the limit is {MAX_ESTIMATED_EVENTS:,} (lower --viewers or --days)"
        )


def _parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _optional_date(text: str) -> dt.date | None:
    return None if text.strip().lower() == "none" else _parse_date(text)


def _date_text(day: dt.date | None) -> str:
    return day.isoformat() if day else "none"


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None


# --- CLI --------------------------------------------------------------------------------------


def register(subparsers: argparse._SubParsersAction) -> None:
    defaults = GeneratorConfig()
    parser = subparsers.add_parser(
        "generate",
        help="generate a synthetic raw event log (raw_live_events) and its reference tables",
        description=(
            "Generate a realistic raw event log for the live-streaming feature, exactly in the input "
            "contract (docs/contract/events.md): raw_live_events plus users, gift_catalog, coin_prices "
            "and ad_campaigns. "
            "Every data-quality problem of the contract is injected at a documented rate. The same seed "
            "always produces byte-identical files. Volume is about 10 events per viewer-day "
            "(e.g. --days 30 --viewers 35000 gives ~10 million events); the defaults give the committed "
            "demo set, seeds/demo."
        ),
    )
    parser.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="DIR",
        help="output directory (created if missing; existing files of the same name are replaced)",
    )
    parser.add_argument(
        "--days",
        type=_integer,
        default=defaults.days,
        help=f"number of days to simulate, from --start (default {defaults.days})",
    )
    parser.add_argument(
        "--creators",
        type=_integer,
        default=defaults.creators,
        help=f"number of creators who go live (default {defaults.creators})",
    )
    parser.add_argument(
        "--viewers",
        type=_integer,
        default=defaults.viewers,
        help=f"number of viewers; event volume scales with viewers x days (default {defaults.viewers})",
    )
    parser.add_argument(
        "--seed",
        type=_integer,
        default=defaults.seed,
        help=f"random seed; the same seed gives identical output (default {defaults.seed})",
    )
    parser.add_argument(
        "--start",
        type=_parse_date,
        default=defaults.start,
        metavar="YYYY-MM-DD",
        help=f"first simulated day, UTC (default {defaults.start.isoformat()})",
    )
    parser.add_argument(
        "--crash-spike",
        type=_optional_date,
        default=defaults.crash_spike,
        metavar="YYYY-MM-DD|none",
        help=f"plant a crash spike on this UTC day: {CRASH_SPIKE_SHARE:.0%}% of the streams that would end normally "
        f"crash early instead (default {_date_text(defaults.crash_spike)}, the demo's; a day outside the simulated "
        "days plants nothing)",
    )
    parser.add_argument(
        "--alert-outage",
        type=_optional_date,
        default=defaults.alert_outage,
        metavar="YYYY-MM-DD|none",
        help=f"plant a live-alert outage on this UTC day: alerts sent from {ALERT_OUTAGE_UTC_H:02.0f}:00 UTC for "
        f"{ALERT_OUTAGE_HOURS:g} h are never delivered, so none is opened (default "
        f"{_date_text(defaults.alert_outage)}, the demo's)",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="csv",
        help="csv: raw_live_events.csv.gz and plain .csv reference tables; "
        "parquet: one .parquet file per table (default csv)",
    )
    parser.add_argument(
        "--partition-by",
        choices=PARTITIONS,
        default=None,
        help="write the event log as daily drops, raw_live_events/received_date=YYYY-MM-DD/part-0.csv.gz "
        "(or .parquet): each row in the drop of the day it was received, as a daily export lands",
    )
    parser.add_argument(
        "--hostile",
        action="store_true",
        help="also append hostile records to the CSV event log: damaged CSV lines, invalid "
        "UTF-8, a 3 MB record, extreme and non-finite numbers, timestamps with offsets, "
        "odd event-type casing, a viewer missing from users, real chat text "
        "(see live_metrics/generator/gen_hostile.py; csv only)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the summary as JSON on stdout (progress goes to stderr)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = GeneratorConfig(
        days=args.days,
        creators=args.creators,
        viewers=args.viewers,
        seed=args.seed,
        start=args.start,
        crash_spike=args.crash_spike,
        alert_outage=args.alert_outage,
    )
    stream = sys.stderr if args.json else sys.stdout
    started = time.perf_counter()

    def progress(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f}s] {message}", file=stream, flush=True)

    _validate(config)
    if args.hostile and args.format != "csv":
        raise UserError("--hostile writes damaged CSV lines: use it with --format csv")
    if args.hostile and args.partition_by:
        raise UserError("--hostile appends to the single event log file: use it without --partition-by")
    out = writable_dir(args.out)
    _warn_other_format(out, args.format, progress)
    data = generate_events(config, progress)
    sizes = write_dataset(data, out, args.format, progress, args.partition_by)
    hostile = append_hostile(data, out) if args.hostile else []
    if hostile:
        progress(f"appended {len(hostile)} hostile records")
        sizes = {name: (out / name).stat().st_size for name in sizes}
    data.seconds["total"] = time.perf_counter() - started
    summary = build_summary(data, out, args.format, sizes)
    summary["hostile_records"] = len(hostile)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(render_summary(summary))
    return 0


def append_hostile(data: GeneratedData, out: Path) -> list[HostileRecord]:
    """Append gen_hostile's records to the written CSV event log; returns them."""
    records = hostile_records(
        context_from_reference(
            data.reference["users"].column("user_id").to_pylist(),
            data.reference["gift_catalog"].column("gift_id").to_pylist(),
            data.reference["ad_campaigns"].column("campaign_id").to_pylist(),
            data.config.start,
        )
    )
    append_to_event_log(out / file_names("csv")["raw_live_events"], records)
    return records


def _warn_other_format(out: Path, fmt: str, progress: Callable[[str], None]) -> None:
    other = [f for f in FORMATS if f != fmt][0]
    stale = [name for name in file_names(other).values() if (out / name).exists()]
    if stale:
        progress(
            f"note: {out} also holds {other} files from an earlier run ({', '.join(stale)}); they are left untouched"
        )


# --- summary ------------------------------------------------------------------------------------


def build_summary(data: GeneratedData, out: Path, fmt: str, sizes: dict[str, int]) -> dict:
    kinds = {p.name: p.kind for p in PROBLEMS}
    by_problem = data.rows_by_problem()
    rates = {r.name: r for r in data.problem_rates}
    problems = []
    for p in PROBLEMS[1:]:
        entry = {"problem": p.name, "kind": p.kind, "rows": by_problem[p.name]}
        if p.name in rates:
            r = rates[p.name]
            entry.update(
                {
                    "target_rate": r.rate,
                    "base": r.base,
                    "base_rows": r.base_rows,
                    "actual_rate": round(r.rows / r.base_rows, 6) if r.base_rows else None,
                }
            )
        problems.append(entry)
    by_kind: dict[str, int] = {}
    for name, rows in by_problem.items():
        by_kind[kinds[name]] = by_kind.get(kinds[name], 0) + rows
    return {
        "config": {
            "days": data.config.days,
            "creators": data.config.creators,
            "viewers": data.config.viewers,
            "seed": data.config.seed,
            "start": data.config.start.isoformat(),
            "format": fmt,
        },
        "out": str(out),
        "raw_rows": len(data.events),
        "rows_by_kind": by_kind,
        "events_by_type": {k: v for k, v in data.events_by_type().items() if v},
        "problems": problems,
        "entities": data.entity_stats,
        "files": sizes,
        "total_bytes": sum(sizes.values()),
        "seconds": {k: round(v, 2) for k, v in data.seconds.items()},
    }


def _human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.1f} {unit}" if unit != "B" else f"{n} B"
        size /= 1024
    return f"{n} B"


def render_summary(summary: dict) -> str:
    lines = [""]
    total = summary["raw_rows"]
    lines.append(f"raw_live_events: {total:,} rows -> {summary['out']}")
    lines.append("")
    lines.append(f"{'event_type':<24}{'rows':>12}{'share':>9}")
    for name, rows in sorted(summary["events_by_type"].items(), key=lambda kv: -kv[1]):
        lines.append(f"{name:<24}{rows:>12,}{rows / total:>9.2%}")
    lines.append("")
    lines.append(f"{'injected problem':<27}{'kind':<12}{'rows':>9}{'target':>9}{'actual':>9}  base")
    for p in summary["problems"]:
        target = f"{p['target_rate']:.2%}" if "target_rate" in p else ""
        actual = f"{p['actual_rate']:.2%}" if p.get("actual_rate") is not None else ""
        base = f"{p['base']} ({p['base_rows']:,})" if "base" in p else ""
        lines.append(f"{p['problem']:<27}{p['kind']:<12}{p['rows']:>9,}{target:>9}{actual:>9}  {base}")
    lines.append("")
    kinds = summary["rows_by_kind"]
    lines.append("rows by kind: " + ", ".join(f"{k} {v:,}" for k, v in sorted(kinds.items())))
    ent = summary["entities"]
    lines.append(
        f"streams {ent['streams']:,} (no end event {ent['streams_no_end_event']}, never started "
        f"{ent['streams_never_started']}, crashed {ent['streams_crashed']}, banned {ent['streams_banned']}, "
        f"6 h+ {ent['streams_marathon_6h_plus']}); sessions {ent['sessions']:,} (without leave "
        f"{ent['sessions_without_leave']:,}, with reconnect {ent['sessions_with_reconnect']:,}); "
        f"viewers with a session {ent['viewers_with_session']:,}; gifters {ent['gifters']:,}"
    )
    lines.append("")
    lines.append(f"{'file':<28}{'size':>12}")
    for name, size in summary["files"].items():
        lines.append(f"{name:<28}{_human_bytes(size):>12}")
    lines.append(f"{'total':<28}{_human_bytes(summary['total_bytes']):>12}")
    lines.append("")
    if summary.get("hostile_records"):
        lines.append(
            f"hostile records appended: {summary['hostile_records']} (see live_metrics/generator/gen_hostile.py)"
        )
    lines.append("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in summary["seconds"].items()))
    return "\n".join(lines)
