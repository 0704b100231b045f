"""Daily operation as an operator meets it: one run at a time, killed runs, nothing half-published.

One module-scoped story on small generated daily drops, in order (each test builds on the one before):
a full `live-metrics build` of days 1-2, `daily` with nothing new, a second run started beside a
running one, kill -9 of a run's parent while its dbt lives on, kill -9 of a whole run, Ctrl-C in
materialize, `publish` of unfinished builds, a read-write client across a publish, an out-of-order
drop. After every disturbance the published file is either the old one, untouched, or a complete new
one, and every drop's records are in it exactly once (checked against the raw files themselves).
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from conftest import HANG_GUARD_SECONDS, LAUNCHER, REPO_ROOT, dbt_env
from live_metrics.generator.gen_model import GeneratorConfig
from live_metrics.generator.generate import generate_events, write_dataset

CONFIG = GeneratorConfig(days=9, creators=4, viewers=60, seed=21)
OLD_CLIENT = REPO_ROOT / ".venv-duckdb14" / "bin" / "python"
READERS: dict[str, subprocess.Popen[str]] = {}  # the reader polling the published file through the story

READER = r"""
import json, os, sys, time
import duckdb
path, stop = sys.argv[1], sys.argv[2]
reads, errors, inodes = 0, [], []
while not os.path.exists(stop):
    try:
        inode = os.stat(path).st_ino
        connection = duckdb.connect(path, read_only=True)
        try:
            streams = connection.execute("select count(*) from marts.fct_live_streams").fetchall()[0][0]
            days = connection.execute("select count(*) from metrics.platform_daily_scorecard").fetchall()[0][0]
            audited = connection.execute("select sum(row_count) from marts.fct_ingestion_audit").fetchall()[0][0]
        finally:
            connection.close()
        if not (streams > 0 and days > 0 and audited > 0):
            errors.append(f"empty read: {streams} {days} {audited}")
        reads += 1
        if inode not in inodes:
            inodes.append(inode)
    except Exception as error:
        errors.append(str(error).splitlines()[0])
    time.sleep(0.1)
print(json.dumps({"version": duckdb.__version__, "reads": reads, "errors": errors, "inodes": inodes}))
"""


@dataclass(frozen=True)
class Site:
    raw: Path  # what the runs read
    held: Path  # drops not delivered yet
    published: Path
    target: Path

    @property
    def work(self) -> Path:
        return self.published.parent / ".building" / self.published.name

    @property
    def lock(self) -> Path:
        return self.work.with_name(self.work.name + ".lock")

    @property
    def finished(self) -> Path:
        return self.work.with_name(self.work.name + ".finished")

    def env(self) -> dict[str, str]:
        env = dbt_env(self.published, self.raw)
        env.pop("LIVE_DUCKDB_ACCESS_MODE", None)  # the run sets read-write for its own steps
        return env

    def args(self, command: str) -> list[str]:
        if command == "publish":
            return [sys.executable, str(LAUNCHER), command, "--warehouse", str(self.published)]
        if command not in ("build", "daily"):
            return [sys.executable, str(LAUNCHER), command]
        return [sys.executable, str(LAUNCHER), command, "--target-path", str(self.target)]

    def run(self, command: str, *extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.args(command), *extra],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=HANG_GUARD_SECONDS,
            check=False,
        )

    def start(self, command: str) -> subprocess.Popen[str]:
        """A run in a session of its own, as from a terminal (its process group gets Ctrl-C).

        Ctrl-C acts as in a terminal's foreground job even when the suite itself runs as a background job
        (`make test &` in a script ignores SIGINT, and every process it starts would inherit that).
        """
        return subprocess.Popen(
            self.args(command),
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509 (no thread runs yet)
        )

    def deliver(self, day: str) -> None:
        for drop in sorted(self.held.glob(f"received_date={day}")):
            shutil.move(str(drop), self.raw / "raw_live_events" / drop.name)

    def holder(self) -> dict:
        try:
            return json.loads(self.lock.read_text() or "{}")
        except (OSError, ValueError):
            return {}


def wait_for_step(site: Site, process: subprocess.Popen[str], step: str) -> int:
    """Wait until the run ``process`` is in ``step`` (its lock file names the step's process); its pid."""
    for _ in range(6000):
        child = site.holder().get("child") or {}
        if site.holder().get("pid") == process.pid and child.get("what") == step:
            return int(child["pid"])
        assert process.poll() is None, f"the run ended before {step}: {process.communicate()}"
        time.sleep(0.05)
    raise AssertionError(f"the run never reached {step}")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_until_gone(pid: int) -> None:
    for _ in range(12000):
        if not alive(pid):
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} did not end")


