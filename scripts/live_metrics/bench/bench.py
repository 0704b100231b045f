"""`live-metrics bench`: how the pipeline scales on this machine -- a benchmark, not timed tests.

One run measures, on generated data sets of the given sizes (default about 1 M and 10 M events):

1. ``live-metrics generate`` throughput (events/s, parquet);
2. a full ``dbt build`` per size into its own DuckDB file: wall seconds, peak RSS, seconds per
   million events, and how the cost per event grows from the smallest size to the largest;
3. ``live-metrics materialize`` and ``live-metrics export`` on the largest warehouse;
4. a hand-written DuckDB baseline for the heaviest fact (viewer sessions with per-stream peak
   concurrency) in one query straight from the raw parquet (``BASELINE_SQL``), checked against the
   marts (on the demo data and on every size) and timed against dbt's full build;
5. one new day built incrementally on the largest size: the data set is generated as daily drops
   (``--partition-by received_date``); the full build of step 2 reads every drop but the last
   simulated day's (and the stragglers received after it), then those drops land and an incremental
   ``dbt build`` runs on that warehouse; its time is shown as a share of the full build;
6. one new day after 30 and after 90 days of history (``bench_history``): one data set of 90 days at a
   fixed audience, a full build of the drops before day H, then day H's drops incrementally, for each H;
   the new day's time and peak RSS at 90 days over 30 show whether its cost grows with the history;

and prints the goals with their status. Progress goes to stderr, the table to stdout (``--json``:
the JSON document instead); the JSON is always written to ``--out``.

Every step runs as its own process, one at a time, with ``DBT_PROFILES_DIR`` at the repo root and
the DuckDB settings of profiles.yml (``LIVE_DUCKDB_THREADS``, ``LIVE_DUCKDB_MEMORY_LIMIT``); the
baseline runs with the same two settings. Peak RSS is ``ru_maxrss`` of the step's process as
reported by ``wait4``: the largest resident set reached by that process or any descendant it
waited for. The data, warehouses and logs go to a temporary folder, removed at the end unless
``--keep DIR`` names a folder to keep them in.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from live_metrics.bench.bench_history import HistoryPlan, history_goals, history_result, run_history
from live_metrics.engine.profile import ACCESS_MODE_ENV_VAR, READ_WRITE
from live_metrics.errors import UserError
from live_metrics.ops.dbt_step import MEMORY_LIMIT_ENV, incremental_build_env
from live_metrics.options import repo_root, writable_dir
from live_metrics.render.table import format_table

DEFAULT_SIZES = "1m,10m"
QUICK_SIZES = "20k,100k"
DEFAULT_OUT = Path("output") / "bench.json"
DEMO_DIR = Path("seeds") / "demo"  # the demo step's data unless --demo says otherwise
DEMO_LOG = "raw_live_events.csv.gz"
SCHEMA = "live-metrics-bench/1"

# The generated world: ~10 events per viewer-day. 30 days, 400 creators and 3,500 viewers give ~1 M
# events; the viewers scale with the size and the creators with them (one per 8.75 viewers, the
# ratio at 1 M), up to 400: from 1 M up only the audience grows, as in `generate --help`.
DAYS = 30
VIEWERS_PER_MILLION_EVENTS = 3_500
VIEWERS_PER_CREATOR = 8.75
MIN_CREATORS = 2
MAX_CREATORS = 400
MIN_SIZE = 10_000
# The generator holds every event in memory (~320 bytes each, plus the parquet writer): 30 M events
# need ~10 GB, about what a shared 24 GiB machine can spare.
MAX_SIZE = 30_000_000
# The history step: one data set of max(HISTORY_DAYS) days at a fixed audience (the sizes' ~9.5 events per
# viewer-day: ~95 k events a day at 10,000 viewers; the creators by VIEWERS_PER_CREATOR), one new day
# measured after each history length.
HISTORY_DAYS = (30, 90)
HISTORY_VIEWERS = 10_000
QUICK_HISTORY_VIEWERS = 300
EVENTS_PER_VIEWER_DAY = 1_000_000 / (VIEWERS_PER_MILLION_EVENTS * DAYS)
_SIZE_PATTERN = re.compile(r"^(\d+(?:\.\d+)?)([km]?)$")
_MULTIPLIERS = {"": 1, "k": 1_000, "m": 1_000_000}

# DuckDB settings: the defaults of profiles.yml.
THREADS_ENV, DEFAULT_THREADS = "LIVE_DUCKDB_THREADS", "2"
DEFAULT_MEMORY_LIMIT = "3GB"  # the profile's default for MEMORY_LIMIT_ENV

# Goals (issue "daily operation at scale").
INCREMENTAL_GOAL_SHARE = 0.05  # one new day <= 0.05 x the full build
HISTORY_GOAL_RATIO = 1.25  # one new day's time and peak RSS at 90 days of history <= 1.25 x at 30 days
PEAK_RSS_GOAL_GIB = 4.0  # at the largest size
FLAT_RATIO_MAX = 1.2  # cost per event, largest / smallest size: "flat" up to this
READ_GOAL_SECONDS = 3.0  # scorecard, explain, check, creator on the demo warehouse (issue "slow and silent")
READ_COMMANDS = ("scorecard", "explain", "check", "creator")

GIB = 1024**3
MIB = 1024**2

# The same ISO-8601 pattern as the ingestion gate (macros/timestamps.sql): date, time, zone.
ISO_TIMESTAMP = (
    r"^([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ]([0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,9})?)?)"
    r"([Zz]|([+-])([0-9]{2}):?([0-9]{2})?)$"
)

# --- the baseline ----------------------------------------------------------------------------------

# What dbt computes across base_live__raw_events, base_live__events, the staging models,
# int_live__stream_last_seen, int_live__streams, int_live__presence_sequenced,
# int_live__viewer_sessions and int_live__stream_concurrency, written by hand as one query from
# docs/contract/events.md: every ingestion rule that can keep an event out of a stream or a session
# (duplicate deliveries, the row checks of every type, business keys, streams never started), then
# the streams (ended by their end event, else at the last clean event seen, an orphan leave not being
# clean; the other rows quarantined after the gate, refunds and unknown reference ids, never end a
# generated stream), the sessions (a join
# with no open session opens one, a join while open is a reconnect, a leave closes it, no leave: the
# stream's end; clipped to the stream) and the peak concurrency per stream (+1/-1 sweep, leaves first
# at equal times). The result is one row per session with its stream's peak.
BASELINE_SQL = r"""
-- Baseline: viewer sessions with per-stream peak concurrency, from the raw log, in one query.
set threads = __THREADS__;
set memory_limit = '__MEMORY_LIMIT__';

