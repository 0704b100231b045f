"""Tests of the raw event generator (`live-metrics generate`) and the committed demo set."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
import re
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from live_metrics import cli
from live_metrics.generator.gen_model import EVENT_TYPES, PROBLEMS, UNKNOWN_EVENT_TYPES
from live_metrics.generator.gen_output import EVENT_COLUMN_NAMES
from live_metrics.generator.gen_problems import expected_rows, problem_floor
from live_metrics.generator.generate import GeneratedData, GeneratorConfig, generate_events, write_dataset

REPO = Path(__file__).resolve().parents[2]
DEMO_DIR = REPO / "seeds" / "demo"
REASON_CODES = REPO / "seeds" / "dq_reason_codes.csv"
SMALL = GeneratorConfig(days=3, creators=12, viewers=400, seed=11)
ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
KIND = {p.name: p.kind for p in PROBLEMS}
CLEAN_LABELS = tuple(name for name, kind in KIND.items() if kind == "valid")
# The rates documented in seeds/demo/README.md (rate, base), written out independently of the code.
DOCUMENTED_RATES: dict[str, tuple[float, str]] = {
    "duplicate_delivery": (0.015, "rows"),
    "late_arrival": (0.03, "events"),
    "clock_ahead_tolerated": (0.002, "events"),
    "unparseable_event_at": (0.0005, "events"),
    "unknown_event_type": (0.0005, "events"),
    "missing_user_id": (0.0005, "events"),
    "missing_stream_id": (0.0005, "events"),
    "properties_not_object": (0.0005, "events"),
    "missing_required_property": (0.0005, "events"),
    "non_positive_quantity": (0.003, "gift_sent+like_sent"),
    "unknown_gift_id": (0.01, "gift_sent"),
    "unknown_campaign_id": (0.005, "ad_impression"),
    "future_event_at": (0.0005, "events"),
    "orphan_leave": (0.003, "viewer_left"),
    "unknown_refund_txn": (0.10, "gift_refunded"),
    "repeated_refund": (0.10, "gift_refunded"),
}


@pytest.fixture(scope="module")
def demo() -> GeneratedData:
    """The default configuration: exactly what seeds/demo holds."""
    return generate_events(GeneratorConfig())


@pytest.fixture(scope="module")
def con(demo: GeneratedData) -> duckdb.DuckDBPyConnection:
    """DuckDB with the demo as table `raw` (plus label and row number) and `clean` (valid rows, parsed)."""
    table = demo.event_table()
    table = table.append_column("label", pa.array(demo.labels())).append_column(
        "rn", pa.array(np.arange(table.num_rows))
    )
    db = duckdb.connect()
    db.register("raw_arrow", table)
    db.execute("create table raw as select * from raw_arrow")
    for name, ref in demo.reference.items():
        db.register(f"{name}_arrow", ref)
        db.execute(f"create table {name} as select * from {name}_arrow")
    labels = ", ".join(f"'{label}'" for label in CLEAN_LABELS)
    db.execute(f"""
        create table clean as
        select *, strptime(event_at, '%Y-%m-%dT%H:%M:%S.%gZ') as ts, properties::json as p
        from raw where label in ({labels})""")
    db.execute("""create table stream_creator as
                  select stream_id, any_value(user_id) as creator from clean
                  where event_type = 'stream_started' group by 1""")
    return db


def scalar(db: duckdb.DuckDBPyConnection, sql: str) -> float:
    return db.execute(sql).fetchone()[0]


# --- contract shape ---------------------------------------------------------------------------


def test_columns_ids_and_received_at_order(demo: GeneratedData) -> None:
    table = demo.event_table()
    assert table.column_names == list(EVENT_COLUMN_NAMES)
    assert all(t == pa.string() for t in table.schema.types)
    rows = table.to_pydict()
    received = rows["received_at"]
    assert all(ISO_MS.match(r) for r in received)
    assert received == sorted(received), "rows must be written in received_at order"
    assert all(re.fullmatch(r"e_[0-9a-f]{12}", e) for e in rows["event_id"])
    labels = demo.labels()
    for event_at, label in zip(rows["event_at"], labels, strict=True):
        if label != "unparseable_event_at":
            assert ISO_MS.match(event_at), event_at
    for user, stream, etype, label in zip(rows["user_id"], rows["stream_id"], rows["event_type"], labels, strict=True):
        assert (user is None) == (label == "missing_user_id")
        assert user is None or re.fullmatch(r"u_\d{6}|mod_\d{2}|system", user)
        expect_empty = etype == "notification_opt_out" or label == "missing_stream_id"
        assert (stream is None) == expect_empty
        assert stream is None or re.fullmatch(r"s_\d{5}", stream)
    assert set(rows["platform"]) == {"ios", "android", "web"}


def test_every_event_type_present(con: duckdb.DuckDBPyConnection) -> None:
    counts = dict(con.execute("select event_type, count(*) from clean group by 1").fetchall())
    assert set(counts) == set(EVENT_TYPES)
    assert min(counts.values()) >= 10
    unknown = {name for name, _ in UNKNOWN_EVENT_TYPES}
    seen_unknown = {
        r[0] for r in con.execute("select distinct event_type from raw where label = 'unknown_event_type'").fetchall()
    }
    assert seen_unknown == unknown


def test_reference_tables(demo: GeneratedData, con: duckdb.DuckDBPyConnection) -> None:
    config = GeneratorConfig()
    assert demo.reference["users"].num_rows == config.creators + config.viewers == 520
    missing_birth = scalar(con, "select avg((birth_year is null)::int) from users")
    assert 0.01 <= missing_birth <= 0.06
    teen_viewers = scalar(
        con,
        """select avg((2026 - birth_year::int between 13 and 17)::int) from users
                                  where user_id > 'u_000040' and birth_year is not null""",
    )
    assert 0.015 <= teen_viewers <= 0.05
    costs = sorted(int(r[0]) for r in con.execute("select coin_cost from gift_catalog").fetchall())
    assert costs[0] == 1 and costs[-1] >= 10_000 and len(costs) == 10
    prices = con.execute("select valid_from, usd_per_coin::double from coin_prices order by 1").fetchall()
    assert prices[0][0] < "2026-09-28" < prices[-1][0] < "2026-12-01"
    assert all(0.0105 <= p <= 0.013 for _, p in prices)
    cpm = [float(r[0]) for r in con.execute("select cpm_usd from ad_campaigns").fetchall()]
    assert len(cpm) == 8 and min(cpm) >= 2 and max(cpm) <= 15


# --- determinism ------------------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_files_and_other_seed_differs(tmp_path: Path) -> None:
    first, second = generate_events(SMALL), generate_events(SMALL)
    other = generate_events(
        GeneratorConfig(days=SMALL.days, creators=SMALL.creators, viewers=SMALL.viewers, seed=SMALL.seed + 1)
    )
    for fmt in ("csv", "parquet"):
        sizes_a = write_dataset(first, tmp_path / f"a_{fmt}", fmt)
        sizes_b = write_dataset(second, tmp_path / f"b_{fmt}", fmt)
        assert sizes_a == sizes_b
        for name in sizes_a:
            assert (tmp_path / f"a_{fmt}" / name).read_bytes() == (tmp_path / f"b_{fmt}" / name).read_bytes(), name
    gz_header = (tmp_path / "a_csv" / "raw_live_events.csv.gz").read_bytes()[:10]
    assert gz_header[:3] == b"\x1f\x8b\x08" and gz_header[4:8] == b"\0\0\0\0"  # no timestamp in the gzip header
    write_dataset(other, tmp_path / "c_csv", "csv")
    a = gzip.decompress((tmp_path / "a_csv" / "raw_live_events.csv.gz").read_bytes())
    c = gzip.decompress((tmp_path / "c_csv" / "raw_live_events.csv.gz").read_bytes())
    assert a != c
    assert not first.event_table().equals(other.event_table())


# --- injected problems ---------------------------------------------------------------------------------


def test_every_problem_present_at_its_documented_rate(demo: GeneratedData) -> None:
    by_label = demo.rows_by_problem()
    for problem in PROBLEMS[1:]:
        # injected problems have a floor of 12 rows; a reply after the stream ended is the simulation's own
        # (a share of the late replies, see seeds/demo/README.md), a handful in the demo
        assert by_label[problem.name] >= (3 if problem.name == "reply_after_stream_end" else 10), problem.name
    n_events = next(r.base_rows for r in demo.problem_rates if r.base == "events")
    floor = problem_floor(n_events)
    assert floor == 12
    assert {r.name for r in demo.problem_rates} == set(DOCUMENTED_RATES)
    for r in demo.problem_rates:
        rate, base = DOCUMENTED_RATES[r.name]
        assert (r.rate, r.base) == (rate, base), r.name
        assert by_label[r.name] == r.rows, r.name
        if r.name == "duplicate_delivery":
            continue  # sized on unlabeled rows, plus third copies: checked below
        assert r.rows == expected_rows(rate, r.base_rows, floor), r.name
        if rate * r.base_rows >= 2 * floor:  # rate-driven rather than floor-driven
            assert abs(r.rows / r.base_rows - rate) <= 0.05 * rate, (r.name, r.rows / r.base_rows, rate)
    dup = next(r for r in demo.problem_rates if r.name == "duplicate_delivery")
    assert 0.014 <= dup.rows / dup.base_rows <= 0.018


def test_problem_names_are_the_warehouse_reason_codes() -> None:
    """One vocabulary: a problem the warehouse must quarantine or drop as a duplicate is named by its
    reason code in seeds/dq_reason_codes.csv, whose outcome matches the problem's kind."""
    with REASON_CODES.open(newline="", encoding="utf-8") as f:
        outcome_of = {row["reason_code"]: row["outcome"] for row in csv.DictReader(f)}
    outcome_of_kind = {"quarantine": "quarantined", "duplicate": "duplicate"}
    kinds = {p.kind for p in PROBLEMS}
    assert set(outcome_of_kind) <= kinds <= {*outcome_of_kind, "valid"}
    wrong = [
        (p.name, p.kind, outcome_of.get(p.name))
        for p in PROBLEMS
        if p.kind in outcome_of_kind and outcome_of.get(p.name) != outcome_of_kind[p.kind]
    ]
    assert wrong == [], "generator problems that are not a reason code with the same outcome"
    # Valid problems are legitimate rows: no reason code says otherwise ('none' is the clean code).
    assert all(outcome_of.get(p.name, "clean") == "clean" for p in PROBLEMS if p.kind == "valid")