def raw_records(site: Site) -> dict[str, int]:
    """Records per delivered drop, counted from the files themselves (CSV rows after the header)."""
    counts = {}
    for path in sorted((site.raw / "raw_live_events").glob("received_date=*/*.csv.gz")):
        with gzip.open(path, "rt", newline="") as handle:
            counts[path.parent.name] = counts.get(path.parent.name, 0) + sum(1 for _ in csv.reader(handle)) - 1
    return counts


def published_records(site: Site) -> dict[str, int]:
    with duckdb.connect(str(site.published), read_only=True) as connection:
        rows = connection.execute(
            "select regexp_extract(source_file, 'received_date=[0-9-]+'), count(*) "
            "from staging.base_live__raw_events group by 1"
        ).fetchall()
        audited = connection.execute("select sum(row_count) from marts.fct_ingestion_audit").fetchone()[0]
    counts = dict(rows)
    assert audited == sum(counts.values())  # every landed record is accounted for in the audit
    return counts


def identity(path: Path) -> tuple[int, int, int]:
    stat = path.stat()
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


def one_error_line(completed: subprocess.CompletedProcess[str] | tuple[str, str], *words: str) -> str:
    stderr = completed[1] if isinstance(completed, tuple) else completed.stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    assert "Traceback" not in stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    root = tmp_path_factory.mktemp("operations")
    raw, held = root / "raw", root / "held"
    write_dataset(generate_events(CONFIG), raw, "csv", partition_by="received_date")
    held.mkdir()
    days = sorted(path.name for path in (raw / "raw_live_events").iterdir())
    assert len(days) >= 9
    for drop in days[2:]:
        shutil.move(str(raw / "raw_live_events" / drop), held / drop)
    return Site(raw=raw, held=held, published=root / "wh" / "live.duckdb", target=root / "target")


def days_held(site: Site) -> list[str]:
    return sorted(path.name.split("=")[1] for path in site.held.iterdir())


def test_a_full_build_killed_then_run_again_publishes_a_finished_warehouse(site: Site) -> None:
    killed = site.start("build")
    wait_for_step(site, killed, "dbt build")
    os.killpg(killed.pid, signal.SIGKILL)
    killed.communicate()
    assert not site.published.exists() and not site.finished.exists()  # nothing published, no marker
    completed = site.run("build")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "[5/5] publish" in completed.stdout
    assert published_records(site) == raw_records(site)
    assert not site.work.exists() and not site.finished.exists()
    tree = site.published.parent / "live_metric_tree" / "metric_tree.html"
    assert tree.is_file() and tree.stat().st_size > 10_000
    with duckdb.connect(str(site.published), read_only=True) as connection:
        runs = connection.execute("select command, records_landed, late_beyond_window from live_ops.runs").fetchall()
    assert runs == [("live-metrics build", sum(raw_records(site).values()), 0)]
    client = OLD_CLIENT if OLD_CLIENT.exists() and os.environ.get("LIVE_SKIP_OLD_CLIENT") != "1" else sys.executable
    READERS["reader"] = subprocess.Popen(
        [str(client), "-c", READER, str(site.published), str(site.published.parent / "stop")],
        stdout=subprocess.PIPE,
        text=True,
    )