create or replace temp macro clean_text(x) as
    nullif(trim(cast(x as varchar), ' ' || chr(9) || chr(10) || chr(13)), '');
create or replace temp macro utc_timestamp(day, clock, sign, hours, minutes) as
    case when day != '' then
        try_cast(day || ' ' || clock as timestamp)
        - to_minutes(cast(
            (case sign when '-' then -1 else 1 end)
            * (coalesce(try_cast(nullif(hours, '') as int), 0) * 60
               + coalesce(try_cast(nullif(minutes, '') as int), 0)) as bigint))
    end;
create or replace temp macro is_number_at_least(x, low) as
    coalesce(try_cast(x as double) >= low and isfinite(try_cast(x as double)), false);
create or replace temp macro is_whole_between(x, low, high) as
    coalesce(
        try_cast(x as double) = floor(try_cast(x as double))
        and try_cast(try_cast(x as double) as bigint) >= low
        and try_cast(x as double) <= high,
        false);

create or replace table baseline_viewer_sessions as
with

raw_rows as (
    select
        row_number() over () as raw_row_number,
        clean_text(event_id) as event_id,
        lower(clean_text(event_type)) as event_type,
        regexp_extract(clean_text(event_at), '__ISO__', ['d', 't', 's', 'f', 'z', 'sign', 'hh', 'mm']) as e,
        regexp_extract(clean_text(received_at), '__ISO__', ['d', 't', 's', 'f', 'z', 'sign', 'hh', 'mm']) as r,
        clean_text(user_id) as user_id,
        clean_text(stream_id) as stream_id,
        case when json_valid(cast(properties as varchar)) then cast(properties as varchar) end as props
    from __RAW_EVENTS__
),

typed as (
    select
        raw_row_number,
        event_id,
        event_type,
        user_id,
        stream_id,
        utc_timestamp(e.d, e.t, e.sign, e.hh, e.mm) as event_at,
        utc_timestamp(r.d, r.t, r.sign, r.hh, r.mm) as received_at,
        coalesce(json_type(props) = 'OBJECT', false) as is_object,
        -- every property a rule reads, from one parse of the JSON
        list_transform(
            json_extract_string(props, [
                '$.title', '$.category', '$.end_reason', '$.notification_id', '$.creator_id', '$.source',
                '$.startup_ms', '$.rebuffer_ms', '$.played_ms', '$.comment_id', '$.text', '$.count',
                '$.channel', '$.gift_txn_id', '$.gift_id', '$.quantity', '$.reason', '$.impression_id',
                '$.campaign_id', '$.action', '$.target_user_id'
            ]),
            lambda value: nullif(value, '')
        ) as p
    from raw_rows
),

