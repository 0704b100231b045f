"""Run dbt as one step of a run: progress for a person, the whole log in a file, failures as one line.

dbt runs with ``--log-format json``: each line of its output is an event. The step prints a progress line
every few seconds (nodes done of the total), dbt's warnings (one line each) and its closing summary;
every event's text goes to the run's log file. When dbt fails, the first error of the first node that failed
becomes the one line the user sees (``error: base_live__raw_events: ...``): the macro stack, the
"Compilation Error in model" header and the tracebacks stay in the log.

The first node to fail is the cause: dbt's closing summary lists the errors in its own order, and a node that
failed later (or a neighbour cut short) may come first there; its words are kept in the log, not shown.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from live_metrics.errors import UserError

PROGRESS_EVERY_SECONDS = 5.0
# An incremental build reads the new day's rows and looks the history up by key: at the profile's 3 GB DuckDB
# keeps the history's blocks it read in its buffer cache, so the peak RSS grew with the history (bench: 2.26 GB
# after 90 days against 0.97 GB after 30) while the work did not (1.27 GB at 1 GB, and no slower: 30.6 s
# against 32.3 s). Incremental builds run with this memory limit; a full build keeps the profile's.
MEMORY_LIMIT_ENV = "LIVE_DUCKDB_MEMORY_LIMIT"
INCREMENTAL_MEMORY_LIMIT_ENV, DEFAULT_INCREMENTAL_MEMORY_LIMIT = "LIVE_DUCKDB_INCREMENTAL_MEMORY_LIMIT", "1GB"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_HEADER = re.compile(
    r"^(Compilation|Runtime|Database|Parsing|Dependency) Error( in \w+ \S+ \(.*\))?:?$"
    r"|^Failure in |^Unhandled error while executing "
)


@dataclass
class DbtReport:
    """What a person needs from a dbt run: the summary, the warnings, the error that stopped it."""

    summary: str = ""
    warnings: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (node name or "", one line), as dbt said them
    first_failed: str = ""  # the first node whose result was an error or a failure
    done: int = 0
    total: int = 0
    failed_node: str = ""

    @property
    def error(self) -> str:
        """The first error of the first node that failed; else dbt's first error ("" when none)."""
        for node, line in self.errors:
            if self.first_failed and node == self.first_failed:
                return line
        return self.errors[0][1] if self.errors else ""


def dbt_executable() -> str:
    """The dbt of the Python running this program (the project's .venv)."""
    return str(Path(sys.executable).parent / "dbt")


def run_dbt(
    args: list[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    log_path: Path,
    pass_fds: tuple[int, ...] = (),
    on_start: Callable[[int], None] | None = None,
    say: Callable[[str], None] = print,
) -> DbtReport:
    """Run ``dbt ARGS``; return its report, or raise a one-line ``UserError`` when it fails."""
    command = [dbt_executable(), "--log-format", "json", "--no-use-colors", *args]
    report = DbtReport()
    started = last_said = time.monotonic()
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            pass_fds=pass_fds,
        )
        if on_start:
            on_start(process.pid)
        try:
            assert process.stdout is not None
            for line in process.stdout:
                text = take_event(line, report)
                if text:
                    log.write(text + "\n")
                now = time.monotonic()
                if report.total and now - last_said >= PROGRESS_EVERY_SECONDS:
                    say(f"  dbt {args[0]}: {report.done} of {report.total} done, {now - started:.0f} s")
                    last_said = now
            code = process.wait()
        except BaseException:
            _stop(process)
            raise
    for warning in report.warnings:
        say(f"  warning: {warning}")
    if report.summary:
        say(f"  dbt {args[0]}: {report.summary} in {time.monotonic() - started:.0f} s")
    if code != 0:
        reason = report.error or f"dbt {args[0]} failed (exit {code})"
        raise UserError(f"{reason} (dbt's log: {log_path})")
    return report


def _stop(process: subprocess.Popen) -> None:
    """Interrupted: ask dbt to stop as Ctrl-C would, and wait for it (it holds the work file)."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def take_event(line: str, report: DbtReport) -> str:
    """Fold one output line of dbt into ``report``; return its text for the log."""
    try:
        event = json.loads(line)
        info, data = event["info"], event.get("data") or {}
    except (ValueError, KeyError, TypeError):
        return _ANSI.sub("", line.rstrip("\n"))  # not an event (a library printing directly)
    message = _ANSI.sub("", str(info.get("msg") or ""))
    name, level = info.get("name", ""), info.get("level", "")
    node = str((data.get("node_info") or {}).get("node_name") or "")
    is_result = name.startswith("Log") and name.endswith("Result")
    if isinstance(data.get("total"), int) and is_result:
        report.total = data["total"]
        report.done += 1
    if is_result and level == "error" and not report.first_failed:
        report.first_failed = node
    if name == "StatsLine":
        report.summary = " ".join(message.split())
    elif name in ("RunResultFailure", "RunResultWarning"):  # "Failure in test X (path)": the next event says why
        failed = re.match(r"^\s*(?:Failure|Warning) in (\w+) (\S+)", message)
        report.failed_node = f"{failed.group(1)} {failed.group(2)}" if failed else ""
    elif level == "warn" and not name.startswith("Log"):
        warning = one_line(message, report.failed_node if name == "RunResultWarningMessage" else "")
        if warning and warning not in report.warnings:
            report.warnings.append(warning)
    elif level == "error" and not name.startswith("Log"):
        line = one_line(message, report.failed_node)
        if line:
            report.errors.append((node, line))
    return message


def one_line(message: str, failed_node: str = "") -> str:
    """dbt's message without its headers and macro stack: the first line that says what is wrong,
    after the node it is about (``test not_null_x: Got 3 results...``) unless it names the data already."""
    lines = [line.strip() for line in _ANSI.sub("", message).splitlines()]
    header = re.match(r"^(?:Compilation|Runtime|Database) Error in (\w+ \S+)", lines[0] if lines else "")
    kept = [line for line in lines if line and not line.startswith(">") and not _HEADER.match(line)]
    kept = [line for line in kept if line.lower() not in ("encountered an error:", "warning:")]
    if not kept:
        return ""
    first = re.sub(r"^(Warning|WARNING|Error|ERROR):\s*", "", kept[0])
    if "schemas on this incremental model are out of sync" in first:  # an older version's warehouse
        first += " (the warehouse was built by an older version of the project: rebuild it once with `make run`)"
    node = header.group(1) if header else failed_node
    if node and not first.startswith("raw_live_events:"):
        return f"{node}: {first}"
    return first


def incremental_build_env(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` for an incremental dbt build: DuckDB's memory limit is $LIVE_DUCKDB_INCREMENTAL_MEMORY_LIMIT (1GB)."""
    return {**env, MEMORY_LIMIT_ENV: env.get(INCREMENTAL_MEMORY_LIMIT_ENV) or DEFAULT_INCREMENTAL_MEMORY_LIMIT}