def test_a_day_with_nothing_new_publishes_nothing(site: Site) -> None:
    before = identity(site.published)
    completed = site.run("daily")
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("nothing new since the build of ")
    assert identity(site.published) == before and not site.work.exists()
    materialize = site.run("materialize", "--manifest", str(site.target / "semantic_manifest.json"))
    assert materialize.returncode == 2
    one_error_line(materialize, "is the published warehouse that readers open", "make run")
    assert identity(site.published) == before


def test_kill_9_of_a_whole_run_then_two_runs_at_once(site: Site) -> None:
    before = identity(site.published)
    site.deliver(days_held(site)[0])
    killed = site.start("daily")
    wait_for_step(site, killed, "dbt build")
    os.killpg(killed.pid, signal.SIGKILL)  # the run and its dbt, mid-build
    killed.communicate()
    assert identity(site.published) == before
    first = site.start("daily")
    wait_for_step(site, first, "dbt build")
    second = site.run("daily")
    assert second.returncode == 2
    one_error_line(second, "another run is using", str(site.published), f"pid {first.pid}")
    out, err = first.communicate(timeout=HANG_GUARD_SECONDS)
    assert first.returncode == 0, out + err
    assert published_records(site) == raw_records(site)  # the drop landed exactly once


def test_a_dbt_outliving_its_killed_run_keeps_the_next_run_out(site: Site) -> None:
    before = identity(site.published)
    site.deliver(days_held(site)[0])
    run = site.start("daily")
    dbt_pid = wait_for_step(site, run, "dbt build")
    os.kill(run.pid, signal.SIGKILL)  # the run's own process only: its dbt goes on
    run.communicate()
    if alive(dbt_pid):
        refused = site.run("daily")
        assert refused.returncode == 2
        one_error_line(refused, "another run is using", f"its dbt build is pid {dbt_pid}")
    wait_until_gone(dbt_pid)
    published = site.run("publish")
    assert published.returncode == 2
    one_error_line(published, "not a finished build")
    assert identity(site.published) == before  # nothing of the killed run was published
    rerun = site.run("daily")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert published_records(site) == raw_records(site)


def stop_the_reader(site: Site) -> None:
    """The old-client reader started after the first build read through every run, kill and publish since:
    every read succeeded, on the old file or the new."""
    reader = READERS.pop("reader")
    (site.published.parent / "stop").touch()
    output, _ = reader.communicate(timeout=HANG_GUARD_SECONDS)
    report = json.loads(output)
    if OLD_CLIENT.exists() and os.environ.get("LIVE_SKIP_OLD_CLIENT") != "1":
        assert report["version"].startswith("1.4.")
    assert report["errors"] == []
    assert report["reads"] > 100
    assert len(report["inodes"]) >= 3  # the first build, then the two published daily runs


def plant_late_comments(site: Site, drop: str) -> tuple[str, str]:
    """A second file in ``drop``: two new comments received that day, copied from landed ones, one made
    two days before (within late_window_days: it restates a complete day), one on the first day (beyond
    the window: held back). Returns the two event days."""
    landed = sorted((site.raw / "raw_live_events").glob("received_date=*/part-0.csv.gz"))
    within = str(date.fromisoformat(drop) - timedelta(days=2))
    with gzip.open(landed[0], "rt", newline="") as handle:
        header, *first_day = list(csv.reader(handle))
    with gzip.open(site.raw / "raw_live_events" / f"received_date={within}" / "part-0.csv.gz", "rt") as handle:
        recent = list(csv.reader(handle))[1:]
    sources = [
        next(row for row in recent if row[1] == "comment_posted" and row[2].startswith(within)),
        next(row for row in first_day if row[1] == "comment_posted"),
    ]
    planted = []
    for number, row in enumerate(sources):
        late = list(row)
        late[0] = f"e_planted_late_{number}"
        late[3] = f"{drop}T12:00:00.000Z"
        late[6] = late[6].replace('"comment_id":"', f'"comment_id":"c_planted_{number}_')
        planted.append(late)
    with gzip.open(site.raw / "raw_live_events" / f"received_date={drop}" / "part-1.csv.gz", "wt") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(planted)
    return planted[0][2][:10], planted[1][2][:10]


