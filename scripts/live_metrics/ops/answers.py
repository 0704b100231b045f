"""The read commands' answers, stored by the run with the data they describe, and progress on the slow path.

A run (`live-metrics build` / `daily`) exports the metric tree with ``export --store-answers``: in the same
MetricFlow session, on the same Measurement, the export renders what `scorecard`, `explain` and `check` print
for their default arguments (text and ``--json``; ``export.compute_answers``) and stores it here
(``store``) in the work file, in ``live_ops.answers``, after
the run is recorded and before the finished marker is written. The answers are published with the data in one
rename, and the published file never changes after that, so an answer stays true for the file's whole life.

A read command whose arguments have a stored answer, on a DuckDB target, opens the file read-only with
plain duckdb, prints the answer and exits: no MetricFlow, no dbt. It uses the answer only when the semantic
manifest given by ``--manifest`` is byte for byte the one the answer was computed with (its SHA-256) and the
warehouse's tables still hold as many rows as they held then (a fingerprint of every table's row count
outside ``live_ops``); anything else (other arguments, ``--target spark``, a file without answers such as one built
by plain dbt, ``--fresh``) takes the MetricFlow path, unchanged. Parts that can change without a new run are
computed at read time: `check`'s rows about the latest run (``live_ops.runs``)
and its rules on the manifest and the catalogue; `explain` reports its own run time.

Only a run writes answers: ``store`` refuses a file outside a work folder (warehouse/.building/) and a work
file whose run lock nobody holds.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from live_metrics.errors import UserError

ANSWERS_TABLE = "live_ops.answers"
FRESH_HELP = (
    "compute the answer afresh through MetricFlow; by default the answer stored by the run that built the "
    "warehouse is printed when there is one for these arguments (a DuckDB target, the same semantic manifest)"
)

_CREATE = f"""
create schema if not exists live_ops;
create or replace table {ANSWERS_TABLE} (
    command varchar not null,
    arguments varchar not null,
    manifest_sha256 varchar not null,
    data_fingerprint varchar not null,
    document varchar not null,
    stored_at timestamp not null
);
comment on table {ANSWERS_TABLE} is 'What scorecard, explain and check print, stored by the run that built this file.';
"""

# the tables outside live_ops (which the run writes after the answers): their row counts are what the answers describe
_TABLES_SQL = """
select schema_name, table_name
from duckdb_tables()
where database_name = current_database() and schema_name != 'live_ops' and not temporary
order by schema_name, table_name
"""


def add_fresh_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--fresh", action="store_true", help=FRESH_HELP)


def rule_arguments(args: argparse.Namespace) -> dict[str, Any]:
    """The anomaly rule's arguments, as a stored answer's key holds them."""
    return {"anomaly_window": int(args.anomaly_window), "anomaly_sigma": float(args.anomaly_sigma)}


def arguments_key(arguments: Mapping[str, Any]) -> str:
    """The stored form of a command's arguments: canonical JSON."""
    return json.dumps(dict(arguments), sort_keys=True, separators=(",", ":"))


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def data_fingerprint(connection: Any) -> str:
    """Every table outside live_ops with its exact row count, hashed (one query; milliseconds on the demo)."""
    tables = connection.execute(_TABLES_SQL).fetchall()
    if not tables:
        return hashlib.sha256(b"[]").hexdigest()
    counts = " union all ".join(
        f"select {index} as i, count(*) as n from {_quoted(schema)}.{_quoted(table)}"
        for index, (schema, table) in enumerate(tables)
    )
    rows = dict(connection.execute(f"select i, n from ({counts})").fetchall())
    listed = [[schema, table, rows[index]] for index, (schema, table) in enumerate(tables)]
    return hashlib.sha256(json.dumps(listed).encode()).hexdigest()


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --- reading -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    """A stored answer and the DuckDB file it came from."""

    document: str
    path: Path


def duckdb_file(args: argparse.Namespace) -> tuple[Path, Path] | None:
    """(the DuckDB file, the semantic manifest) a read command's arguments point at; None for any other target."""
    from live_metrics.engine.profile import duckdb_path_of, find_profile_target
    from live_metrics.options import resolve_paths

    paths = resolve_paths(args)
    target = find_profile_target(paths.project_dir, paths.target)
    if target is None or target.adapter_type != "duckdb":
        return None
    path = duckdb_path_of(target, paths.project_dir)
    if path is None or not path.is_file() or not paths.manifest.is_file():
        return None
    return path, paths.manifest