def test_stream_and_session_level_rates(demo: GeneratedData, con: duckdb.DuckDBPyConnection) -> None:
    stats = demo.entity_stats
    streams = stats["streams"]
    assert 0.02 <= stats["streams_no_end_event"] / streams <= 0.07
    assert 0.01 <= stats["streams_crashed"] / streams <= 0.06
    assert 0 < stats["streams_banned"] / streams <= 0.03
    assert 3 <= stats["streams_never_started"] <= 0.02 * streams
    assert stats["streams_marathon_6h_plus"] >= 3
    assert 0.08 <= stats["sessions_with_reconnect"] / stats["sessions"] <= 0.12
    assert 0.035 <= stats["sessions_without_leave"] / stats["sessions"] <= 0.065
    assert stats["sessions_join_before_start"] >= 10
    notif = dict(
        con.execute("""select event_type, count(*) from clean where event_type like 'notification%'
                                group by 1""").fetchall()
    )
    assert 0.005 <= notif["notification_opt_out"] / notif["notification_sent"] <= 0.02
    refund_share = scalar(
        con,
        """select count(*) filter (where event_type = 'gift_refunded')
                                  / count(*) filter (where event_type = 'gift_sent') from clean""",
    )
    assert 0.007 <= refund_share <= 0.03
    ctr = scalar(
        con,
        """select count(distinct p->>'impression_id') filter (where event_type = 'ad_clicked')
                         / count(*) filter (where event_type = 'ad_impression') from clean""",
    )
    assert 0.01 <= ctr <= 0.03
    reply_share = scalar(
        con,
        """select count(*) filter (where event_type = 'creator_replied')
                                 / count(*) filter (where event_type = 'comment_posted') from clean""",
    )
    assert 0.2 <= reply_share <= 0.4
    # no creator runs two streams at once
    overlaps = scalar(
        con,
        """
        with s as (select stream_id, any_value(user_id) c, min(ts) filter (where event_type='stream_started') a,
                          max(ts) filter (where event_type='stream_ended') b
                   from clean where event_type in ('stream_started', 'stream_ended') group by 1)
        select count(*) from s x join s y on x.c = y.c and x.stream_id < y.stream_id
        where x.a < y.b and y.a < x.b""",
    )
    assert overlaps == 0