def test_ctrl_c_in_materialize_a_late_drop_and_a_read_write_client(site: Site) -> None:
    before = identity(site.published)
    drop = days_held(site)[0]
    site.deliver(drop)
    restated_day, held_day = plant_late_comments(site, drop)
    run = site.start("daily")
    wait_for_step(site, run, "materialize")
    os.killpg(run.pid, signal.SIGINT)  # what Ctrl-C in the terminal sends
    out, err = run.communicate(timeout=HANG_GUARD_SECONDS)
    assert run.returncode == 130, out + err
    assert err.strip().splitlines()[-1] == "error: interrupted"
    assert identity(site.published) == before and not site.finished.exists()

    built = site.run("daily", "--no-publish")
    assert built.returncode == 0, built.stdout + built.stderr
    assert site.finished.exists() and identity(site.published) == before
    assert "1 event(s) held back as late_beyond_window" in built.stdout
    assert f"restated 1 complete day(s) ({restated_day})" in built.stdout
    assert "WARN=1 " in built.stdout  # dbt's own summary counts the held event (a test of severity warn)
    assert "warning: test assert_no_event_held_beyond_the_window: Got 1 result" in built.stdout

    stop_the_reader(site)  # a read-write client locks every reader out while it holds the file (DuckDB's rule)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_READ_WRITE, str(site.published)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        refused = site.run("publish")
        assert refused.returncode == 2
        one_error_line(refused, "open read-write in another process", f"PID {holder.pid}")
        assert identity(site.published) == before
    finally:
        holder.terminate()
        holder.wait()
    published = site.run("publish")
    assert published.returncode == 0, published.stderr
    assert published_records(site) == raw_records(site)
    with duckdb.connect(str(site.published), read_only=True) as connection:
        late, days, drops = connection.execute(
            "select late_beyond_window, restated_days, drops_landed from live_ops.runs "
            "order by finished_at desc limit 1"
        ).fetchone()
    assert late == 1 and [str(day) for day in days] == [restated_day]
    assert sorted(drops) == [f"received_date={drop}/part-0.csv.gz", f"received_date={drop}/part-1.csv.gz"]
    assert held_day < restated_day
    check = site.run("check", "--skip-validate", "--json", "--manifest", str(site.target / "semantic_manifest.json"))
    rows = {row["rule"]: row for row in json.loads(check.stdout)["results"]}
    held, restated = rows["events held back as late"], rows["days restated by late events"]
    assert held["status"] == "WARN" and held["detail"].startswith("1 event(s)") and "`make run`" in held["detail"]
    assert restated["status"] == "WARN" and restated_day in restated["detail"]


HOLD_READ_WRITE = """
import sys, time, duckdb
connection = duckdb.connect(sys.argv[1])
connection.execute("create or replace table main.scratch as select 1 as x")
print("holding", flush=True)
time.sleep(600)
"""


def test_an_out_of_order_drop_is_one_line_and_publishes_nothing(site: Site) -> None:
    before = identity(site.published)
    drops = site.raw / "raw_live_events"
    first = sorted(drops.iterdir())[0]
    older = drops / f"received_date={date.fromisoformat(first.name.split('=')[1]) - timedelta(days=1)}"
    older.mkdir()
    shutil.copyfile(first / "part-0.csv.gz", older / "part-0.csv.gz")
    try:
        refused = site.run("daily")
    finally:
        shutil.rmtree(older)
    assert refused.returncode == 2
    one_error_line(refused, f"raw_live_events: the drop {older.name}", "is new but older than", "make run")
    assert identity(site.published) == before and not site.finished.exists()