checked as (
    select
        raw_row_number,
        event_id,
        event_type,
        user_id,
        stream_id,
        event_at,
        received_at,
        case event_type
            when 'stream_started' then stream_id
            when 'stream_ended' then stream_id
            when 'notification_sent' then p[4]
            when 'comment_posted' then p[10]
            when 'gift_sent' then p[14]
            when 'ad_impression' then p[18]
        end as business_key,
        coalesce(
            event_id is not null
            and event_at is not null
            and received_at is not null
            and event_at <= received_at + interval 5 minute
            and user_id is not null
            and (stream_id is not null or event_type = 'notification_opt_out')
            and is_object
            and case event_type
                when 'stream_started' then p[1] is not null and p[2] is not null
                when 'stream_ended' then p[3] in ('creator_ended', 'crashed', 'banned')
                when 'notification_sent' then p[4] is not null and p[5] is not null
                when 'notification_opened' then p[4] is not null
                when 'notification_opt_out' then p[5] is not null
                when 'viewer_joined'
                    then p[6] in ('notification', 'for_you', 'following', 'profile', 'share_link', 'search')
                when 'viewer_left' then true
                when 'playback_stats' then
                    is_number_at_least(p[7], 0) and try_cast(p[7] as double) <= 600000
                    and is_number_at_least(p[8], 0) and try_cast(p[8] as double) <= 86400000
                    and is_number_at_least(p[9], 0) and try_cast(p[9] as double) <= 86400000
                when 'comment_posted' then p[10] is not null and p[11] is not null
                when 'creator_replied' then p[10] is not null and p[11] is not null
                when 'like_sent' then is_whole_between(p[12], 1, 10000)
                when 'stream_shared' then p[13] is not null
                when 'creator_followed' then p[5] is not null
                when 'gift_sent' then p[14] is not null and p[15] is not null and is_whole_between(p[16], 1, 10000)
                when 'gift_refunded' then p[14] is not null
                when 'gift_blocked' then
                    p[15] is not null and is_whole_between(p[16], 1, 10000)
                    and p[17] in ('underage', 'spending_limit', 'payment_failed')
                when 'ad_impression' then p[18] is not null and p[19] is not null
                when 'ad_clicked' then p[18] is not null
                when 'stream_reported' then p[17] is not null
                when 'moderation_action' then
                    p[20] in ('warn', 'mute', 'remove_viewer', 'end_stream') and p[21] is not null
                else false
            end,
            false
        ) as is_valid,
        -- the copy received first is the event; later copies are duplicates even when it is bad
        case
            when event_id is not null
                then row_number() over (partition by event_id order by received_at nulls last, raw_row_number)
            else 1
        end as delivery_number
    from typed
),

first_copies as (
    select
        *,
        case
            when business_key is not null
                then row_number() over (
                    partition by event_type, business_key order by event_at, received_at, raw_row_number
                )
            else 1
        end as business_key_rank
    from checked
    where delivery_number = 1 and is_valid
),

stream_starts as (
    select
        stream_id,
        event_at as started_at
    from first_copies
    where event_type = 'stream_started' and business_key_rank = 1
),

clean_events as materialized (
    select
        first_copies.event_id,
        first_copies.event_type,
        first_copies.event_at,
        first_copies.received_at,
        first_copies.user_id,
        first_copies.stream_id
    from first_copies
    left join stream_starts on first_copies.stream_id = stream_starts.stream_id
    where
        first_copies.business_key_rank = 1
        and (
            first_copies.event_type in ('stream_started', 'notification_opt_out')
            or stream_starts.stream_id is not null
        )
),

presence as (
    select
        stream_id,
        user_id as viewer_id,
        event_type = 'viewer_joined' as is_join,
        event_at,
        received_at,
        event_id,
        lag(event_type = 'viewer_joined') over (
            partition by stream_id, user_id
            order by event_at, event_type = 'viewer_joined', received_at, event_id
        ) as after_join
    from clean_events
    where event_type in ('viewer_joined', 'viewer_left')
),

