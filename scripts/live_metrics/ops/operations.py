"""What a run changed, kept in the warehouse it built (``live_ops.runs``), and compaction of a grown file.

One row per run: when it finished, the raw files it started from, the drops it landed, the events held
back as ``late_beyond_window``, and the days and metrics it restated: days of the published warehouse
whose materialized metric values changed where they were final (a late event reopening a finished day;
the completeness columns of the ``metrics.*`` tables say which values were final). `check`
reports the latest row; `daily` compares its ``inputs`` to tell whether anything is new.

A daily build starts from a copy of the published file and rewrites some tables in it: DuckDB reuses the
freed blocks only partly, so the file grows run after run. When it has grown past ``GROWTH_LIMIT`` times
what a compact file holding as many raw records would take (measured at the last full build or
compaction), the run copies the database into a new file (COPY FROM DATABASE: tables, views, comments
and constraints) before it is published.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from datetime import date
from pathlib import Path

from live_metrics.ops.layout import wal

GROWTH_LIMIT = 1.1
RUNS_TABLE = "live_ops.runs"
STORAGE_VERSION_ENV = "LIVE_DUCKDB_STORAGE_VERSION"
DEFAULT_STORAGE_VERSION = "v1.4.0"  # profiles.yml: files readable by DuckDB 1.4+ clients

_CREATE_RUNS = f"""
create schema if not exists live_ops;
create table if not exists {RUNS_TABLE} (
    run_id varchar not null,
    command varchar not null,
    finished_at timestamp not null,
    inputs varchar not null,
    drops_landed varchar[] not null,
    records_landed bigint not null,
    raw_records bigint not null,
    late_beyond_window bigint not null,
    restated_days date[] not null,
    restated_metrics varchar[] not null,
    file_bytes bigint not null,
    compacted boolean not null
);
alter table {RUNS_TABLE} add column if not exists project_fingerprint varchar;
comment on table {RUNS_TABLE} is 'One row per run of live-metrics build/daily: what it read and what it changed.'
"""


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def record_run(
    work: Path,
    run_id: str,
    command: str,
    inputs: dict[str, list[int]],
    fingerprint: str,
    previous: Path | None,
    *,
    compacted: bool,
) -> list[str]:
    """Append this run's row to ``live_ops.runs`` in ``work``; return lines for the person watching."""
    import duckdb

    with duckdb.connect(str(work)) as connection:
        connection.execute(_CREATE_RUNS)
        landed = dict(
            connection.execute("select source_file, record_count from staging.base_live__raw_files").fetchall()
        )
        late = connection.execute(
            "select count(*) from staging.base_live__events where ingestion_reason = 'late_beyond_window'"
        ).fetchone()[0]
        days, metrics = [], []
        if previous is not None:
            connection.execute(f"attach {_literal(str(previous))} as previous (read_only)")
            landed_before = {
                name
                for (name,) in connection.execute(
                    "select source_file from previous.staging.base_live__raw_files"
                ).fetchall()
            }
            days, metrics = restated(connection)
            connection.execute("detach previous")
        else:
            landed_before = set()
        new_drops = sorted(name for name in landed if name not in landed_before and name is not None)
        records_landed = sum(landed[name] for name in new_drops) if previous is not None else sum(landed.values())
        if previous is not None and not new_drops and all("received_date=" not in str(name) for name in landed):
            records_landed = sum(landed.values())  # one raw file, not daily drops: every build lands it whole again
        connection.execute(
            f"insert into {RUNS_TABLE} (run_id, command, finished_at, inputs, drops_landed, records_landed, "
            "raw_records, late_beyond_window, restated_days, restated_metrics, file_bytes, compacted, "
            "project_fingerprint) values (?, ?, current_timestamp::timestamp, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                command,
                json.dumps(inputs, sort_keys=True),
                new_drops,
                records_landed,
                sum(landed.values()),
                late,
                days,
                metrics,
                work.stat().st_size,
                compacted,
                fingerprint,
            ],
        )
    lines = [f"{records_landed:,} raw records landed" + (f" from {', '.join(new_drops)}" if new_drops else "")]
    if late:
        lines.append(f"warning: {late:,} event(s) held back as late_beyond_window: `make run` counts them")
    if days:
        lines.append(
            f"warning: late events restated {len(days)} complete day(s) ({_day_span(days)}) of {len(metrics)} "
            f"metric(s): {', '.join(metrics[:6])}{' ...' if len(metrics) > 6 else ''}"
        )
    return lines


def _day_span(days: list[date]) -> str:
    return str(days[0]) if len(days) == 1 else f"{days[0]} to {days[-1]}"


def _columns(connection, database: str, table: str) -> list[tuple[str, str]]:  # noqa: ANN001
    return connection.execute(
        "select column_name, data_type from duckdb_columns() where database_name = ? "
        "and schema_name = 'metrics' and table_name = ? order by column_index",
        [database, table],
    ).fetchall()


def _is_flag(name: str) -> bool:
    """A completeness column of a metrics table: ``is_complete``, ``period__is_complete``, ``<metric>__is_complete``."""
    return name == "is_complete" or name.endswith("__is_complete")


