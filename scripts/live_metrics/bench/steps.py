"""The steps of one benchmark run (``Bench``): generate a data set, build it with dbt (full or incremental), run
the baseline and check it against the marts, build the demo as `make run` does, time the read commands on it,
and materialize and export on the largest warehouse. Each step is a measured process of its own."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from live_metrics.bench.baseline import CHECK_SQL, SQL_RUNNER, baseline_sql, sql_literal
from live_metrics.bench.measured import MIB, Measured, build_env, load_average, rss, run_measured
from live_metrics.bench.sizes import DAYS, Size
from live_metrics.engine.profile import ACCESS_MODE_ENV_VAR, READ_WRITE
from live_metrics.errors import UserError
from live_metrics.ops.dbt_step import MEMORY_LIMIT_ENV
from live_metrics.options import repo_root

# DuckDB settings: the defaults of profiles.yml.
THREADS_ENV, DEFAULT_THREADS = "LIVE_DUCKDB_THREADS", "2"
DEFAULT_MEMORY_LIMIT = "3GB"  # the profile's default for MEMORY_LIMIT_ENV
READ_COMMANDS = ("scorecard", "explain", "check", "creator")


@dataclass
class Bench:
    """One benchmark run: where it works, with which settings, and what it has measured so far."""

    workspace: Path
    say: Callable[[str], None]
    threads: str
    memory_limit: str
    rows: list[dict[str, Any]]
    checks: list[dict[str, Any]]

    @property
    def root(self) -> Path:
        return repo_root()

    def env(self, **overrides: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DBT_PROFILES_DIR=str(self.root),
            DBT_SEND_ANONYMOUS_USAGE_STATS="False",
            **{THREADS_ENV: self.threads, MEMORY_LIMIT_ENV: self.memory_limit},
        )
        env.update(overrides)
        return env

    def cli(self, *args: str) -> list[str]:
        return [sys.executable, str(self.root / "scripts" / "live-metrics"), *args]

    def folder(self, label: str) -> Path:
        path = self.workspace / f"bench-{label}"
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
        return path

    # -- steps ------------------------------------------------------------------------------------------

    def generate_raw(
        self, label: str, target_events: int, folder: Path, days: int, creators: int, viewers: int
    ) -> tuple[Measured, dict[str, Any]]:
        """`live-metrics generate` into ``folder``/raw (parquet daily drops): its measure and the data set."""
        self.say(
            f"{label}: generating ~{target_events:,} events "
            f"({days} days, {creators} creators, {viewers:,} viewers, parquet)"
        )
        summary_path = folder / "generate.json"
        measured = run_measured(
            self.cli(
                "generate",
                "--out",
                str(folder / "raw"),
                "--days",
                str(days),
                "--crash-spike",
                "none",
                "--alert-outage",
                "none",
                "--creators",
                str(creators),
                "--viewers",
                str(viewers),
                "--format",
                "parquet",
                "--partition-by",
                "received_date",
                "--json",
            ),
            what=f"live-metrics generate ({label})",
            env=self.env(),
            log=folder / "logs" / "generate.log",
            stdout=summary_path,
        )
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
        events = int(summary["raw_rows"])
        self.say(
            f"{label}: generated {events:,} events ({summary['total_bytes'] / MIB:,.0f} MiB parquet) "
            f"in {measured.seconds:.1f} s"
        )
        data = {
            "size": label,
            "target_events": target_events,
            "events": events,
            "days": days,
            "creators": creators,
            "viewers": viewers,
            "seed": summary["config"]["seed"],
            "start": summary["config"]["start"],
            "streams": summary["entities"]["streams"],
            "sessions": summary["entities"]["sessions"],
            "raw_bytes": summary["total_bytes"],
        }
        return measured, data

    def generate(self, size: Size, folder: Path) -> tuple[int, dict[str, Any]]:
        measured, data = self.generate_raw(size.label, size.target_events, folder, DAYS, size.creators, size.viewers)
        events = data["events"]
        self.rows.append(
            {
                "step": "generate",
                "size": size.label,
                "measured": True,
                "events": events,
                "seconds": round(measured.seconds, 2),
                "peak_rss_bytes": measured.peak_rss_bytes,
                "events_per_second": round(events / measured.seconds, 1),
            }
        )
        return events, data

    def dbt_build(
        self,
        label: str,
        folder: Path,
        raw: Path,
        raw_format: str,
        what: str = "dbt build",
        *extra: str,
        incremental: bool = False,
    ) -> Measured:
        """A `dbt build` of ``raw`` into ``folder``'s warehouse; ``incremental`` runs it as `make daily` does."""
        self.say(f"{label}: {what} ...")
        dbt = Path(sys.executable).parent / "dbt"
        if not dbt.exists():
            found = shutil.which("dbt")
            if not found:
                raise UserError("dbt is not installed: run `make install` first")
            dbt = Path(found)
        measured = run_measured(
            [str(dbt), "build", *extra, "--target-path", str(folder / "target"), "--log-path", str(folder / "logs")],
            what=f"dbt build ({label})",
            env=build_env(
                self.env(
                    LIVE_DUCKDB_PATH=str(folder / "live.duckdb"),
                    **{ACCESS_MODE_ENV_VAR: READ_WRITE},  # the profile opens the file read-only otherwise
                    LIVE_RAW_DATA_PATH=str(raw),
                    LIVE_RAW_FORMAT=raw_format,
                ),
                incremental,
            ),
            log=folder / "logs" / f"{what.replace(' ', '_')}.out",
        )
        self.say(f"{label}: {what} {measured.seconds:.1f} s, peak RSS {rss(measured.peak_rss_bytes)}")
        return measured

    def baseline(self, label: str, folder: Path, raw_events: str) -> Measured:
        self.say(f"{label}: baseline query ...")
        database = folder / "baseline.duckdb"
        for stale in (database, folder / "baseline.duckdb.wal"):
            stale.unlink(missing_ok=True)
        script = folder / "baseline.sql"
        script.write_text(baseline_sql(raw_events, self.threads, self.memory_limit), encoding="utf-8")
        measured = run_measured(
            [sys.executable, "-c", SQL_RUNNER, str(database), str(script)],
            what=f"the baseline query ({label})",
            env=self.env(),
            log=folder / "logs" / "baseline.log",
        )
        self.say(f"{label}: baseline {measured.seconds:.1f} s, peak RSS {rss(measured.peak_rss_bytes)}")
        return measured

    def check(self, label: str, folder: Path, events: int) -> dict[str, Any]:
        """Compare the baseline's sessions and peaks with the marts of the warehouse built beside it."""
        import duckdb

        connection = duckdb.connect(str(folder / "baseline.duckdb"))
        try:
            connection.execute(f"set threads = {int(self.threads)}")
            connection.execute(f"set memory_limit = {sql_literal(self.memory_limit)}")
            connection.execute(f"attach {sql_literal(str(folder / 'live.duckdb'))} as wh (read_only)")
            row = connection.execute(CHECK_SQL).fetchone()
        except duckdb.Error as error:
            raise UserError(f"baseline check ({label}) failed: {str(error).splitlines()[0]}") from error
        finally:
            connection.close()
        assert row is not None
        b_sessions, m_sessions, b_minutes, m_minutes, sessions_differing, streams, peaks_differing = row
        minutes_match = abs(float(b_minutes) - float(m_minutes)) <= 1e-9 * max(1.0, abs(float(m_minutes)))
        matched = b_sessions == m_sessions and minutes_match and sessions_differing == 0 and peaks_differing == 0
        result = {
            "data": label,
            "events": events,
            "matched": bool(matched),
            "sessions": {"baseline": int(b_sessions), "mart": int(m_sessions)},
            "watch_minutes": {"baseline": round(float(b_minutes), 3), "mart": round(float(m_minutes), 3)},
            "sessions_differing": int(sessions_differing),
            "streams": int(streams),
            "stream_peaks_differing": int(peaks_differing),
        }
        self.checks.append(result)
        verdict = "match" if matched else "MISMATCH"
        self.say(
            f"{label}: baseline check {verdict}: sessions {b_sessions:,} vs {m_sessions:,}, watch minutes "
            f"{float(b_minutes):,.1f} vs {float(m_minutes):,.1f}, {peaks_differing} of {streams:,} stream peaks differ"
        )
        return result

    def demo_run(self, folder: Path, raw: Path) -> Measured:
        """`live-metrics build` of the demo data into ``folder``/live.duckdb, as `make run` builds it."""
        self.say("demo: live-metrics build (dbt build, materialize, export and the stored answers, publish) ...")
        env = self.env(LIVE_RAW_DATA_PATH=str(raw), LIVE_RAW_FORMAT="csv")
        env.pop(ACCESS_MODE_ENV_VAR, None)  # the run opens its work file read-write itself
        measured = run_measured(
            self.cli("build", "--warehouse", str(folder / "live.duckdb"), "--target-path", str(folder / "target")),
            what="live-metrics build (demo)",
            env=env,
            log=folder / "logs" / "build.log",
        )
        self.say(f"demo: live-metrics build {measured.seconds:.1f} s, peak RSS {rss(measured.peak_rss_bytes)}")
        return measured

    def read_commands(self, folder: Path, fresh: bool) -> None:
        """What a person runs on the published demo warehouse: each read command with its default arguments
        (scorecard, explain and check print the answers the run stored), then (``fresh``) the same three
        through MetricFlow (--fresh), for comparison."""
        warehouse = folder / "live.duckdb"
        env = self.env(LIVE_DUCKDB_PATH=str(warehouse), **{ACCESS_MODE_ENV_VAR: "read_only"})
        manifest = ["--manifest", str(folder / "target" / "semantic_manifest.json")]
        runs = [(command, "stored answer") for command in READ_COMMANDS]
        if fresh:
            runs += [(command, "MetricFlow") for command in READ_COMMANDS if command != "creator"]
        for command, path in runs:
            if command == "creator":
                args = ["creator", busiest_creator(warehouse)]
            else:
                args = [command, *manifest, *(["--fresh"] if path == "MetricFlow" else [])]
            load = load_average()
            measured = run_measured(
                self.cli(*args),
                what=f"live-metrics {command} (demo)",
                env=env,
                log=folder / "logs" / f"{command}-{path.split()[0].lower()}.log",
                stdout=folder / "logs" / f"{command}-{path.split()[0].lower()}.out",
                ok_codes=(0, 1) if command == "check" else (0,),  # check exits 1 when a row FAILs
            )
            self.say(f"demo: {command} ({path}) {measured.seconds:.1f} s (load {load[0] if load else '?'})")
            self.rows.append(
                {
                    "step": "read_command",
                    "size": "demo",
                    "command": command,
                    "path": path,
                    "measured": True,
                    "seconds": round(measured.seconds, 2),
                    "peak_rss_bytes": measured.peak_rss_bytes,
                    "load_average": load[0] if load else None,
                }
            )

    def metrics_step(self, step: str, size: Size, folder: Path, events: int, *args: str) -> None:
        self.say(f"{size.label}: live-metrics {step} ...")
        measured = run_measured(
            self.cli(
                step,
                *args,
                "--project-dir",
                str(self.root),
                "--manifest",
                str(folder / "target" / "semantic_manifest.json"),
            ),
            what=f"live-metrics {step} ({size.label})",
            env=self.env(LIVE_DUCKDB_PATH=str(folder / "live.duckdb")),
            log=folder / "logs" / f"{step}.log",
        )
        self.say(f"{size.label}: {step} {measured.seconds:.1f} s, peak RSS {rss(measured.peak_rss_bytes)}")
        self.rows.append(
            {
                "step": step,
                "size": size.label,
                "measured": True,
                "events": events,
                "seconds": round(measured.seconds, 2),
                "peak_rss_bytes": measured.peak_rss_bytes,
            }
        )


def busiest_creator(warehouse: Path) -> str:
    """The creator with the most streams in ``warehouse`` (the one `creator` is timed on)."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as connection:
        row = connection.execute(
            "select creator_id from marts.fct_live_streams group by 1 order by count(*) desc, 1 limit 1"
        ).fetchone()
    if row is None:
        raise UserError(f"{warehouse} has no stream to time `live-metrics creator` on")
    return str(row[0])