def lookup(args: argparse.Namespace, command: str, arguments: Mapping[str, Any]) -> Stored | None:
    """The answer the run stored for ``command`` with ``arguments``, if it still describes the file; else None.

    Never raises for a missing file, table or answer: the MetricFlow path then runs and says what is wrong.
    """
    if getattr(args, "fresh", False):
        return None
    try:
        found = duckdb_file(args)
        if found is None:
            return None
        path, manifest = found
        digest = file_sha256(manifest)
        import duckdb

        with duckdb.connect(str(path), read_only=True) as connection:
            exists = connection.execute(
                "select count(*) from duckdb_tables() where schema_name = 'live_ops' and table_name = 'answers'"
            ).fetchone()
            if not exists or not exists[0]:
                return None
            row = connection.execute(
                f"select document, data_fingerprint from {ANSWERS_TABLE} "
                "where command = ? and arguments = ? and manifest_sha256 = ?",
                [command, arguments_key(arguments), digest],
            ).fetchone()
            if row is None or row[1] != data_fingerprint(connection):
                return None
            return Stored(document=str(row[0]), path=path)
    except Exception:  # noqa: BLE001 - a stored answer is an optimisation: any doubt takes the MetricFlow path
        return None


# --- writing (a run's export step) -----------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    command: str
    arguments: Mapping[str, Any]
    document: str


def require_run_work_file(path: Path) -> None:
    """Answers are written only by a run, into its work file: refuse anything else in one line."""
    from live_metrics.ops.layout import is_work_file

    if not is_work_file(path):
        raise UserError(
            f"--store-answers writes only into a run's work file (warehouse/.building/), not {path}: "
            "`make run` and `make daily` store the answers before they publish"
        )
    lock = path.with_name(path.name + ".lock")
    try:
        fd = os.open(lock, os.O_RDONLY)
    except OSError:
        fd = -1
    held = False
    if fd >= 0:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            held = True  # by the run that started this step (it passes the lock to its steps)
        finally:
            os.close(fd)  # closing drops the lock if this process just took it
    if not held:
        raise UserError(
            f"no run holds {lock}: --store-answers is a step of `live-metrics build` / `daily` (make run, make daily)"
        )


def store(path: Path, manifest: Path, answers: list[Answer]) -> None:
    """Replace the answers in the work file ``path`` (the caller ran ``require_run_work_file``)."""
    import duckdb

    digest = file_sha256(manifest)
    with duckdb.connect(str(path)) as connection:
        connection.execute(_CREATE)
        fingerprint = data_fingerprint(connection)
        connection.executemany(
            f"insert into {ANSWERS_TABLE} values (?, ?, ?, ?, ?, current_timestamp::timestamp)",
            [[a.command, arguments_key(a.arguments), digest, fingerprint, a.document] for a in answers],
        )


# --- progress ------------------------------------------------------------------------------------------


class Progress:
    """Progress lines on stderr for a command's MetricFlow path: `scorecard: querying MetricFlow: … (3 s)`.

    ``stage(text)`` says what the command starts doing. Nothing is printed during the first ``delay``
    seconds (a quick failure stays one error line); then the current stage is printed, and every later one
    as it starts. Use it as a context manager (the timer stops at its end). The lines are for a person:
    they are printed only when stderr is a terminal (or $LIVE_PROGRESS=1), so a script or a pipe that
    reads stderr gets errors alone.
    """

    def __init__(self, command: str, delay: float = 2.0, *, shown: bool | None = None) -> None:
        self.command, self.delay = command, delay
        self.enabled = _to_a_person() if shown is None else shown
        self.started = time.monotonic()
        self.current: str | None = None
        self.shown: str | None = None
        self.late = False
        self._lock = threading.Lock()
        self._timer = threading.Timer(delay, self._wake)
        self._timer.daemon = True

    def __enter__(self) -> Progress:
        self._timer.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._timer.cancel()

    def stage(self, text: str) -> None:
        with self._lock:
            self.current = text
            if self.late or time.monotonic() - self.started >= self.delay:
                self.late = True
                self._print()

    def _wake(self) -> None:
        with self._lock:
            self.late = True
            self._print()

    def _print(self) -> None:
        if not self.enabled or self.current is None or self.current == self.shown:
            return
        self.shown = self.current
        seconds = time.monotonic() - self.started
        try:
            print(f"{self.command}: {self.current} … ({seconds:.0f} s)", file=sys.stderr, flush=True)
        except (OSError, ValueError):  # stderr gone: progress is not worth failing for
            pass


def _to_a_person() -> bool:
    if os.environ.get("LIVE_PROGRESS") == "1":
        return True
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


Stage = Callable[[str], None]


def no_progress(_text: str) -> None:
    """A ``Stage`` that says nothing."""