-- a stream with no end event ends at its last clean event: an orphan leave (a leave with no open
-- session) is quarantined, so it is not one
last_seen as (
    select
        stream_id,
        max(event_at) as last_event_at
    from clean_events
    where
        stream_id is not null
        and event_id not in (select event_id from presence where not is_join and not coalesce(after_join, false))
    group by stream_id
),

streams as (
    select
        stream_starts.stream_id,
        stream_starts.started_at,
        greatest(
            stream_starts.started_at,
            coalesce(stream_ends.event_at, last_seen.last_event_at, stream_starts.started_at)
        ) as ended_at
    from stream_starts
    left join clean_events as stream_ends
        on stream_starts.stream_id = stream_ends.stream_id and stream_ends.event_type = 'stream_ended'
    left join last_seen on stream_starts.stream_id = last_seen.stream_id
),

-- session starts (a join after nothing or after a leave) and session ends (a leave after a join)
-- alternate per viewer and stream, so a start's end is the next of these rows
bounds as (
    select
        stream_id,
        viewer_id,
        is_join,
        event_at,
        lead(event_at) over (
            partition by stream_id, viewer_id
            order by event_at, is_join, received_at, event_id
        ) as next_event_at
    from presence
    where (is_join and not coalesce(after_join, false)) or (not is_join and after_join)
),

sessions as materialized (
    select
        bounds.stream_id,
        bounds.viewer_id,
        bounds.event_at as joined_at,
        bounds.next_event_at as left_at,
        least(greatest(bounds.event_at, streams.started_at), streams.ended_at) as started_at,
        greatest(
            least(coalesce(bounds.next_event_at, streams.ended_at), streams.ended_at),
            least(greatest(bounds.event_at, streams.started_at), streams.ended_at)
        ) as ended_at
    from bounds
    inner join streams on bounds.stream_id = streams.stream_id
    where
        bounds.is_join
        -- a session of no length once clipped to its stream is no viewing (docs/contract/events.md §Semantics)
        and least(coalesce(bounds.next_event_at, streams.ended_at), streams.ended_at)
        > least(greatest(bounds.event_at, streams.started_at), streams.ended_at)
),

deltas as (
    select stream_id, started_at as changed_at, 1 as delta from sessions
    union all
    select stream_id, ended_at as changed_at, -1 as delta from sessions
),

peaks as (
    select
        stream_id,
        max(open_sessions) as peak_concurrent_viewers
    from (
        select
            stream_id,
            sum(delta) over (
                partition by stream_id
                order by changed_at, delta
                rows between unbounded preceding and current row
            ) as open_sessions
        from deltas
    )
    group by stream_id
)

select
    sessions.stream_id,
    sessions.viewer_id,
    sessions.joined_at,
    sessions.left_at,
    sessions.started_at,
    sessions.ended_at,
    date_diff('millisecond', sessions.started_at, sessions.ended_at) / 60000.0 as watch_minutes,
    peaks.peak_concurrent_viewers
from sessions
inner join peaks on sessions.stream_id = peaks.stream_id;
"""

# Runs a SQL script in a DuckDB file, as its own process (so that its time and memory are its own).
_SQL_RUNNER = (
    "import sys, duckdb\n"
    "connection = duckdb.connect(sys.argv[1])\n"
    "connection.execute(open(sys.argv[2], encoding='utf-8').read())\n"
    "connection.close()\n"
)

# The baseline against the marts: same sessions (count, watch minutes, and row by row), same peak per stream.
CHECK_SQL = """
with
baseline as (select stream_id, viewer_id, started_at, ended_at from baseline_viewer_sessions),
mart as (select stream_id, viewer_id, started_at, ended_at from wh.marts.fct_viewer_sessions),
baseline_peaks as (select distinct stream_id, peak_concurrent_viewers as peak from baseline_viewer_sessions),
mart_peaks as (select stream_id, peak_concurrent_viewers as peak from wh.marts.fct_live_streams)
select
    (select count(*) from baseline_viewer_sessions),
    (select count(*) from wh.marts.fct_viewer_sessions),
    (select coalesce(sum(watch_minutes), 0) from baseline_viewer_sessions),
    (select coalesce(sum(watch_minutes), 0) from wh.marts.fct_viewer_sessions),
    (select count(*) from (select * from baseline except all select * from mart))
        + (select count(*) from (select * from mart except all select * from baseline)),
    (select count(*) from mart_peaks),
    (select count(*) from baseline_peaks full join mart_peaks on baseline_peaks.stream_id = mart_peaks.stream_id
        where coalesce(baseline_peaks.peak, 0) != coalesce(mart_peaks.peak, 0))