def test_labels_match_an_independent_reading_of_the_rules(con: duckdb.DuckDBPyConnection) -> None:
    """Apply docs/contract/events.md's rules in SQL: each row's verdict must equal its injected label."""
    con.execute("""
        create or replace temp table firsts as
        select *, try_strptime(event_at, '%Y-%m-%dT%H:%M:%S.%gZ') as t,
               strptime(received_at, '%Y-%m-%dT%H:%M:%S.%gZ') as rt,
               coalesce(case when json_valid(properties) then json_type(properties) = 'OBJECT' end, false) as obj
        from (select *, row_number() over (partition by event_id order by received_at, rn) as k from raw)
        where k = 1""")
    con.execute("create or replace temp table objs as select rn, properties::json as j from firsts where obj")
    known = ", ".join(f"'{t}'" for t in EVENT_TYPES)
    con.execute(f"""
        create or replace temp table verdict as
        select f.rn, f.label, f.event_type, f.stream_id, f.user_id, f.t, o.j, case
          when f.t is null then 'unparseable_event_at'
          when f.event_type not in ({known}) then 'unknown_event_type'
          when f.user_id is null then 'missing_user_id'
          when f.stream_id is null and f.event_type <> 'notification_opt_out' then 'missing_stream_id'
          when not f.obj then 'properties_not_object'
          when (f.event_type = 'gift_sent' and (o.j->>'gift_id' is null or o.j->>'quantity' is null))
            or (f.event_type = 'like_sent' and o.j->>'count' is null)
            or (f.event_type = 'comment_posted' and o.j->>'comment_id' is null)
            or (f.event_type = 'ad_impression' and o.j->>'campaign_id' is null)
            or (f.event_type = 'ad_clicked' and o.j->>'impression_id' is null)
            or (f.event_type = 'gift_refunded' and o.j->>'gift_txn_id' is null)
            or (f.event_type = 'notification_opened' and o.j->>'notification_id' is null)
            or (f.event_type = 'creator_followed' and o.j->>'creator_id' is null) then 'missing_required_property'
          when (f.event_type = 'gift_sent' and (o.j->>'quantity')::int <= 0)
            or (f.event_type = 'like_sent' and (o.j->>'count')::int <= 0) then 'non_positive_quantity'
          when f.event_type = 'gift_sent' and o.j->>'gift_id' not in (select gift_id from gift_catalog)
            then 'unknown_gift_id'
          when f.event_type = 'ad_impression' and o.j->>'campaign_id' not in (select campaign_id from ad_campaigns)
            then 'unknown_campaign_id'
          when f.t > f.rt + interval 5 minute then 'future_event_at'
        end as reason
        from firsts f left join objs o using (rn)""")
    con.execute("""update verdict set reason = 'stream_not_started' where reason is null and stream_id not in
                   (select stream_id from verdict where reason is null and event_type = 'stream_started')""")
    con.execute("""
        update verdict set reason = 'orphan_leave' where rn in (
          select rn from (
            select rn, event_type, lag(event_type) over (partition by stream_id, user_id
                     order by t, case event_type when 'viewer_left' then 0 else 1 end, rn) as prev
            from verdict where reason is null and event_type in ('viewer_joined', 'viewer_left'))
          where event_type = 'viewer_left' and coalesce(prev, 'viewer_left') = 'viewer_left')""")
    con.execute("""
        update verdict set reason = case when txn not in (select j->>'gift_txn_id' from verdict
                                                          where reason is null and event_type = 'gift_sent')
                                         then 'unknown_refund_txn' when k > 1 then 'repeated_refund' end
        from (select rn as r, j->>'gift_txn_id' as txn,
                     row_number() over (partition by j->>'gift_txn_id' order by t, rn) as k
              from verdict where reason is null and event_type = 'gift_refunded') x
        where verdict.rn = x.r""")
    rows = con.execute("""
        select label, coalesce(reason, 'clean') as got, count(*) from verdict group by all
        union all
        select label, 'duplicate_delivery', count(*) from
          (select label, row_number() over (partition by event_id order by received_at, rn) as k from raw)
        where k > 1 group by all""").fetchall()
    expected_verdict = {name: (name if kind != "valid" else "clean") for name, kind in KIND.items()}
    wrong = [(label, got, n) for label, got, n in rows if got != expected_verdict[label]]
    assert wrong == []
    quarantined = sum(n for label, got, n in rows if got not in ("clean", "duplicate_delivery"))
    assert quarantined == sum(n for label, _, n in rows if KIND[label] == "quarantine") > 1_000