def _final_flag(metric: str, flags: set[str]) -> str:
    """The published column saying whether ``metric``'s value was final: its own, else the period's; a table
    written before those columns existed has only ``is_complete``."""
    for flag in (f"{metric}__is_complete", "period__is_complete"):
        if flag in flags:
            return flag
    return "is_complete"


def restated(connection) -> tuple[list[date], list[str]]:  # noqa: ANN001 - a duckdb connection
    """Days of ``previous`` whose final metric values differ in the work file, and those metrics.

    A value counts when the published table marked it final (``<metric>__is_complete``, else the period's
    ``period__is_complete``): a retention rate of the last week, or a first-ever count of the first weeks,
    is expected to change as days arrive, and changing is not restating it."""
    tables = connection.execute(
        "select table_name from duckdb_columns() where database_name = current_database() "
        "and schema_name = 'metrics' and column_name = 'metric_time__day' "
        "intersect select table_name from duckdb_columns() where database_name = 'previous' "
        "and schema_name = 'metrics' and column_name = 'is_complete' order by 1"
    ).fetchall()
    (database,) = connection.execute("select current_database()").fetchone()
    days: set[date] = set()
    metrics: set[str] = set()
    for (table,) in tables:
        published = {name for name, _ in _columns(connection, "previous", table)}
        flags = {name for name in published if _is_flag(name)}
        columns = [
            (name, kind)
            for name, kind in _columns(connection, database, table)
            if not _is_flag(name) and name in published
        ]
        numeric = [
            name
            for name, kind in columns
            if kind in ("DOUBLE", "BIGINT", "INTEGER", "FLOAT", "HUGEINT") or kind.startswith("DECIMAL")
        ]
        keys = [name for name, _ in columns if name not in numeric]
        if not numeric:
            continue
        finals = [_final_flag(name, flags) for name in numeric]
        listed = ", ".join(f'"{name}"' for name in keys + numeric)
        judged = ", ".join(f'"{flag}"' for flag in finals)
        old = _rows(connection, f'select {listed}, {judged} from previous.metrics."{table}"', len(keys))
        new = _rows(connection, f'select {listed} from metrics."{table}"', len(keys))
        for key, values in old.items():
            now = new.get(key)
            for index, name in enumerate(numeric):
                if not values[len(numeric) + index]:
                    continue  # not final when published
                if now is None or not _same(values[index], now[index]):
                    days.add(key[0])
                    metrics.add(name)
    return sorted(days), sorted(metrics)


def _rows(connection, sql: str, key_count: int) -> dict[tuple, tuple]:  # noqa: ANN001
    return {row[:key_count]: row[key_count:] for row in connection.execute(sql).fetchall()}


def _same(a: object, b: object) -> bool:
    if a is None or b is None:
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def compact_if_grown(work: Path) -> bool:
    """Copy ``work`` into a compact file when it has grown past GROWTH_LIMIT; True when it did."""
    import duckdb

    with duckdb.connect(str(work), read_only=True) as connection:
        try:
            reference = connection.execute(
                f"select file_bytes, raw_records from {RUNS_TABLE} where compacted order by finished_at desc limit 1"
            ).fetchone()
        except duckdb.Error:
            reference = None
        raw_records = connection.execute("select count(*) from staging.base_live__raw_events").fetchone()[0]
    size = work.stat().st_size
    if reference is not None and reference[1]:
        expected = reference[0] * max(raw_records, 1) / reference[1]
        if size <= GROWTH_LIMIT * expected:
            return False
    compact(work)
    return True


def compact(work: Path) -> None:
    """Rewrite ``work`` as a new file with the same name (beside it first, then renamed over it)."""
    import duckdb

    folder = work.parent / "compacting"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    fresh = folder / work.name
    version = os.environ.get(STORAGE_VERSION_ENV, DEFAULT_STORAGE_VERSION)
    with duckdb.connect() as connection:
        connection.execute(f"attach {_literal(str(work))} as {_quoted(work.stem)} (read_only)")
        connection.execute(f"attach {_literal(str(fresh))} as fresh (storage_version {_literal(version)})")
        connection.execute(f"copy from database {_quoted(work.stem)} to fresh")
    os.replace(fresh, work)
    wal(work).unlink(missing_ok=True)
    shutil.rmtree(folder, ignore_errors=True)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def latest_run(path: Path) -> dict | None:
    """The latest row of ``live_ops.runs`` in the DuckDB file ``path`` (opened read-only), or None."""
    import duckdb

    try:
        with duckdb.connect(str(path), read_only=True) as connection:
            cursor = connection.execute(
                f"select command, strftime(finished_at, '%Y-%m-%d %H:%M UTC') as finished, drops_landed, "
                f"records_landed, late_beyond_window, restated_days, restated_metrics from {RUNS_TABLE} "
                "order by finished_at desc limit 1"
            )
            row = cursor.fetchone()
            names = [column[0] for column in cursor.description]
    except duckdb.Error:
        return None
    return dict(zip(names, row, strict=True)) if row else None
