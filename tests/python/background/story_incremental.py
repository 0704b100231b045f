"""Incremental builds over daily drops equal a full refresh, row for row, whatever arrives late.

Ten generated days are written as daily drops (raw_live_events/received_date=YYYY-MM-DD/), with
stragglers planted in drops 8, 9 and 10: late events that change a stream's end, a session's end,
a peak, a reply, a refund and a business-key winner, a late stream_started, duplicates of events
loaded days before, and a stream that starts on day 7 and ends on day 8.

Days 1-7 are built in full, then days 8, 9 and 10 are appended one at a time with incremental
``dbt build`` runs (the audit equation is one of its tests). After each, every table of the
warehouse (the gate, the intermediates and the marts) is compared with a full refresh of the same
drops, row by row. Each straggler then gets its own test: its effect is visible in the incremental
warehouse on the day it lands (and not before), which also shows the comparison is not vacuous.

An event more than ``late_window_days`` (3) late is the exception, and is tested on its own: an
incremental build holds it as ``late_beyond_window`` (the audit still balances) and warns with the
repair command, and a full refresh counts it.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from conftest import dbt_process, run_dbt, same_rows
from live_metrics.generator.gen_model import GeneratorConfig
from live_metrics.generator.generate import generate_events, write_dataset

CONFIG = GeneratorConfig(days=10, creators=10, viewers=300, seed=11)
DAY = [CONFIG.start + dt.timedelta(days=n - 1) for n in range(0, 12)]  # DAY[1] is day 1
FIRST_LOAD, APPENDED = 7, (8, 9, 10)
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"
COMPARED_SCHEMAS = ("staging", "intermediate", "marts")
# which build landed a row, and the path it was read from and that file's modification time (each day's
# drops sit in a folder of their own here, which also shows that the drops' folder may move between
# builds): they differ by design
# when the gate decided a row: the build's start, by design
UNCOMPARED_COLUMNS = ("load_id", "source_file", "file_modified_at", "decided_at")
# what a build recomputes after the gate (macros/incremental_scope.sql): build bookkeeping, not data
UNCOMPARED_TABLES = (
    "intermediate.int_live__build_scope",
    "intermediate.int_live__build_scope_streams",
    "intermediate.int_live__build_scope_days",
    "intermediate.live_scope_watermarks",
)


def parse_time(text: str) -> dt.datetime | None:
    """A generator timestamp ('2026-11-09T20:00:00.000Z'); None for the deliberately broken ones."""
    if not text or not text.endswith("Z"):
        return None
    try:
        return dt.datetime.strptime(text[:-1], TIME_FORMAT)
    except ValueError:
        return None


def format_time(moment: dt.datetime) -> str:
    return moment.strftime(TIME_FORMAT)[:-3] + "Z"


@dataclass
class Drops:
    """The event log as rows per received day, with the stragglers planted and remembered."""

    source: Path  # the generated data set, for its reference tables
    header: list[str]
    rows: list[dict[str, str]]
    planted: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def generate(cls, folder: Path) -> Drops:
        """The generated rows, each in the drop of the day it was received, with its generator label."""
        data = generate_events(CONFIG)
        write_dataset(data, folder, "csv")  # for the reference tables
        table = data.event_table()
        rows = [
            {**row, "_drop": row["received_at"][:10], "_label": label}
            for row, label in zip(table.to_pylist(), data.labels(), strict=True)
        ]
        return cls(folder, table.column_names, rows)

    def clean(self, event_type: str, day: int) -> list[dict[str, str]]:
        """Well-formed rows of one type that happened and were received on the given day."""
        return sorted(
            (
                row
                for row in self.rows
                if row["event_type"] == event_type
                and row["_label"] == "none"
                and row["_drop"] == DAY[day].isoformat()
                and (moment := parse_time(row["event_at"])) is not None
                and moment.date() == DAY[day]
            ),
            key=lambda row: row["event_id"],
        )

    def of_stream(self, stream_id: str) -> list[dict[str, str]]:
        return [row for row in self.rows if row["stream_id"] == stream_id]

    def receive(self, row: dict[str, str], day: int, kind: str) -> None:
        """Deliver an existing row in a later drop instead (a late arrival)."""
        row["received_at"] = format_time(dt.datetime.combine(DAY[day], dt.time(9, 0)))
        row["_drop"] = DAY[day].isoformat()
        self.planted[kind] = row

    def add(self, row: dict[str, str], day: int, kind: str) -> None:
        """A new row delivered in the given day's drop."""
        added = {**row}
        self.rows.append(added)
        self.receive(added, day, kind)

    def write(self, folder: Path, last_day: int) -> Path:
        """The reference tables and the drops up to DAY[last_day], one gzipped CSV per received day."""
        folder.mkdir(parents=True)
        for table in self.source.iterdir():
            if table.is_file() and not table.name.startswith("raw_live_events"):
                shutil.copyfile(table, folder / table.name)
        by_day: dict[str, list[dict[str, str]]] = {}
        for row in self.rows:
            if row["_drop"] <= DAY[last_day].isoformat():
                by_day.setdefault(row["_drop"], []).append(row)
        for day, rows in by_day.items():
            text = io.StringIO(newline="")
            writer = csv.DictWriter(text, fieldnames=self.header, extrasaction="ignore", lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
            part = folder / "raw_live_events" / f"received_date={day}" / "part-0.csv.gz"
            part.parent.mkdir(parents=True, exist_ok=True)
            part.write_bytes(gzip.compress(text.getvalue().encode("utf-8"), mtime=0))
        return folder


def single_join(drops: Drops, leave: dict[str, str]) -> bool:
    """The viewer joined the leave's stream exactly once (so the leave ends that one session)."""
    joins = [
        row
        for row in drops.of_stream(leave["stream_id"])
        if row["event_type"] == "viewer_joined" and row["user_id"] == leave["user_id"]
    ]
    return len(joins) == 1


def plant_stragglers(drops: Drops) -> None:
    """Every kind of straggler the issue names, each in drop 8, 9 or 10 (at most 3 days late)."""
    used_streams: set[str] = set()

    def fresh(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        return [row for row in rows if row["stream_id"] not in used_streams]

    delivered = Counter(row["event_id"] for row in drops.rows)

    def once(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        return [row for row in rows if delivered[row["event_id"]] == 1]

    def take(row: dict[str, str]) -> dict[str, str]:
        used_streams.add(row["stream_id"])
        return row

    # a stream that starts on day 7 and ends on day 8: one of day 7's streams moved to straddle midnight
    ended = [
        row
        for row in fresh(drops.clean("stream_ended", 7))
        if all(
            parse_time(other["event_at"]) and parse_time(other["received_at"])
            for other in drops.of_stream(row["stream_id"])
        )
    ]
    stream = take(ended[0])["stream_id"]
    events = drops.of_stream(stream)
    started, ended_at = (
        parse_time(next(row["event_at"] for row in events if row["event_type"] == kind))
        for kind in ("stream_started", "stream_ended")
    )
    shift = dt.datetime.combine(DAY[8], dt.time(0, 0)) - (started + (ended_at - started) / 2)
    for row in events:
        for column in ("event_at", "received_at"):
            row[column] = format_time(parse_time(row[column]) + shift)
        row["_drop"] = row["received_at"][:10]
    drops.planted["stream_across_midnight"] = next(row for row in events if row["event_type"] == "stream_ended")

    # a stream's end, two days late: the stream ran to its last event until it lands
    drops.receive(take(fresh(drops.clean("stream_ended", 7))[0]), 9, "late_stream_end")
    # a stream_started a day late: its stream's events were quarantined (stream_not_started) until it lands
    drops.receive(take(fresh(drops.clean("stream_started", 7))[0]), 8, "late_stream_started")
    # a leave two days late: the session ran to the end of its stream until it lands
    leaves = [row for row in fresh(drops.clean("viewer_left", 6)) if single_join(drops, row)]
    drops.receive(take(leaves[0]), 8, "late_leave")
    # a join two days late: its leave was an orphan_leave, and the stream's peak may rise
    joins = [row for row in fresh(drops.clean("viewer_joined", 7)) if single_join(drops, row)]
    drops.receive(take(joins[0]), 9, "late_join")
    # a reply three days late (the edge of the window)
    drops.receive(take(fresh(drops.clean("creator_replied", 7))[0]), 10, "late_reply")
    # a refund on day 9 of a gift sent on day 6
    refunded = {row["properties"] for row in drops.rows if row["event_type"] == "gift_refunded"}
    gift = next(
        row
        for row in fresh(drops.clean("gift_sent", 6))
        if '{"gift_txn_id":"' + row["properties"].split('"gift_txn_id":"')[1].split('"')[0] + '"}' not in refunded
    )
    txn = gift["properties"].split('"gift_txn_id":"')[1].split('"')[0]
    drops.add(
        {
            **take(gift),
            "event_id": "e_refund_day9",
            "event_type": "gift_refunded",
            "event_at": format_time(dt.datetime.combine(DAY[9], dt.time(8, 0))),
            "properties": '{"gift_txn_id":"' + txn + '"}',
        },
        9,
        "refund_of_day6_gift",
    )
    # copies of events loaded days before: one within the window, one long after it
    drops.add(once(drops.clean("comment_posted", 3))[0], 9, "duplicate_of_day3_event")
    drops.add(once(drops.clean("like_sent", 7))[0], 8, "duplicate_of_day7_event")
    # another event reusing a day-7 comment_id, one second earlier: it becomes the comment kept
    original = take(fresh(drops.clean("comment_posted", 7))[0])
    drops.add(
        {
            **original,
            "event_id": "e_earlier_comment_copy",
            "event_at": format_time(parse_time(original["event_at"]) - dt.timedelta(seconds=1)),
        },
        10,
        "earlier_business_key",
    )
    drops.planted["replaced_comment"] = original


@dataclass(frozen=True)
class Stage:
    incremental: Path  # the warehouse built incrementally up to this day
    full: Path  # a full refresh of the same drops (the first load: the warehouse itself, a full build)
    output: str  # what the incremental dbt build printed


@pytest.fixture(scope="module")
def drops(tmp_path_factory: pytest.TempPathFactory) -> Drops:
    planted = Drops.generate(tmp_path_factory.mktemp("generated"))
    plant_stragglers(planted)
    return planted


@pytest.fixture(scope="module")
def stages(drops: Drops, tmp_path_factory: pytest.TempPathFactory) -> dict[int, Stage]:
    """Day 7 built in full, then days 8, 9, 10 appended, each with a full refresh beside it."""
    root = tmp_path_factory.mktemp("incremental")
    warehouse = root / "live.duckdb"
    result: dict[int, Stage] = {}
    for day in (FIRST_LOAD, *APPENDED):
        raw = drops.write(root / f"raw_{day}", day)
        output = run_dbt(["build"], warehouse, raw, root / "target", root / "logs")
        snapshot = root / f"incremental_{day}.duckdb"
        shutil.copyfile(warehouse, snapshot)
        full = root / f"full_{day}" / "live.duckdb"  # named as every build: dbt's saved parse fits
        if day == FIRST_LOAD:
            full = snapshot  # the first load is a full build already
        else:
            run_dbt(["run", "--full-refresh"], full, raw, root / "target_full", root / "logs")
        result[day] = Stage(snapshot, full, output)
    return result


def tables(path: Path) -> dict[str, list[tuple]]:
    """Every table of the compared schemas, all rows sorted."""
    with duckdb.connect(str(path), read_only=True) as connection:
        names = connection.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            f"where table_type = 'BASE TABLE' and table_schema in {COMPARED_SCHEMAS} order by 1"
        ).fetchall()
        result = {}
        for (name,) in names:
            if name in UNCOMPARED_TABLES:
                continue
            schema, table = name.split(".")
            columns = connection.execute(
                "select column_name from information_schema.columns "
                f"where table_schema = '{schema}' and table_name = '{table}' order by ordinal_position"
            ).fetchall()
            selected = [column for (column,) in columns if column not in UNCOMPARED_COLUMNS]
            result[name] = connection.execute(f"select {', '.join(selected)} from {name} order by all").fetchall()
    return result


@pytest.mark.parametrize("day", APPENDED)
def test_incremental_build_equals_full_refresh(stages: dict[int, Stage], day: int) -> None:
    incremental, full = tables(stages[day].incremental), tables(stages[day].full)
    assert sorted(incremental) == sorted(full)
    assert len(full) >= 35 and len(full["marts.fct_viewer_sessions"]) > 100
    different = [name for name in full if not same_rows(incremental[name], full[name])]
    assert not different, f"day {day}: incremental differs from the full refresh in {different}"


def test_the_incremental_builds_read_only_the_new_drops(stages: dict[int, Stage], drops: Drops) -> None:
    with duckdb.connect(str(stages[10].incremental), read_only=True) as connection:
        loads = connection.execute(
            "select cast(drop_date as varchar), count(distinct load_id) from staging.base_live__raw_events "
            "group by 1 order by 1"
        ).fetchall()
        builds = connection.execute("select count(distinct load_id) from staging.base_live__raw_events").fetchone()[0]
    assert builds == 4  # the first build and one per appended day
    assert [day for day, load_count in loads] == sorted(
        {row["_drop"] for row in drops.rows if row["_drop"] <= DAY[10].isoformat()}
    )
    assert all(load_count == 1 for _, load_count in loads)


def one(path: Path, sql: str, *parameters: object) -> tuple | None:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql, list(parameters)).fetchone()


def before_and_after(stages: dict[int, Stage], day: int, sql: str, *parameters: object) -> tuple:
    """The query's answer in the incremental warehouse the day before the straggler lands, and on its day."""
    return one(stages[day - 1].incremental, sql, *parameters), one(stages[day].incremental, sql, *parameters)


def test_stream_across_midnight_ends_on_day_8(stages: dict[int, Stage], drops: Drops) -> None:
    end = drops.planted["stream_across_midnight"]
    sql = "select has_end_event, cast(ended_at as date) from marts.fct_live_streams where stream_id = ?"
    before, after = before_and_after(stages, 8, sql, end["stream_id"])
    assert before == (False, DAY[7]) and after == (True, DAY[8])


def test_late_stream_end_sets_the_end_reason(stages: dict[int, Stage], drops: Drops) -> None:
    end = drops.planted["late_stream_end"]
    sql = "select end_reason, ended_at from marts.fct_live_streams where stream_id = ?"
    before, after = before_and_after(stages, 9, sql, end["stream_id"])
    assert before[0] == "no_end_event"
    assert after[0] == end["properties"].split('"end_reason":"')[1].split('"')[0]
    assert after[1] == parse_time(end["event_at"])


def test_late_stream_started_lets_its_events_in(stages: dict[int, Stage], drops: Drops) -> None:
    stream = drops.planted["late_stream_started"]["stream_id"]
    outcomes = "select event_id, reason from intermediate.int_live__event_outcomes where stream_id = ? and outcome = ?"
    with duckdb.connect(str(stages[7].incremental), read_only=True) as connection:
        waiting = dict(connection.execute(outcomes, [stream, "quarantined"]).fetchall())
        assert not connection.execute(outcomes, [stream, "clean"]).fetchall()
    with duckdb.connect(str(stages[8].incremental), read_only=True) as connection:
        clean = dict(connection.execute(outcomes, [stream, "clean"]).fetchall())
    assert len(waiting) > 10 and set(waiting.values()) == {"stream_not_started"}
    assert set(waiting) < set(clean)
    assert one(stages[8].incremental, "select count(*) from marts.fct_live_streams where stream_id = ?", stream) == (1,)


def test_late_leave_ends_its_session(stages: dict[int, Stage], drops: Drops) -> None:
    leave = drops.planted["late_leave"]
    sql = "select left_at, end_kind from marts.fct_viewer_sessions where stream_id = ? and viewer_id = ?"
    before, after = before_and_after(stages, 8, sql, leave["stream_id"], leave["user_id"])
    assert before[0] is None and after[0] == parse_time(leave["event_at"])
    assert before[1] != after[1]


def test_late_join_opens_its_session(stages: dict[int, Stage], drops: Drops) -> None:
    join = drops.planted["late_join"]
    sessions = "select count(*) from marts.fct_viewer_sessions where stream_id = ? and viewer_id = ?"
    orphans = (
        "select count(*) from marts.fct_quarantined_events where reason = 'orphan_leave' "
        "and stream_id = ? and user_id = ?"
    )
    assert before_and_after(stages, 9, sessions, join["stream_id"], join["user_id"]) == ((0,), (1,))
    assert before_and_after(stages, 9, orphans, join["stream_id"], join["user_id"]) == ((1,), (0,))
    peak = "select peak_concurrent_viewers, viewer_sessions from marts.fct_live_streams where stream_id = ?"
    before, after = before_and_after(stages, 9, peak, join["stream_id"])
    assert after[1] >= before[1] + 1 and after[0] >= before[0]


def test_late_reply_answers_its_comment(stages: dict[int, Stage], drops: Drops) -> None:
    reply = drops.planted["late_reply"]
    comment_id = reply["properties"].split('"comment_id":"')[1].split('"')[0]
    sql = "select is_replied, first_replied_at from marts.fct_comments where comment_id = ?"
    before, after = before_and_after(stages, 10, sql, comment_id)
    assert before[0] is False and after == (True, parse_time(reply["event_at"]))


def test_refund_of_a_day_6_gift_counts_on_day_9(stages: dict[int, Stage], drops: Drops) -> None:
    refund = drops.planted["refund_of_day6_gift"]
    txn = refund["properties"].split('"gift_txn_id":"')[1].split('"')[0]
    sent = (
        "select is_refunded, cast(refunded_at as date), event_date from marts.fct_gifts "
        "where gift_txn_id = ? and gift_event_type = 'sent'"
    )
    assert before_and_after(stages, 9, sent, txn) == ((False, None, DAY[6]), (True, DAY[9], DAY[6]))
    refunded = (
        "select event_date, refunded_usd > 0 from marts.fct_gifts "
        "where gift_txn_id = ? and gift_event_type = 'refunded'"
    )
    assert before_and_after(stages, 9, refunded, txn) == (None, (DAY[9], True))


@pytest.mark.parametrize(("kind", "day"), [("duplicate_of_day3_event", 9), ("duplicate_of_day7_event", 8)])
def test_copies_of_loaded_events_are_duplicates(stages: dict[int, Stage], drops: Drops, kind: str, day: int) -> None:
    copy = drops.planted[kind]
    sql = (
        "select count(*) filter (where outcome = 'clean'), count(*) filter (where reason = 'duplicate_delivery') "
        "from intermediate.int_live__event_outcomes where event_id = ?"
    )
    assert before_and_after(stages, day, sql, copy["event_id"]) == ((1, 0), (1, 1))


def test_an_earlier_event_with_the_same_comment_id_is_kept(stages: dict[int, Stage], drops: Drops) -> None:
    original = drops.planted["replaced_comment"]
    comment_id = original["properties"].split('"comment_id":"')[1].split('"')[0]
    sql = "select comment_event_id from marts.fct_comments where comment_id = ?"
    assert before_and_after(stages, 10, sql, comment_id) == ((original["event_id"],), ("e_earlier_comment_copy",))
    reason = "select reason from intermediate.int_live__event_outcomes where event_id = ?"
    assert one(stages[10].incremental, reason, original["event_id"]) == ("duplicate_business_key",)


def test_no_event_is_held_within_the_window(stages: dict[int, Stage]) -> None:
    for day in APPENDED:
        sql = "select count(*) from marts.fct_quarantined_events where reason = 'late_beyond_window'"
        assert one(stages[day].incremental, sql) == (0,)
        assert "late_beyond_window" not in stages[day].output


def test_an_event_beyond_the_window_is_held_then_counted_by_a_full_refresh(
    stages: dict[int, Stage], drops: Drops, tmp_path: Path
) -> None:
    """A new comment of day 2 arriving in drop 11 (9 days late): held, counted in the audit, then repaired."""
    template = drops.clean("comment_posted", 2)[1]
    late = {
        **template,
        "event_id": "e_beyond_window",
        "event_at": format_time(parse_time(template["event_at"]) + dt.timedelta(seconds=1)),
        "properties": '{"comment_id":"c_beyond_window","text":"late"}',
    }
    beyond = Drops(drops.source, drops.header, list(drops.rows))
    beyond.add(late, 11, "beyond_window")
    raw = beyond.write(tmp_path / "raw_11", 11)
    warehouse = tmp_path / "live.duckdb"
    shutil.copyfile(stages[10].incremental, warehouse)

    completed = dbt_process(["build"], warehouse, raw, tmp_path / "target", tmp_path / "logs")
    assert completed.returncode == 0, completed.stdout[-3000:]  # the audit balances: its test passed
    warning = [line for line in completed.stdout.splitlines() if "late_beyond_window" in line]
    assert warning and "1 event(s) from " + DAY[2].isoformat() in warning[0]
    assert "dbt build --full-refresh" in warning[0]
    held = (
        "select reason from marts.fct_quarantined_events where event_id = ?",
        "select count(*) from marts.fct_comments where comment_event_id = ?",
    )
    assert one(warehouse, held[0], late["event_id"]) == ("late_beyond_window",)
    assert one(warehouse, held[1], late["event_id"]) == (0,)
    audit = (
        "select sum(row_count) from marts.fct_ingestion_audit where reason = 'late_beyond_window' "
        "and event_date = ? and event_type = 'comment_posted'"
    )
    assert one(warehouse, audit, DAY[2]) == (1,)

    run_dbt(["build", "--full-refresh"], warehouse, raw, tmp_path / "target", tmp_path / "logs")
    assert one(warehouse, held[1], late["event_id"]) == (1,)
    assert one(warehouse, held[0], late["event_id"]) is None
