"""The bench's baseline: the heaviest fact (viewer sessions with per-stream peak concurrency) as one
hand-written DuckDB query straight from the raw log (``baseline.sql``), the reader of that log (parquet daily
drops or the CSV), and the check of its result against the marts (``check.sql``)."""

from __future__ import annotations

import csv
import gzip
from importlib.resources import files
from pathlib import Path

# The same ISO-8601 pattern as the ingestion gate (macros/timestamps.sql): date, time, zone.
ISO_TIMESTAMP = (
    r"^([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ]([0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,9})?)?)"
    r"([Zz]|([+-])([0-9]{2}):?([0-9]{2})?)$"
)


# --- the baseline ---------------------------------------------------------------------------------

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
# (kept beside this module: bench/baseline.sql; __RAW_EVENTS__, __ISO__, __THREADS__ and __MEMORY_LIMIT__ are
# filled in by baseline_sql)
BASELINE_SQL = (files("live_metrics.bench") / "baseline.sql").read_text(encoding="utf-8")


# Runs a SQL script in a DuckDB file, as its own process (so that its time and memory are its own).
SQL_RUNNER = (
    "import sys, duckdb\n"
    "connection = duckdb.connect(sys.argv[1])\n"
    "connection.execute(open(sys.argv[2], encoding='utf-8').read())\n"
    "connection.close()\n"
)


# The baseline against the marts: same sessions (count, watch minutes, and row by row), same peak per stream.
CHECK_SQL = (files("live_metrics.bench") / "check.sql").read_text(encoding="utf-8")


def baseline_sql(raw_events: str, threads: str, memory_limit: str) -> str:
    """The baseline script over ``raw_events`` (a table function call reading the raw log as text)."""
    return (
        BASELINE_SQL.replace("__RAW_EVENTS__", raw_events)
        .replace("__ISO__", ISO_TIMESTAMP)
        .replace("__THREADS__", str(int(threads)))
        .replace("__MEMORY_LIMIT__", memory_limit.replace("'", "''"))
    )


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def parquet_reader(folder: Path) -> str:
    """The event log of a generated data set: its daily drops (raw_live_events/received_date=.../*.parquet)."""
    return f"read_parquet({sql_literal(str(folder / 'raw_live_events' / '**' / '*.parquet'))})"


def csv_reader(path: Path) -> str:
    """The event log read as the ingestion gate reads a CSV (macros/raw_files.sql), every column text."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    columns = ", ".join(f"{sql_literal(name)}: 'VARCHAR'" for name in header)
    return (
        f"read_csv({sql_literal(str(path))}, header = true, auto_detect = false, columns = {{{columns}}}, "
        "delim = ',', quote = '\"', escape = '\"', max_line_size = 1048576)"
    )
