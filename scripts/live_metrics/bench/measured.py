"""Running one step of the bench as a measured process: its wall seconds and peak RSS (``wait4``), a failure
as one line quoting its log, and the progress lines on stderr."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from live_metrics.errors import UserError
from live_metrics.ops.dbt_step import incremental_build_env
from live_metrics.options import repo_root

GIB = 1024**3
MIB = 1024**2


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


class Progress:
    """Progress lines on stderr, each with the time since the start."""

    def __init__(self) -> None:
        self.started = time.perf_counter()

    def __call__(self, message: str) -> None:
        print(f"[{time.perf_counter() - self.started:7.1f}s] {message}", file=sys.stderr, flush=True)


def rss(n: int) -> str:
    return f"{n / GIB:.2f} GiB" if n >= GIB else f"{n / MIB:,.0f} MiB"


def load_average() -> list[float] | None:
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return None
