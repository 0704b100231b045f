"""`live-metrics build` and `live-metrics daily`: one run of the warehouse, safe to kill and to run twice.

A run owns the warehouse's work folder (layout.py) for its whole length:

1. it takes the run lock (runlock.py) before it touches anything: a second run stops with one line
   naming the first; the steps it starts hold the lock too, so a dbt outliving its killed parent still
   keeps the next run out;
2. it removes the last run's ``finished`` marker, then prepares the work file: empty for `build`, a
   whole copy of the published file for `daily` (copied under another name, then renamed);
3. dbt builds the work file (`build`: everything; `daily`: incremental), every model and data test (the unit
   tests test the code, not the data: they run in `make test`, as dbt recommends for production builds);
4. materialize writes the metrics.* tables there;
5. it compacts a daily file that has grown and records what the run changed in ``live_ops.runs`` (drops
   landed, events held as late, days and metrics restated against the published file);
6. export writes the metric tree beside the work file and stores the answers of scorecard, explain and
   check in it (answers.py), then the ``finished`` marker is written;
7. publish (publish.py) renames the finished work file over the published one.

A run killed at any point leaves the published file as it was and no marker, so nothing half-built can
be published; the next run starts its work file afresh. `daily` with no new or changed drop since the
published build says so and leaves the published file alone.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from live_metrics.errors import UserError
from live_metrics.ops import publish, runlock
from live_metrics.ops.dbt_step import incremental_build_env, run_dbt
from live_metrics.ops.drops import another_project, nothing_new, project_fingerprint, raw_folder, raw_inputs
from live_metrics.ops.layout import Layout, wal
from live_metrics.ops.operations import compact_if_grown, record_run
from live_metrics.options import default_project_dir, repo_root

ACCESS_MODE_ENV = "LIVE_DUCKDB_ACCESS_MODE"

BUILD_DESCRIPTION = """\
Build the warehouse from all the raw data, as one run: dbt build (every model, seed and data test)
into the work file warehouse/.building/<name>, materialize the metrics, export the metric tree, record
the run, then publish: rename the work file over the published warehouse (readers never wait or see a
half-built file). `make run` is this command.