def test_duplicates_share_event_id_and_all_columns_but_received_at(con: duckdb.DuckDBPyConnection) -> None:
    groups = con.execute("""
        select count(*) as copies,
               count(distinct (event_type, coalesce(event_at, '?'), coalesce(user_id, '?'),
                               coalesce(stream_id, '?'), properties, platform, app_version, country)),
               count(distinct received_at),
               min(case when label <> 'duplicate_delivery' then received_at end)
                 = min(received_at) as original_first
        from raw group by event_id having count(*) > 1""").fetchall()
    assert len(groups) > 2_000
    assert all(distinct == 1 for _, distinct, _, _ in groups)
    assert all(received == copies for copies, _, received, _ in groups)
    assert all(first for *_, first in groups)
    copies = [c for c, *_ in groups]
    assert max(copies) == 3 and 0.05 <= copies.count(3) / len(copies) <= 0.15
    late = scalar(
        con,
        """select avg(epoch(strptime(received_at, '%Y-%m-%dT%H:%M:%S.%gZ') - ts) / 3600)
                          from clean where label = 'late_arrival'""",
    )
    assert 10 <= late <= 40  # uniform 1-48 h


# --- CSV round trip ------------------------------------------------------------------------------------------


def test_csv_round_trips_through_duckdb_read_csv(tmp_path: Path) -> None:
    data = generate_events(SMALL)
    write_dataset(data, tmp_path / "csv", "csv")
    write_dataset(data, tmp_path / "pq", "parquet")
    expected = data.event_table()
    db = duckdb.connect()
    got = db.sql(f"""select * from read_csv('{tmp_path / "csv" / "raw_live_events.csv.gz"}',
                     all_varchar=true, header=true)""").to_arrow_table()
    assert got.column_names == list(EVENT_COLUMN_NAMES)
    assert got.num_rows == expected.num_rows
    assert got.to_pydict() == expected.to_pydict()
    from_parquet = pq.read_table(tmp_path / "pq" / "raw_live_events.parquet")
    assert from_parquet.to_pydict() == expected.to_pydict()
    props = expected.column("properties").to_pylist()
    assert any("," in p and '\\"' in p for p in props)  # commas and (escaped) quotes
    assert any("\n" in p for p in props)  # raw newlines (pretty-printed JSON)
    assert any(re.search("[\U0001f300-\U0001faff]", p) for p in props)  # emoji
    for name, table in data.reference.items():
        back = db.sql(
            f"select * from read_csv('{tmp_path / 'csv' / (name + '.csv')}', all_varchar=true, header=true)"
        ).to_arrow_table()
        assert back.to_pydict() == table.to_pydict(), name


