"""One run at a time: an exclusive lock on a warehouse's work folder, held by every process of a run.

A run (`live-metrics build`, `daily`, `publish`) takes the lock before it touches the work file and keeps
it to its end. The lock is an ``flock`` on ``warehouse/.building/<name>.lock``: the kernel releases it
when the last process holding the open file goes away, so a killed run never leaves a stale lock. The
processes a run starts (dbt, materialize, export) inherit the open file (``pass_fds``), so a dbt still
alive after its parent was killed keeps the lock, and a rerun waits for it instead of opening the same
DuckDB file beside it (which fails replaying its write-ahead log).

The file holds a line saying who took the lock, so that the second run can say who it waits for.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from live_metrics.errors import UserError


@dataclass
class RunLock:
    """An acquired lock; ``fd`` is the open lock file to hand to child processes."""

    path: Path
    fd: int

    def note_child(self, pid: int, what: str) -> None:
        """Record the child process now doing the run's work (shown to a run that finds the lock held)."""
        holder = _read_holder(self.fd)
        holder["child"] = {"pid": pid, "what": what}
        _write_holder(self.fd, holder)

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)  # closing our descriptor; children that inherited it keep the lock until they end
            self.fd = -1

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()


def acquire(path: Path, warehouse: Path, command: str) -> RunLock:
    """Take the run lock ``path`` of ``warehouse``, or raise a one-line ``UserError`` naming its holder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _read_holder(fd)
        os.close(fd)
        raise UserError(
            f"another run is using {warehouse} {_describe(holder)}: wait for it to finish (or stop it), then run again"
        ) from None
    os.set_inheritable(fd, True)
    _write_holder(fd, {"pid": os.getpid(), "command": command, "since": time.strftime("%Y-%m-%d %H:%M:%S %Z")})
    return RunLock(path=path, fd=fd)


def _describe(holder: dict) -> str:
    if not holder:
        return "(its holder did not say who it is)"
    words = f"(`{holder.get('command', '?')}`, pid {holder.get('pid', '?')}, since {holder.get('since', '?')}"
    child = holder.get("child")
    if isinstance(child, dict) and child.get("pid") and _alive(int(child["pid"])):
        words += f"; its {child.get('what', 'step')} is pid {child['pid']}"
    if holder.get("pid") and not _alive(int(holder["pid"])):
        words += "; that process has ended, a step it started is still running"
    return words + ")"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_holder(fd: int) -> dict:
    try:
        text = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
        holder = json.loads(text) if text else {}
    except (OSError, ValueError):
        return {}
    return holder if isinstance(holder, dict) else {}


def _write_holder(fd: int, holder: dict) -> None:
    data = (json.dumps(holder) + "\n").encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, data, 0)