One run at a time: a second run stops with one line naming the first. A run killed or interrupted at any
point leaves the published warehouse untouched and nothing the next run trips on; just run it again."""

DAILY_DESCRIPTION = """\
After a new daily drop: copy the published warehouse to the work file, build it incrementally (only the
drops not landed yet are read; every data test runs), materialize, export, record what the run changed
(drops landed, events held back as late_beyond_window, days and metrics restated by late events), then
publish. With nothing new since the published build (every drop landed and unchanged) it says so and
publishes nothing. `make daily` is this command; run it as often as you like."""


def register(subparsers: argparse._SubParsersAction) -> None:
    for name, description, daily in (("build", BUILD_DESCRIPTION, False), ("daily", DAILY_DESCRIPTION, True)):
        parser = subparsers.add_parser(
            name,
            help=description.splitlines()[0].rstrip(","),
            description=description,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        parser.add_argument(
            "--warehouse",
            type=Path,
            default=None,
            metavar="FILE",
            help="the published DuckDB file (default: $LIVE_DUCKDB_PATH, else warehouse/live.duckdb); "
            "the run works in .building/ beside it",
        )
        parser.add_argument(
            "--no-publish",
            action="store_true",
            help="stop after the finished marker: `live-metrics publish` publishes the build later",
        )
        parser.add_argument(
            "--target-path",
            type=Path,
            default=None,
            metavar="DIR",
            help="dbt's target folder (manifest, semantic manifest); default: target/ in the project",
        )
        parser.set_defaults(func=lambda args, daily=daily: run(args, daily=daily))


def say(text: str) -> None:
    print(text, flush=True)


def _interrupted(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt  # a kill (SIGTERM) stops the run as Ctrl-C does: its steps are stopped and waited for


def run(args: argparse.Namespace, *, daily: bool) -> int:
    signal.signal(signal.SIGTERM, _interrupted)
    project_dir = default_project_dir()
    layout = Layout.from_env(project_dir, args.warehouse)
    target_path = (args.target_path or project_dir / "target").resolve()
    command = "live-metrics " + ("daily" if daily else "build")
    started = time.monotonic()
    with runlock.acquire(layout.lock, layout.published, command) as lock:
        finished = publish.finish_interrupted_publish(layout)
        if finished is not None:
            say(finished)
        inputs = raw_inputs(raw_folder(project_dir))  # before dbt reads them: a file changing later shows next run
        fingerprint = project_fingerprint(project_dir)
        incremental = daily and layout.published.is_file()
        if daily and not incremental:
            say(f"no published warehouse at {layout.published} yet: this build is a full one")
        if incremental:
            unchanged = nothing_new(layout.published, inputs, fingerprint)
            if unchanged:
                say(f"nothing new since {unchanged}: {layout.published} is current; nothing built or published")
                return 0
            changed = another_project(layout.published, fingerprint)
            if changed:
                say(f"{changed}: this run rebuilds from every drop (an incremental build would keep old verdicts)")
                incremental = False
        layout.finished.unlink(missing_ok=True)
        steps = Steps(layout, project_dir, target_path, lock, total=4 if args.no_publish else 5)
        steps.prepare_work_file(incremental)
        steps.dbt_build(incremental)
        steps.cli("materialize", "materialize the metrics")
        steps.step("record the run")  # before export: the stored answer of `check` shows this run
        run_id = uuid.uuid4().hex[:12]
        compacted = compact_if_grown(layout.work) if incremental else True
        if incremental and compacted:
            say(f"  compacted the work file: {layout.work.stat().st_size / 2**20:,.1f} MB")
        previous = layout.published if incremental else None
        for line in record_run(layout.work, run_id, command, inputs, fingerprint, previous, compacted=compacted):
            say(f"  {line}")
        steps.cli(
            "export",
            "export the metric tree, store the read commands' answers",
            "--out",
            str(layout.work_tree),
            "--store-answers",
        )
        publish.mark_finished(layout, run_id)
        if not args.no_publish:
            steps.step("publish")
            say(f"  {publish.publish_finished(layout)}")
    say(
        f"done in {time.monotonic() - started:.0f} s: "
        + (
            f"{layout.published}"
            if not args.no_publish
            else f"{layout.work} is finished; `live-metrics publish` publishes it"
        )
    )
    return 0


class Steps:
    """The steps of one run, numbered for the person watching, each holding the run's lock."""

    def __init__(self, layout: Layout, project_dir: Path, target_path: Path, lock: runlock.RunLock, total: int):
        self.layout, self.project_dir, self.target_path, self.lock = layout, project_dir, target_path, lock
        self.number, self.total = 0, total

    def step(self, what: str) -> None:
        self.number += 1
        say(f"[{self.number}/{self.total}] {what}")

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "LIVE_DUCKDB_PATH": str(self.layout.work),
                ACCESS_MODE_ENV: "read_write",
                "DBT_PROFILES_DIR": env.get("DBT_PROFILES_DIR") or str(self.project_dir),
                "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
            }
        )
        return env

    def prepare_work_file(self, incremental: bool) -> None:
        """An empty work file, or a whole copy of the published one (copied aside, then renamed)."""
        work = self.layout.work
        work.parent.mkdir(parents=True, exist_ok=True)
        copying = work.with_name(work.name + ".copying")
        for leftover in (work, wal(work), copying):  # what a killed run left
            leftover.unlink(missing_ok=True)
        shutil.rmtree(self.layout.work_tree, ignore_errors=True)
        if incremental:
            shutil.copyfile(self.layout.published, copying)
            os.replace(copying, work)

    def dbt_build(self, incremental: bool) -> None:
        self.step(
            "dbt build" + (" (incremental: the new drops)" if incremental else " (everything, from all the raw data)")
        )
        # No --fail-fast: on the first failure dbt would cancel the nodes running beside it, and dbt-duckdb's
        # cancel raises "Connection already closed!" when a neighbour's connection closed a moment before; that
        # error then replaces the cause's, which is never printed (CI met it). A failed build lands nothing either way.
        args = ["build", "--target-path", str(self.target_path), "--log-path", str(self.layout.work_dir)]
        args += ["--exclude-resource-type", "unit_test"]  # they test the code: `make test` runs them
        run_dbt(
            args,
            cwd=self.project_dir,
            env=incremental_build_env(self.env()) if incremental else self.env(),
            log_path=self.layout.dbt_log,
            pass_fds=(self.lock.fd,),
            on_start=lambda pid: self.lock.note_child(pid, "dbt build"),
            say=say,
        )

    def cli(self, subcommand: str, what: str, *args: str) -> None:
        """A subcommand of this program on the work file, in a process that holds the lock too."""
        self.step(what)
        launcher = repo_root() / "scripts" / "live-metrics"
        manifest = ["--manifest", str(self.target_path / "semantic_manifest.json")]
        process = subprocess.Popen(
            [sys.executable, str(launcher), subcommand, *args, *manifest],
            cwd=self.project_dir,
            env=self.env(),
            stdin=subprocess.DEVNULL,
            pass_fds=(self.lock.fd,),
        )
        self.lock.note_child(process.pid, subcommand)
        try:
            code = process.wait()
        except BaseException:
            process.terminate()
            process.wait()
            raise
        if code != 0:
            raise UserError(f"{subcommand} failed (exit {code}, its error is above): nothing was published")