def test_committed_demo_is_what_the_documented_command_produces(demo: GeneratedData, tmp_path: Path) -> None:
    sizes = write_dataset(demo, tmp_path, "csv")
    for name in sizes:
        committed = DEMO_DIR / name
        assert committed.exists(), f"{committed} missing: regenerate with the command in seeds/demo/README.md"
        if name.endswith(".gz"):
            assert gzip.decompress(committed.read_bytes()) == gzip.decompress((tmp_path / name).read_bytes())
        else:
            assert committed.read_bytes() == (tmp_path / name).read_bytes(), name
    total = sum((DEMO_DIR / name).stat().st_size for name in sizes)
    assert 2_000_000 <= total <= 20_000_000
    readme = (DEMO_DIR / "README.md").read_text()
    assert (
        "live-metrics generate --out seeds/demo --days 64 --creators 40 --viewers 480 --seed 7 --start 2026-09-28 "
        "--crash-spike 2026-11-29 --alert-outage 2026-11-29 --format csv"
    ) in readme


# --- shapes ---------------------------------------------------------------------------------------------------


def test_a_few_creators_draw_most_sessions(con: duckdb.DuckDBPyConnection) -> None:
    share = scalar(
        con,
        """
        with per_creator as (
          select s.creator, count(*) as n from clean c join stream_creator s using (stream_id)
          where c.event_type = 'viewer_joined' and c.label <> 'reconnect' group by 1),
        ranked as (select n, row_number() over (order by n desc) as r, count(*) over () as k from per_creator)
        select sum(n) filter (where r <= ceil(k * 0.1)) / sum(n) from ranked""",
    )
    assert share > 0.5