"""


def baseline_sql(raw_events: str, threads: str, memory_limit: str) -> str:
    """The baseline script over ``raw_events`` (a table function call reading the raw log as text)."""
    return (
        BASELINE_SQL.replace("__RAW_EVENTS__", raw_events)
        .replace("__ISO__", ISO_TIMESTAMP)
        .replace("__THREADS__", str(int(threads)))
        .replace("__MEMORY_LIMIT__", memory_limit.replace("'", "''"))
    )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def parquet_reader(folder: Path) -> str:
    """The event log of a generated data set: its daily drops (raw_live_events/received_date=.../*.parquet)."""
    return f"read_parquet({_literal(str(folder / 'raw_live_events' / '**' / '*.parquet'))})"


def csv_reader(path: Path) -> str:
    """The event log read as the ingestion gate reads a CSV (macros/raw_files.sql), every column text."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    columns = ", ".join(f"{_literal(name)}: 'VARCHAR'" for name in header)
    return (
        f"read_csv({_literal(str(path))}, header = true, auto_detect = false, columns = {{{columns}}}, "
        "delim = ',', quote = '\"', escape = '\"', max_line_size = 1048576)"
    )


# --- sizes -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Size:
    """A data set to generate: its label as given (``1m``) and the number of events aimed at."""

    label: str
    target_events: int

    @property
    def viewers(self) -> int:
        return max(1, round(self.target_events * VIEWERS_PER_MILLION_EVENTS / 1_000_000))

    @property
    def creators(self) -> int:
        return creators_for(self.viewers)


def creators_for(viewers: int) -> int:
    """The creators of a generated world with ``viewers`` viewers: one per VIEWERS_PER_CREATOR, within bounds."""
    return max(MIN_CREATORS, min(MAX_CREATORS, round(viewers / VIEWERS_PER_CREATOR)))


def history_plan(quick: bool) -> HistoryPlan:
    """The history step's data set: HISTORY_DAYS at HISTORY_VIEWERS (QUICK_HISTORY_VIEWERS with --quick)."""
    viewers = QUICK_HISTORY_VIEWERS if quick else HISTORY_VIEWERS
    target = round(viewers * max(HISTORY_DAYS) * EVENTS_PER_VIEWER_DAY)
    return HistoryPlan(days=HISTORY_DAYS, viewers=viewers, creators=creators_for(viewers), target_events=target)


def _human_count(n: int) -> str:
    for unit, factor in (("m", 1_000_000), ("k", 1_000)):
        if n >= factor and n % (factor // 10) == 0:
            return f"{n / factor:g}{unit}"
    return f"{n:,}"


def parse_sizes(text: str) -> list[Size]:
    """``20k,1m,10m`` -> sizes, smallest first; a one-line ``UserError`` for anything else."""
    tokens = [token.strip().lower() for token in text.split(",")]
    if not any(tokens):
        raise UserError("--sizes is empty: give comma-separated event counts such as 1m,10m")
    sizes: list[Size] = []
    for token in tokens:
        match = _SIZE_PATTERN.match(token)
        if not match:
            shown = token or "(empty)"
            raise UserError(
                f"--sizes: {shown!r} is not a size: give a number of events with an optional k or m, "
                "comma-separated, e.g. 100k,1m,10m"
            )
        events = round(float(match.group(1)) * _MULTIPLIERS[match.group(2)])
        if not MIN_SIZE <= events <= MAX_SIZE:
            raise UserError(
                f"--sizes: {token} is {events:,} events; each size must be between "
                f"{_human_count(MIN_SIZE)} and {_human_count(MAX_SIZE)} events"
            )
        if any(size.target_events == events for size in sizes):
            raise UserError(f"--sizes: {token} is given twice")
        sizes.append(Size(token, events))
    return sorted(sizes, key=lambda size: size.target_events)


# --- running one step ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    seconds: float
    peak_rss_bytes: int


def build_env(env: dict[str, str], incremental: bool) -> dict[str, str]:
    """The environment of a `dbt build`: an incremental one with its memory limit, as `make daily` runs it."""
    return incremental_build_env(env) if incremental else env


def run_measured(
    command: Sequence[str],
    *,
    what: str,
    env: dict[str, str],
    log: Path,
    stdout: Path | None = None,
    cwd: Path | None = None,
    ok_codes: Sequence[int] = (0,),
) -> Measured:
    """Run ``command`` to completion: wall seconds and ``ru_maxrss`` of its process tree (``wait4``).

    Its output goes to ``log`` (stdout to ``stdout`` when given); a failure is a one-line ``UserError``
    quoting the log's last informative line.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as err, open(stdout or os.devnull, "wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            list(command),
            cwd=cwd or repo_root(),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out if stdout else err,
            stderr=err,
        )
        try:
            _, status, usage = os.wait4(process.pid, 0)
        except BaseException:
            process.kill()
            process.wait()
            raise
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in ok_codes:
        raise UserError(f"{what} failed (exit {process.returncode}): {_last_error_line(log)}")
    # Linux reports ru_maxrss in KiB, macOS in bytes
    peak = usage.ru_maxrss if sys.platform == "darwin" else usage.ru_maxrss * 1024
    return Measured(seconds=seconds, peak_rss_bytes=peak)


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _last_error_line(log: Path) -> str:
    try:
        lines = [_ANSI.sub("", line).strip() for line in log.read_text(errors="replace").splitlines()]
    except OSError:
        return "(no log)"
    lines = [line for line in lines if line]
    errors = [line for line in lines if "error" in line.lower() and not line.lower().startswith("done.")]
    return (errors or lines or ["(no output)"])[-1][:300]


# --- the benchmark ---------------------------------------------------------------------------------


class Progress:
    """Progress lines on stderr, each with the time since the start."""

    def __init__(self) -> None:
        self.started = time.perf_counter()

    def __call__(self, message: str) -> None:
        print(f"[{time.perf_counter() - self.started:7.1f}s] {message}", file=sys.stderr, flush=True)


@dataclass
class Bench:
    """One benchmark run: where it works, with which settings, and what it has measured so far."""

    workspace: Path
    say: Callable[[str], None]
    threads: str
    memory_limit: str
    rows: list[dict[str, Any]]
    checks: list[dict[str, Any]]

    @property
    def root(self) -> Path:
        return repo_root()

    def env(self, **overrides: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DBT_PROFILES_DIR=str(self.root),
            DBT_SEND_ANONYMOUS_USAGE_STATS="False",
            **{THREADS_ENV: self.threads, MEMORY_LIMIT_ENV: self.memory_limit},
        )
        env.update(overrides)
        return env

    def cli(self, *args: str) -> list[str]:
        return [sys.executable, str(self.root / "scripts" / "live-metrics"), *args]

    def folder(self, label: str) -> Path:
        path = self.workspace / f"bench-{label}"
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
        return path

    # -- steps ------------------------------------------------------------------------------------------

    def generate_raw(
        self, label: str, target_events: int, folder: Path, days: int, creators: int, viewers: int
    ) -> tuple[Measured, dict[str, Any]]:
        """`live-metrics generate` into ``folder``/raw (parquet daily drops): its measure and the data set."""
        self.say(
            f"{label}: generating ~{target_events:,} events "
            f"({days} days, {creators} creators, {viewers:,} viewers, parquet)"
        )
        summary_path = folder / "generate.json"
        measured = run_measured(
            self.cli(
                "generate",
                "--out",
                str(folder / "raw"),
                "--days",
                str(days),
                "--crash-spike",
                "none",
                "--alert-outage",
                "none",
                "--creators",
                str(creators),
                "--viewers",
                str(viewers),
                "--format",
                "parquet",
                "--partition-by",
                "received_date",
                "--json",
            ),
            what=f"live-metrics generate ({label})",
            env=self.env(),
            log=folder / "logs" / "generate.log",
            stdout=summary_path,
        )
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
        events = int(summary["raw_rows"])
        self.say(
            f"{label}: generated {events:,} events ({summary['total_bytes'] / MIB:,.0f} MiB parquet) "
            f"in {measured.seconds:.1f} s"
        )
        data = {
            "size": label,
            "target_events": target_events,
            "events": events,
            "days": days,
            "creators": creators,
            "viewers": viewers,
            "seed": summary["config"]["seed"],
            "start": summary["config"]["start"],
            "streams": summary["entities"]["streams"],
            "sessions": summary["entities"]["sessions"],
            "raw_bytes": summary["total_bytes"],
        }
        return measured, data

    def generate(self, size: Size, folder: Path) -> tuple[int, dict[str, Any]]:
        measured, data = self.generate_raw(size.label, size.target_events, folder, DAYS, size.creators, size.viewers)
        events = data["events"]
        self.rows.append(
            {
                "step": "generate",
                "size": size.label,
                "measured": True,
                "events": events,
                "seconds": round(measured.seconds, 2),
                "peak_rss_bytes": measured.peak_rss_bytes,
                "events_per_second": round(events / measured.seconds, 1),
            }
        )
        return events, data

    def dbt_build(
        self,
        label: str,
        folder: Path,
        raw: Path,
        raw_format: str,
        what: str = "dbt build",
        *extra: str,
        incremental: bool = False,
    ) -> Measured:
        """A `dbt build` of ``raw`` into ``folder``'s warehouse; ``incremental`` runs it as `make daily` does."""
        self.say(f"{label}: {what} ...")
        dbt = Path(sys.executable).parent / "dbt"
        if not dbt.exists():
            found = shutil.which("dbt")
            if not found:
                raise UserError("dbt is not installed: run `make install` first")
            dbt = Path(found)
        measured = run_measured(
            [str(dbt), "build", *extra, "--target-path", str(folder / "target"), "--log-path", str(folder / "logs")],
            what=f"dbt build ({label})",
            env=build_env(
                self.env(
                    LIVE_DUCKDB_PATH=str(folder / "live.duckdb"),
                    **{ACCESS_MODE_ENV_VAR: READ_WRITE},  # the profile opens the file read-only otherwise
                    LIVE_RAW_DATA_PATH=str(raw),
                    LIVE_RAW_FORMAT=raw_format,
                ),
                incremental,
            ),
            log=folder / "logs" / f"{what.replace(' ', '_')}.out",
        )
        self.say(f"{label}: {what} {measured.seconds:.1f} s, peak RSS {_rss(measured.peak_rss_bytes)}")
        return measured

    def baseline(self, label: str, folder: Path, raw_events: str) -> Measured:
        self.say(f"{label}: baseline query ...")
        database = folder / "baseline.duckdb"
        for stale in (database, folder / "baseline.duckdb.wal"):
            stale.unlink(missing_ok=True)
        script = folder / "baseline.sql"
        script.write_text(baseline_sql(raw_events, self.threads, self.memory_limit), encoding="utf-8")
        measured = run_measured(
            [sys.executable, "-c", _SQL_RUNNER, str(database), str(script)],
            what=f"the baseline query ({label})",
            env=self.env(),
            log=folder / "logs" / "baseline.log",
        )
        self.say(f"{label}: baseline {measured.seconds:.1f} s, peak RSS {_rss(measured.peak_rss_bytes)}")
        return measured

    def check(self, label: str, folder: Path, events: int) -> dict[str, Any]:
        """Compare the baseline's sessions and peaks with the marts of the warehouse built beside it."""
        import duckdb

        connection = duckdb.connect(str(folder / "baseline.duckdb"))
        try:
            connection.execute(f"set threads = {int(self.threads)}")
            connection.execute(f"set memory_limit = {_literal(self.memory_limit)}")
            connection.execute(f"attach {_literal(str(folder / 'live.duckdb'))} as wh (read_only)")
            row = connection.execute(CHECK_SQL).fetchone()
        except duckdb.Error as error:
            raise UserError(f"baseline check ({label}) failed: {str(error).splitlines()[0]}") from error
        finally:
            connection.close()
        assert row is not None
        b_sessions, m_sessions, b_minutes, m_minutes, sessions_differing, streams, peaks_differing = row
        minutes_match = abs(float(b_minutes) - float(m_minutes)) <= 1e-9 * max(1.0, abs(float(m_minutes)))
        matched = b_sessions == m_sessions and minutes_match and sessions_differing == 0 and peaks_differing == 0
        result = {
            "data": label,
            "events": events,
            "matched": bool(matched),
            "sessions": {"baseline": int(b_sessions), "mart": int(m_sessions)},
            "watch_minutes": {"baseline": round(float(b_minutes), 3), "mart": round(float(m_minutes), 3)},
            "sessions_differing": int(sessions_differing),
            "streams": int(streams),
            "stream_peaks_differing": int(peaks_differing),
        }
        self.checks.append(result)
        verdict = "match" if matched else "MISMATCH"
        self.say(
            f"{label}: baseline check {verdict}: sessions {b_sessions:,} vs {m_sessions:,}, watch minutes "
            f"{float(b_minutes):,.1f} vs {float(m_minutes):,.1f}, {peaks_differing} of {streams:,} stream peaks differ"
        )
        return result

    def demo_run(self, folder: Path, raw: Path) -> Measured:
        """`live-metrics build` of the demo data into ``folder``/live.duckdb, as `make run` builds it."""
        self.say("demo: live-metrics build (dbt build, materialize, export and the stored answers, publish) ...")
        env = self.env(LIVE_RAW_DATA_PATH=str(raw), LIVE_RAW_FORMAT="csv")
        env.pop(ACCESS_MODE_ENV_VAR, None)  # the run opens its work file read-write itself
        measured = run_measured(
            self.cli("build", "--warehouse", str(folder / "live.duckdb"), "--target-path", str(folder / "target")),
            what="live-metrics build (demo)",
            env=env,
            log=folder / "logs" / "build.log",
        )
        self.say(f"demo: live-metrics build {measured.seconds:.1f} s, peak RSS {_rss(measured.peak_rss_bytes)}")
        return measured

    def read_commands(self, folder: Path, fresh: bool) -> None:
        """What a person runs on the published demo warehouse: each read command with its default arguments
        (scorecard, explain and check print the answers the run stored), then (``fresh``) the same three
        through MetricFlow (--fresh), for comparison."""
        warehouse = folder / "live.duckdb"
        env = self.env(LIVE_DUCKDB_PATH=str(warehouse), **{ACCESS_MODE_ENV_VAR: "read_only"})
        manifest = ["--manifest", str(folder / "target" / "semantic_manifest.json")]
        runs = [(command, "stored answer") for command in READ_COMMANDS]
        if fresh:
            runs += [(command, "MetricFlow") for command in READ_COMMANDS if command != "creator"]
        for command, path in runs:
            if command == "creator":
                args = ["creator", _busiest_creator(warehouse)]
            else:
                args = [command, *manifest, *(["--fresh"] if path == "MetricFlow" else [])]
            load = _load()
            measured = run_measured(
                self.cli(*args),
                what=f"live-metrics {command} (demo)",
                env=env,
                log=folder / "logs" / f"{command}-{path.split()[0].lower()}.log",
                stdout=folder / "logs" / f"{command}-{path.split()[0].lower()}.out",
                ok_codes=(0, 1) if command == "check" else (0,),  # check exits 1 when a row FAILs
            )
            self.say(f"demo: {command} ({path}) {measured.seconds:.1f} s (load {load[0] if load else '?'})")
            self.rows.append(
                {
                    "step": "read_command",
                    "size": "demo",
                    "command": command,
                    "path": path,
                    "measured": True,
                    "seconds": round(measured.seconds, 2),
                    "peak_rss_bytes": measured.peak_rss_bytes,
                    "load_average": load[0] if load else None,
                }
            )

    def metrics_step(self, step: str, size: Size, folder: Path, events: int, *args: str) -> None:
        self.say(f"{size.label}: live-metrics {step} ...")
        measured = run_measured(
            self.cli(
                step,
                *args,
                "--project-dir",
                str(self.root),
                "--manifest",
                str(folder / "target" / "semantic_manifest.json"),
            ),
            what=f"live-metrics {step} ({size.label})",
            env=self.env(LIVE_DUCKDB_PATH=str(folder / "live.duckdb")),
            log=folder / "logs" / f"{step}.log",
        )
        self.say(f"{size.label}: {step} {measured.seconds:.1f} s, peak RSS {_rss(measured.peak_rss_bytes)}")
        self.rows.append(
            {
                "step": step,
                "size": size.label,
                "measured": True,
                "events": events,
                "seconds": round(measured.seconds, 2),
                "peak_rss_bytes": measured.peak_rss_bytes,
            }
        )


def _rss(n: int) -> str:
    return f"{n / GIB:.2f} GiB" if n >= GIB else f"{n / MIB:,.0f} MiB"


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


def _load() -> list[float] | None:
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
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
            "load_average_at_start": _load(),
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
    document["rows"] = _ordered(bench.rows)
    document["baseline_checks"] = bench.checks
    document["goals"] = goals(document["rows"], largest, smallest)
    document["machine"]["load_average_at_end"] = _load()
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


def _busiest_creator(warehouse: Path) -> str:
    """The creator with the most streams in ``warehouse`` (the one `creator` is timed on)."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as connection:
        row = connection.execute(
            "select creator_id from marts.fct_live_streams group by 1 order by count(*) desc, 1 limit 1"
        ).fetchone()
    if row is None:
        raise UserError(f"{warehouse} has no stream to time `live-metrics creator` on")
    return str(row[0])


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


def _ordered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
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
            "detail": f"{_rss(peak)}" if peak is not None else "",
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
                _rss(row["peak_rss_bytes"]) if "peak_rss_bytes" in row else "",
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


# --- CLI ---------------------------------------------------------------------------------------------

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
        f"{_human_count(MIN_SIZE)} and {_human_count(MAX_SIZE)})",
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
