"""`live-metrics publish`: replace the warehouse readers open with a finished build, atomically.

`make run` builds into a work file (``warehouse/.building/live.duckdb``), materializes the metrics
and exports the tree there, and only then publishes it over ``warehouse/live.duckdb`` with one
rename. A reader (a BI tool, a notebook, ``duckdb -readonly``) therefore never meets the build's
write lock, a half-built table or the remains of a failed build:

- connections opened before the rename keep reading the previous file to their end (POSIX keeps
  a renamed-over file alive while it is open); connections opened after it read the new one;
- a failed build stops before ``publish``, so the published file is untouched;
- each build starts from an empty work file and the rename replaces the old file, so the
  published file does not grow from run to run and no old copy is left behind.

The work file must have the published file's name (in another folder): DuckDB names a database
after its file, and the relations of the semantic manifest carry that name.
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from pathlib import Path

from live_metrics.errors import UserError
from live_metrics.mf_engine import is_lock_message

REQUIRED_TABLES = ("marts.fct_ingestion_audit", "marts.metricflow_time_spine")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "publish",
        help="atomically replace the published warehouse file with a finished build",
        description=(
            "Checkpoint a finished build's DuckDB file and move it over the file readers open, in one "
            "atomic rename: readers never see a lock, a half-built table or a failed build. `make run` "
            "builds into warehouse/.building/live.duckdb and publishes to warehouse/live.duckdb."
        ),
    )
    parser.add_argument(
        "--from",
        dest="source",
        required=True,
        type=Path,
        metavar="WORK_FILE",
        help="the finished build's DuckDB file (moved, not copied)",
    )
    parser.add_argument(
        "--to",
        dest="target",
        required=True,
        type=Path,
        metavar="PUBLISHED_FILE",
        help="the DuckDB file readers open (replaced)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    size = publish(args.source, args.target)
    print(f"published {args.source} -> {args.target} ({size / 2**20:,.1f} MB) in {time.perf_counter() - started:.1f} s")
    return 0


def publish(source: Path, target: Path) -> int:
    """Checkpoint ``source``, check it is a built warehouse, and rename it over ``target``; returns its size."""
    source, target = source.resolve(), target.resolve()
    if not source.is_file():
        raise UserError(f"no build to publish at {source}: run `make build` first")
    if source == target:
        raise UserError(f"--from and --to are the same file ({source}): build into another folder")
    if source.name != target.name:
        raise UserError(
            f"the work file {source.name} and the published file {target.name} must have the same name "
            "(DuckDB names the database after the file, and the semantic manifest's relations carry that name)"
        )
    _checkpoint_and_check(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    if os.stat(source.parent).st_dev != os.stat(target.parent).st_dev:
        # a rename cannot cross file systems: copy beside the target first, then rename there
        staged = target.with_name(f".{target.name}.publishing")
        shutil.copyfile(source, staged)
        source.unlink()
        source = staged
    os.replace(source, target)
    stale_wal = target.with_name(target.name + ".wal")
    if stale_wal.exists():  # a WAL left by a writer of the previous file would be replayed into this one
        stale_wal.unlink()
    return target.stat().st_size


def _checkpoint_and_check(path: Path) -> None:
    import duckdb

    try:
        connection = duckdb.connect(str(path))
    except duckdb.Error as error:
        message = str(error)
        if is_lock_message(message):
            raise UserError(f"{path} is still open in another process: let the build finish first") from error
        raise UserError(f"cannot open the build {path}: {message.splitlines()[0]}") from error
    try:
        tables = {
            f"{schema}.{table}"
            for schema, table in connection.execute("select schema_name, table_name from duckdb_tables()").fetchall()
        }
        missing = [name for name in REQUIRED_TABLES if name not in tables]
        if missing:
            raise UserError(f"{path} is not a finished build (no {', '.join(missing)}): not published")
        connection.execute("checkpoint")
    finally:
        connection.close()
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        raise UserError(f"{path} still has a write-ahead log after a checkpoint: not published")