def test_whales_bring_most_gift_coins_and_gifters_are_a_single_digit_share(con: duckdb.DuckDBPyConnection) -> None:
    share = scalar(
        con,
        """
        with per_gifter as (
          select c.user_id, sum(g.coin_cost::int * (c.p->>'quantity')::int) as coins
          from clean c join gift_catalog g on g.gift_id = c.p->>'gift_id'
          where c.event_type = 'gift_sent' group by 1),
        ranked as (select coins, row_number() over (order by coins desc) as r, count(*) over () as k
                   from per_gifter)
        select sum(coins) filter (where r <= ceil(k * 0.1)) / sum(coins) from ranked""",
    )
    assert share > 0.5
    gifters = scalar(
        con,
        """
        select count(distinct user_id) filter (where event_type = 'gift_sent')
             / count(distinct user_id) filter (where event_type = 'viewer_joined') from clean""",
    )
    assert 0.01 <= gifters <= 0.09


def test_notification_open_rate_and_underage_blocks(con: duckdb.DuckDBPyConnection) -> None:
    open_rate = scalar(
        con,
        """select count(*) filter (where event_type = 'notification_opened')
                               / count(*) filter (where event_type = 'notification_sent') from clean""",
    )
    assert 0.01 <= open_rate <= 0.10
    via_notification = scalar(
        con,
        """select count(*) from clean where event_type = 'viewer_joined'
                                      and p->>'source' = 'notification' and p->>'notification_id' is not null""",
    )
    assert via_notification > 0.5 * scalar(con, "select count(*) from clean where event_type='notification_opened'")
    blocks = dict(
        con.execute("""select p->>'reason', count(*) from clean where event_type = 'gift_blocked'
                                 group by 1""").fetchall()
    )
    assert set(blocks) == {"underage", "spending_limit", "payment_failed"}
    wrong_age = scalar(
        con,
        """select count(*) from clean c join users u using (user_id)
                               where c.event_type = 'gift_blocked' and c.p->>'reason' = 'underage'
                               and (u.birth_year is null or 2026 - u.birth_year::int >= 18)""",
    )
    assert wrong_age == 0
    median_session_min = scalar(
        con,
        """
        with x as (select event_type, ts, lead(event_type) over w as next_type, lead(ts) over w as next_ts
                   from clean where event_type in ('viewer_joined', 'viewer_left') and label <> 'reconnect'
                   window w as (partition by stream_id, user_id order by ts))
        select median(epoch(next_ts - ts)) / 60 from x
        where event_type = 'viewer_joined' and next_type = 'viewer_left'""",
    )
    assert 2 <= median_session_min <= 8


# --- CLI ---------------------------------------------------------------------------------------------------------


