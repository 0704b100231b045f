"""The semantics real data exposed (docs/contract/events.md and metrics.md, changes of 2026-12-06), end to end
on a crafted log.

One small raw log, written here event by event, holds each case once; it is built (dbt build) and
materialized, and every figure is checked twice: against numbers worked out by hand from the spec (below, next
to the events that make them) and, for every daily metric, against the independent raw reference
(tests/python/raw_reference.py) computed from the same files.

Stream s1 (creator c1) runs 2026-11-02 20:00-21:00:
- v1 joins 19:00 and leaves 19:30, wholly before the start: not a viewing;
- v2 joins and leaves at 20:30:00 with no session open: a zero-length pair, not a viewing (the old order made an
  orphan leave and a 30-minute session to the stream's end);
- v3 joins 20:10, leaves and joins again at 20:20:00 (a session open: the leave closes it, the join opens a new
  one), and never leaves: 10 + 40 minutes;
- v4 joins at 20:05 with no source and leaves 20:35: 30 minutes, source unknown;
- v5 joins at 20:00 with source "television" (unlisted) and leaves 20:10: 10 minutes, source unknown;
- v6 comments in s1 without ever joining; v3 comments; c1 comments in their own stream;
- notifications from c1 at 20:00 to v2 (who only makes a zero-length pair: no conversion) and v4 (who joins).
So on 11-02: 3 live viewers (v3, v4, v5), 4 sessions, 90 watch minutes, peak 2 concurrent viewers (3 with v2's
old 30 minutes), 2 unique chatters (v3, v6), chatter rate 1/3 (of the live viewers only v3 commented), a
notification join rate of 1/2.

Stream s2 (creator c2) runs 11-02 10:00-11:00 with v4 watching 10:00-10:30; c2 streams next on 11-10 09:00 (D+8).
Stream s3 (c1) runs 11-09 21:30-22:30 (D+7, later in the day than s1's 20:00) with v3 watching 21:40-22:00.
Stream s4 (c2) runs 11-10 09:00-10:00, the data's last live day.
Retention on 11-02 (eligible: 11-02 + 7 <= 11-10): creators c1 retained, c2 not: 1/2; viewers v3 retained
(back on 11-09), v4 and v5 not: 1/3.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
import math
import shutil
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

import raw_reference as rr
from conftest import DEMO_DATA, Warehouse, run_cli, run_dbt
from live_metrics.generator.gen_output import EVENT_COLUMN_NAMES, REFERENCE_TABLES

REFERENCE_FILES = tuple(f"{table}.csv" for table in REFERENCE_TABLES)
DAY = dt.date(2026, 11, 2)


class Log:
    """The crafted raw log: one call per event, times as 'MM-DD HH:MM[:SS]' in November 2026 (UTC)."""

    def __init__(self) -> None:
        self.rows: list[dict[str, str]] = []

    def add(self, event_type: str, when: str, user_id: str, stream_id: str, **properties: Any) -> None:
        at = dt.datetime.strptime(f"2026-{when}", "%Y-%m-%d %H:%M:%S" if when.count(":") == 2 else "%Y-%m-%d %H:%M")
        stamp = at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        self.rows.append(
            {
                "event_id": f"e{len(self.rows) + 1:03d}",
                "event_type": event_type,
                "event_at": stamp,
                "received_at": stamp,
                "user_id": user_id,
                "stream_id": stream_id,
                "properties": json.dumps(properties),
                "platform": "ios",
                "app_version": "1.0",
                "country": "US",
            }
        )

    def stream(self, stream_id: str, creator: str, start: str, end: str) -> None:
        self.add("stream_started", start, creator, stream_id, title="t", category="music")
        self.add("stream_ended", end, creator, stream_id, end_reason="creator_ended")

    def write(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name in REFERENCE_FILES:
            shutil.copy(DEMO_DATA / name, folder / name)
        with gzip.open(folder / "raw_live_events.csv.gz", "wt", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=EVENT_COLUMN_NAMES)
            writer.writeheader()
            writer.writerows(self.rows)


def crafted_log() -> Log:
    log = Log()
    log.stream("s1", "c1", "11-02 20:00", "11-02 21:00")
    log.add("notification_sent", "11-02 20:00", "v2", "s1", notification_id="n2", creator_id="c1")
    log.add("notification_sent", "11-02 20:00", "v4", "s1", notification_id="n4", creator_id="c1")
    log.add("viewer_joined", "11-02 19:00", "v1", "s1", source="following")
    log.add("viewer_left", "11-02 19:30", "v1", "s1")
    log.add("viewer_left", "11-02 20:30:00", "v2", "s1")  # listed first: only the state rule pairs it after the join
    log.add("viewer_joined", "11-02 20:30:00", "v2", "s1", source="notification", notification_id="n2")
    log.add("viewer_joined", "11-02 20:10", "v3", "s1", source="for_you")
    log.add("viewer_joined", "11-02 20:20:00", "v3", "s1", source="search")
    log.add("viewer_left", "11-02 20:20:00", "v3", "s1")
    log.add("viewer_joined", "11-02 20:05", "v4", "s1")
    log.add("viewer_left", "11-02 20:35", "v4", "s1")
    log.add("viewer_joined", "11-02 20:00", "v5", "s1", source="television")
    log.add("viewer_left", "11-02 20:10", "v5", "s1")
    log.add("comment_posted", "11-02 20:15", "v3", "s1", comment_id="k1", text="hi")
    log.add("comment_posted", "11-02 20:16", "v6", "s1", comment_id="k2", text="hello")
    log.add("comment_posted", "11-02 20:17", "c1", "s1", comment_id="k3", text="welcome")
    log.stream("s2", "c2", "11-02 10:00", "11-02 11:00")
    log.add("viewer_joined", "11-02 10:00", "v4", "s2", source="profile")
    log.add("viewer_left", "11-02 10:30", "v4", "s2")
    log.stream("s3", "c1", "11-09 21:30", "11-09 22:30")
    log.add("viewer_joined", "11-09 21:40", "v3", "s3", source="following")
    log.add("viewer_left", "11-09 22:00", "v3", "s3")
    log.stream("s4", "c2", "11-10 09:00", "11-10 10:00")
    return log


@dataclass(frozen=True)
class Crafted:
    warehouse: Warehouse
    reference: rr.Reference

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.warehouse.duckdb_path), read_only=True) as connection:
            return connection.execute(sql).fetchall()

    def metric_values(self) -> dict[str, dict[dt.date, Any]]:
        """Every metric column of the metrics.* tables by day."""
        values: dict[str, dict[dt.date, Any]] = {}
        with duckdb.connect(str(self.warehouse.duckdb_path), read_only=True) as connection:
            tables = connection.execute(
                "select table_name from information_schema.tables"
                " where table_schema = 'metrics' and table_name != 'metric_definitions'"
            ).fetchall()
            for (table,) in tables:
                cursor = connection.execute(f'select * from metrics."{table}"')
                names = [column[0] for column in cursor.description]
                for row in cursor.fetchall():
                    for name, value in zip(names[1:], row[1:], strict=True):
                        values.setdefault(name, {})[row[0]] = value
        return values


@pytest.fixture(scope="module")
def crafted(tmp_path_factory: pytest.TempPathFactory) -> Crafted:
    root = tmp_path_factory.mktemp("crafted")
    raw = root / "raw"
    crafted_log().write(raw)
    duckdb_path, target = root / "live.duckdb", root / "target"
    run_dbt(["build"], duckdb_path, raw, target, root / "logs")
    warehouse = Warehouse(duckdb_path=duckdb_path, target_path=target, raw_data_path=raw, build_seconds=0.0)
    completed = run_cli(warehouse, "materialize")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return Crafted(warehouse, rr.compute_reference(raw))


def test_sessions_follow_the_instant_rule_and_leave_out_non_viewings(crafted: Crafted) -> None:
    sessions = crafted.query(
        "select viewer_id, cast(started_at as varchar), cast(ended_at as varchar), traffic_source"
        " from marts.fct_viewer_sessions where stream_id = 's1' order by viewer_id, started_at"
    )
    assert sessions == [
        ("v3", "2026-11-02 20:10:00", "2026-11-02 20:20:00", "for_you"),
        ("v3", "2026-11-02 20:20:00", "2026-11-02 21:00:00", "search"),
        ("v4", "2026-11-02 20:05:00", "2026-11-02 20:35:00", "unknown"),
        ("v5", "2026-11-02 20:00:00", "2026-11-02 20:10:00", "unknown"),
    ]
    stream = crafted.query(
        "select unique_viewers, viewer_sessions, watch_minutes, peak_concurrent_viewers, joins_from_unknown"
        " from marts.fct_live_streams where stream_id = 's1'"
    )
    assert stream == [(3, 4, 90.0, 2, 2)]


def test_the_audit_accounts_for_non_viewings_and_unknown_sources(crafted: Crafted) -> None:
    rows = dict(
        crafted.query(
            "select reason, sum(row_count) from marts.fct_ingestion_audit where outcome = 'clean' group by reason"
        )
    )
    # v1's and v2's joins and leaves; v4's and v5's joins (v2's join carries a listed source)
    assert rows.get("not_a_viewing") == 4
    assert rows.get("unknown_join_source") == 2
    assert crafted.query("select count(*) from marts.fct_ingestion_audit where outcome != 'clean'") == [(0,)]
    assert sum(rows.values()) == len(crafted_log().rows)


def test_figures_of_the_day_worked_out_by_hand(crafted: Crafted) -> None:
    values = crafted.metric_values()
    expected = {
        "live_viewers": 3,
        "viewer_sessions": 4 + 1,  # s1's four and v4's in s2
        "live_watch_minutes": 90 + 30,
        "unique_chatters": 2,
        "chatter_rate": 1 / 3,
        "notification_join_rate": 1 / 2,
        "creator_d7_retention": 1 / 2,
        "viewer_d7_retention": 1 / 3,
        "avg_peak_concurrent_viewers": (2 + 1) / 2,
    }
    for metric, value in expected.items():
        got = values[metric][DAY]
        assert got is not None and math.isclose(float(got), value, rel_tol=1e-9), (metric, got, value)


def test_every_daily_metric_agrees_with_the_raw_reference(crafted: Crafted) -> None:
    """A day the reference has a value for has the same value in the metrics tables (0 where "none" is zero)."""
    values = crafted.metric_values()
    compared, wrong = 0, []
    for metric, function in rr.DAILY_METRICS.items():
        if metric not in values:
            continue
        for day, value in function(crafted.reference).items():
            got = values[metric].get(day)
            tolerance = 1e-6 if isinstance(value, Decimal) else 0.0
            if got is None or not math.isclose(float(got), float(value), rel_tol=1e-9, abs_tol=tolerance):
                wrong.append(f"{metric} {day}: {got} (reference {value})")
            compared += 1
    assert not wrong, "\n".join(wrong)
    assert compared > 60
