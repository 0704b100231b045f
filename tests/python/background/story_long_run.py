"""A long run of daily builds: 40 generated days, 30 built in full, then 10 appended one drop at a time.

Every model after the gate recomputes only the streams and days a build touches (macros/incremental_scope.sql),
so a mistake in a scope shows as a row left stale days later, not in the next build. Forty days of a small
generated world (its late arrivals, duplicate deliveries and data-quality problems at the generator's rates,
plus a copy of an event delivered 5 days after it and a leave delivered 2 days late) are written as daily drops.
Drops 1-30 are built in full, drops 31-40 appended one at a time with `dbt run` (the last with `dbt build`:
every data test, on the rows it recomputed). After each build, the streams (peak concurrency, viewers,
watch minutes) and the viewers and watch minutes per day equal the raw reference
(tests/python/raw_reference.py) computed from the drops landed so far; after the last, every table of the
warehouse equals a full refresh, row for row.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

import raw_reference as rr
from background.story_incremental import format_time, parse_time, tables
from conftest import run_dbt, same_rows
from live_metrics.generator.gen_model import GeneratorConfig
from live_metrics.generator.generate import generate_events, write_dataset

CONFIG = GeneratorConfig(days=40, creators=6, viewers=120, seed=29)
FIRST_LOAD = 30
DAYS = [CONFIG.start + dt.timedelta(days=n) for n in range(CONFIG.days)]  # DAYS[0] is day 1


@dataclass
class LongRun:
    """The generated rows by received day, and where the reference tables are."""

    source: Path
    header: list[str]
    rows: list[dict[str, str]]

    @classmethod
    def generate(cls, folder: Path) -> LongRun:
        data = generate_events(CONFIG)
        write_dataset(data, folder, "csv")
        table = data.event_table()
        rows = [{**row, "_drop": row["received_at"][:10]} for row in table.to_pylist()]
        run = cls(folder, table.column_names, rows)
        run.plant()
        return run

    def plant(self) -> None:
        """A copy of a day-31 comment in drop 36, and a day-33 leave held back to drop 35."""
        comment = next(row for row in self.rows if row["event_type"] == "comment_posted" and self.clean_on(row, 31))
        self.rows.append({**comment, "received_at": self.morning(36), "_drop": DAYS[35].isoformat()})
        leave = next(row for row in self.rows if row["event_type"] == "viewer_left" and self.clean_on(row, 33))
        leave.update(received_at=self.morning(35), _drop=DAYS[34].isoformat())

    @staticmethod
    def clean_on(row: dict[str, str], day: int) -> bool:
        moment = parse_time(row["event_at"])
        return moment is not None and moment.date() == DAYS[day - 1] and row["_drop"] == DAYS[day - 1].isoformat()

    @staticmethod
    def morning(day: int) -> str:
        return format_time(dt.datetime.combine(DAYS[day - 1], dt.time(9, 0)))

    def landed(self, last_day: int) -> list[dict[str, str]]:
        """The rows of the drops up to day ``last_day`` (the last build: every later drop too), in drop order."""
        last = DAYS[last_day - 1].isoformat() if last_day < CONFIG.days else "9999"
        return sorted((row for row in self.rows if row["_drop"] <= last), key=lambda row: row["_drop"])

    def write_drops(self, folder: Path, last_day: int) -> Path:
        """The reference tables and one gzipped CSV per received day, up to ``last_day``."""
        self._reference_tables(folder)
        by_day: dict[str, list[dict[str, str]]] = {}
        for row in self.landed(last_day):
            by_day.setdefault(row["_drop"], []).append(row)
        for day, rows in by_day.items():
            part = folder / "raw_live_events" / f"received_date={day}" / "part-0.csv.gz"
            part.parent.mkdir(parents=True, exist_ok=True)
            part.write_bytes(gzip.compress(self._csv(rows), mtime=0))
        return folder

    def write_single_file(self, folder: Path, last_day: int) -> Path:
        """The same rows as one file, drops in order: what the raw reference reads."""
        self._reference_tables(folder)
        (folder / "raw_live_events.csv.gz").write_bytes(gzip.compress(self._csv(self.landed(last_day)), mtime=0))
        return folder

    def _reference_tables(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for table in self.source.iterdir():
            if table.is_file() and not table.name.startswith("raw_live_events"):
                shutil.copyfile(table, folder / table.name)

    def _csv(self, rows: list[dict[str, str]]) -> bytes:
        text = io.StringIO(newline="")
        writer = csv.DictWriter(text, fieldnames=self.header, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return text.getvalue().encode("utf-8")


@dataclass(frozen=True)
class Step:
    day: int
    streams: list[tuple]  # stream_id, peak, viewers, watch minutes: the warehouse's
    expected_streams: list[tuple]  # the same from the raw reference
    days: list[tuple]  # day, viewers, watch minutes: the warehouse's
    expected_days: list[tuple]


def warehouse_figures(path: Path) -> tuple[list[tuple], list[tuple]]:
    with duckdb.connect(str(path), read_only=True) as connection:
        streams = connection.execute(
            "select stream_id, peak_concurrent_viewers, unique_viewers, round(watch_minutes, 6)"
            " from marts.fct_live_streams order by stream_id"
        ).fetchall()
        days = connection.execute(
            "select started_date, count(distinct viewer_id), round(sum(watch_minutes), 6)"
            " from marts.fct_viewer_sessions group by 1 order by 1"
        ).fetchall()
    return streams, days


def reference_figures(folder: Path) -> tuple[list[tuple], list[tuple]]:
    reference = rr.compute_reference(folder)
    viewers: dict[str, set[str]] = {}
    minutes: dict[str, float] = {}
    for session in reference.sessions:
        viewers.setdefault(session.stream_id, set()).add(session.viewer_id)
        minutes[session.stream_id] = minutes.get(session.stream_id, 0.0) + session.minutes
    streams = [
        (stream_id, reference.peaks[stream_id], len(viewers.get(stream_id, ())), round(minutes.get(stream_id, 0.0), 6))
        for stream_id in sorted(reference.streams)
    ]
    by_day = rr.watch_minutes_by_day(reference)
    days = [(day, count, round(by_day.get(day, 0.0), 6)) for day, count in sorted(rr.viewers_by_day(reference).items())]
    return streams, days


@pytest.fixture(scope="module")
def long_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Step], Path, Path]:
    root = tmp_path_factory.mktemp("long_run")
    run = LongRun.generate(root / "generated")
    warehouse = root / "live.duckdb"
    steps = []
    for day in range(FIRST_LOAD, CONFIG.days + 1):
        raw = run.write_drops(root / f"raw_{day}", day)
        # the last build runs the data tests too (on the rows it recomputed); story_incremental tests each build
        run_dbt(["build" if day == CONFIG.days else "run"], warehouse, raw, root / "target", root / "logs")
        streams, days = warehouse_figures(warehouse)
        expected_streams, expected_days = reference_figures(run.write_single_file(root / f"single_{day}", day))
        steps.append(Step(day, streams, expected_streams, days, expected_days))
    full = root / "full" / "live.duckdb"  # named as every build: dbt's saved parse fits
    run_dbt(["run", "--full-refresh"], full, raw, root / "target_full", root / "logs")
    return steps, warehouse, full


def test_every_daily_build_equals_the_raw_reference(long_run: tuple[list[Step], Path, Path]) -> None:
    steps, _, _ = long_run
    assert [step.day for step in steps] == list(range(FIRST_LOAD, CONFIG.days + 1))
    for step in steps:
        assert len(step.streams) > 50 and len(step.days) >= step.day - 1
        assert same_rows(step.streams, step.expected_streams), f"day {step.day}: fct_live_streams"
        assert same_rows(step.days, step.expected_days), f"day {step.day}: viewers and minutes by day"


def test_each_daily_build_added_its_day(long_run: tuple[list[Step], Path, Path]) -> None:
    """Not vacuous: every appended drop brought streams and a day of sessions the build before lacked."""
    steps, _, _ = long_run
    for before, after in zip(steps, steps[1:], strict=False):
        assert len(after.streams) > len(before.streams), f"day {after.day} added no stream"
        assert after.days[-1][0] > before.days[-1][0] or after.days[-2] != before.days[-1], after.day


def test_after_ten_daily_builds_every_table_equals_a_full_refresh(long_run: tuple[list[Step], Path, Path]) -> None:
    _, incremental, full = long_run
    incremental_tables, full_tables = tables(incremental), tables(full)
    assert sorted(incremental_tables) == sorted(full_tables) and len(full_tables) >= 35
    different = [name for name in full_tables if not same_rows(incremental_tables[name], full_tables[name])]
    assert not different, f"after 10 incremental builds the warehouse differs from a full refresh in {different}"