def test_cli_writes_files_and_prints_json_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "gen"
    code = cli.main(
        [
            "generate",
            "--out",
            str(out),
            "--days",
            "2",
            "--creators",
            "6",
            "--viewers",
            "120",
            "--seed",
            "3",
            "--format",
            "parquet",
            "--json",
        ]
    )
    assert code == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert summary["raw_rows"] == pq.read_metadata(out / "raw_live_events.parquet").num_rows > 0
    assert set(summary["files"]) == {
        "raw_live_events.parquet",
        "users.parquet",
        "gift_catalog.parquet",
        "coin_prices.parquet",
        "ad_campaigns.parquet",
    }
    assert "simulating" in captured.err  # progress goes to stderr with --json
    code = cli.main(["generate", "--out", str(tmp_path / "txt"), "--days", "1", "--creators", "3", "--viewers", "50"])
    text = capsys.readouterr().out
    assert code == 0 and "event_type" in text and "injected problem" in text and "raw_live_events.csv.gz" in text


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--days", "0"], "--days must be between 1"),
        (["--creators", "0"], "--creators must be at least 1"),
        (["--viewers", "90000000", "--days", "365"], "the limit is"),
        (["--hostile", "--format", "parquet"], "--hostile writes damaged CSV lines: use it with --format csv"),
    ],
)
def test_cli_user_errors_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code = cli.main(["generate", "--out", str(tmp_path / "x"), *argv])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_cli_rejects_bad_date_and_file_as_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["generate", "--out", str(tmp_path), "--start", "2026-02-30"])
    assert exc.value.code == 2
    assert "not a date" in capsys.readouterr().err
    a_file = tmp_path / "f"
    a_file.write_text("x")
    assert cli.main(["generate", "--out", str(a_file), "--days", "1"]) == 2
    assert "is not a directory" in capsys.readouterr().err


def test_cli_hostile_appends_its_records_to_the_csv_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from live_metrics.generator.gen_hostile import context_from_reference, hostile_records

    out = tmp_path / "h"
    code = cli.main(
        [
            "generate",
            "--out",
            str(out),
            "--days",
            "1",
            "--creators",
            "3",
            "--viewers",
            "60",
            "--seed",
            "5",
            "--hostile",
            "--json",
        ]
    )
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    raw = gzip.decompress((out / "raw_live_events.csv.gz").read_bytes())
    users = [line.split(",")[0].strip('"') for line in (out / "users.csv").read_text().splitlines()[1:]]
    gifts = [line.split(",")[0].strip('"') for line in (out / "gift_catalog.csv").read_text().splitlines()[1:]]
    campaigns = [line.split(",")[0].strip('"') for line in (out / "ad_campaigns.csv").read_text().splitlines()[1:]]
    records = hostile_records(context_from_reference(users, gifts, campaigns, GeneratorConfig().start))
    assert summary["hostile_records"] == len(records) > 40
    assert raw.endswith(b"".join(r.data for r in records))
    assert b"\xff\xfe" in raw  # the invalid UTF-8 record is written as bytes, not re-encoded


# --- the planted incidents ------------------------------------------------------------------------------


def test_the_demo_plants_a_crash_spike_and_an_alert_outage_on_its_last_sunday(con: duckdb.DuckDBPyConnection) -> None:
    """2026-11-29: most streams started that UTC day crash, and the alerts of its first 16 hours are never
    opened; the days before are ordinary (checked from the clean rows, not from the generator's arrays)."""
    crash = dict(
        con.execute("""
            with started as (select stream_id, ts::date as day from clean where event_type = 'stream_started'),
            ended as (select stream_id, p->>'end_reason' as reason from clean where event_type = 'stream_ended')
            select day, avg((reason = 'crashed')::int) from started join ended using (stream_id)
            where day between date '2026-11-16' and date '2026-11-29' group by 1""").fetchall()
    )
    spike = crash.pop(dt.date(2026, 11, 29))
    assert spike > 0.5 and max(crash.values()) < 0.15, (spike, crash)
    opens = dict(
        con.execute("""
            with sent as (select p->>'notification_id' as id, ts from clean where event_type = 'notification_sent'),
            opened as (select distinct p->>'notification_id' as id from clean where event_type = 'notification_opened')
            select hour(ts) < 16, count(opened.id)::double / count(*) from sent left join opened using (id)
            where ts::date = date '2026-11-29' group by 1""").fetchall()
    )
    assert opens[True] == 0.0 and opens[False] > 0.01, opens
