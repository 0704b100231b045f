"""`live-metrics publish`: replace the warehouse readers open with a finished build, atomically.

A run (`live-metrics build` / `daily`, pipeline.py) builds into the work file
``warehouse/.building/live.duckdb``, materializes the metrics and exports the tree there, and writes the
``finished`` marker after its last step succeeded. Publishing renames that file over
``warehouse/live.duckdb``, so a reader (a BI tool, a notebook, ``duckdb -readonly``) never meets the
build's write lock, a half-built table or the remains of a failed or killed build:

- only a work file with its ``finished`` marker is published, and only while it is exactly the file the
  marker describes (size, modification time): a build killed in any step has no marker;
- connections opened before the rename keep reading the previous file to their end (POSIX keeps a
  renamed-over file alive while it is open); connections opened after it read the new one;
- a process holding the published file read-write (a DuckDB shell opened without ``-readonly``) would
  write a write-ahead log beside the new file that belongs to the old one, and every reader would fail
  replaying it: publishing refuses while one holds it, and removes a log left beside the old file;
- the metric tree exported from the build moves beside the published file with it. The file's rename is the
  publish; the tree follows it in two renames and the marker goes last, so a publish killed after the file's
  rename is finished by the next `publish`, `build` or `daily` (``finish_interrupted_publish``): the marker
  still describes the published file, and its tree is still in the work folder.

The work file has the published file's name (in another folder): DuckDB names a database after its
file, and the relations of the semantic manifest carry that name.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import time
from pathlib import Path

from live_metrics.engine.mf_engine import is_lock_message
from live_metrics.errors import UserError
from live_metrics.ops import runlock
from live_metrics.ops.layout import Layout, wal
from live_metrics.options import default_project_dir

REQUIRED_TABLES = ("marts.fct_ingestion_audit", "marts.metricflow_time_spine", "live_ops.runs")
HOW_TO_FINISH = "run `make run` (or `make daily`), which publishes when every step has succeeded"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "publish",
        help="atomically replace the published warehouse file with a finished build",
        description=(
            "Move a finished build (warehouse/.building/<name>, with the marker its run wrote after its last "
            "step) over the published warehouse readers open, in one atomic rename: readers never see a lock, "
            "a half-built table or a failed build. `make run` and `make daily` publish by themselves; this "
            "command publishes a build made with --no-publish."
        ),
    )
    parser.add_argument(
        "--warehouse",
        type=Path,
        default=None,
        metavar="FILE",
        help="the published DuckDB file (default: $LIVE_DUCKDB_PATH, else warehouse/live.duckdb)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    layout = Layout.from_env(default_project_dir(), args.warehouse)
    with runlock.acquire(layout.lock, layout.published, "live-metrics publish"):
        finished = finish_interrupted_publish(layout)
        print(finished if finished is not None else publish_finished(layout))
    return 0


def finish_interrupted_publish(layout: Layout) -> str | None:
    """Finish a publish killed after its file's rename (the caller holds the run lock); None when there is none.

    Its traces: no work file, and a marker describing the published file (a rename keeps size and mtime). What
    is left to do is moving the tree (if it is still in the work folder) and removing the marker.
    """
    if layout.work.exists():
        return None
    marker = _read_marker(layout)
    if marker is None or not layout.published.is_file():
        return None
    stat = layout.published.stat()
    if (marker.get("bytes"), marker.get("mtime_ns")) != (stat.st_size, stat.st_mtime_ns):
        return None
    _move_tree(layout)
    layout.finished.unlink(missing_ok=True)
    return f"finished the interrupted publish of {layout.published}: its metric tree is beside it"


def mark_finished(layout: Layout, run_id: str) -> None:
    """Write the marker saying the work file, exactly as it is now, is a finished build."""
    work = layout.work
    if wal(work).exists():
        raise UserError(f"{work} still has a write-ahead log after its last step: not finished")
    _check_tables(work)
    stat = work.stat()
    marker = {
        "run_id": run_id,
        "bytes": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "finished_at": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
    }
    writing = layout.finished.with_name(layout.finished.name + ".writing")
    with writing.open("w", encoding="utf-8") as handle:
        json.dump(marker, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(writing, layout.finished)


def publish_finished(layout: Layout) -> str:
    """Publish the finished work file of ``layout`` (the caller holds the run lock); returns what it did."""
    started = time.perf_counter()
    work, target = layout.work, layout.published
    if not work.is_file():
        raise UserError(f"no build to publish at {work}: {HOW_TO_FINISH}")
    marker = _read_marker(layout)
    stat = work.stat()
    if marker is None or (marker.get("bytes"), marker.get("mtime_ns")) != (stat.st_size, stat.st_mtime_ns):
        raise UserError(f"{work} is not a finished build (its run did not complete): not published; {HOW_TO_FINISH}")
    if wal(work).exists():
        raise UserError(f"{work} has a write-ahead log (a process wrote it after its run finished): not published")
    _refuse_a_writer(target)
    wal(target).unlink(missing_ok=True)  # left by a writer of the file being replaced: it must not meet the new one
    os.replace(work, target)
    _move_tree(layout)
    layout.finished.unlink(missing_ok=True)
    return f"published {target} ({target.stat().st_size / 2**20:,.1f} MB) in {time.perf_counter() - started:.1f} s"


def _read_marker(layout: Layout) -> dict | None:
    try:
        marker = json.loads(layout.finished.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) else None


def _check_tables(path: Path) -> None:
    import duckdb

    try:
        with duckdb.connect(str(path), read_only=True) as connection:
            tables = {
                f"{schema}.{table}"
                for schema, table in connection.execute(
                    "select schema_name, table_name from duckdb_tables()"
                ).fetchall()
            }
    except duckdb.Error as error:
        raise UserError(f"cannot open the build {path}: {str(error).splitlines()[0]}") from error
    missing = [name for name in REQUIRED_TABLES if name not in tables]
    if missing:
        raise UserError(f"{path} is not a finished build (no {', '.join(missing)}): not published")


def _refuse_a_writer(target: Path) -> None:
    """Stop while a process holds ``target`` read-write (readers share it read-only; a writer locks it)."""
    import duckdb

    if not target.exists():
        return
    try:
        duckdb.connect(str(target), read_only=True).close()
    except duckdb.Error as error:
        message = str(error)
        if not is_lock_message(message):
            return  # a damaged published file: replacing it is the cure
        pid = re.search(r"PID (\d+)", message)
        holder = f" (PID {pid.group(1)})" if pid else ""
        raise UserError(
            f"{target} is open read-write in another process{holder}: readers must open it read-only "
            "(duckdb -readonly, read_only=True); close it, then `live-metrics publish` publishes the finished build"
        ) from error


def _move_tree(layout: Layout) -> None:
    """The tree exported from the build replaces the published one (the old one moved aside, then removed).

    Killed between the two renames, the published tree is missing and the old one is aside: the next call
    (finish_interrupted_publish) moves the new one in.
    """
    old = layout.work_dir / (layout.published_tree.name + ".old")
    if not layout.work_tree.is_dir():
        shutil.rmtree(old, ignore_errors=True)  # a publish killed after its tree moved in left the old one aside
        return
    if layout.published_tree.exists():
        shutil.rmtree(old, ignore_errors=True)
        os.replace(layout.published_tree, old)
    os.replace(layout.work_tree, layout.published_tree)
    shutil.rmtree(old, ignore_errors=True)
