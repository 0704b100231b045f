"""Hostile input (issue 7): no single record stops the warehouse, and no bad value reaches a metric.

One small generated log with every hostile record of ``live_metrics.generator.gen_hostile`` appended is
built once (dbt build, then ``live-metrics materialize``). Each test checks one class:

- the audit balances against the file itself, counted by an independent reader (Python's csv
  module: records, not physical lines), and the generated rows before the hostile ones keep the
  outcome their generator label implies, row for row;
- each hostile record gets its outcome and reason code; damaged CSV records keep their raw text;
- no NaN, infinity or overflow reaches a mart or a metric table;
- timestamps with offsets are the same instant; chat text survives byte for byte; viewers
  missing from ``users`` are viewers with an unknown profile.

Whole-file cases get their own small folders: an empty log builds empty marts and the program
says "no data yet"; unusable files (empty, no header, a missing column, two copies, no file) stop
with one line naming the file; stray copies are not read; Parquet parts in a folder are.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import shutil
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv  # noqa: F401  (pa.csv)
import pyarrow.parquet as pq
import pytest

from conftest import Warehouse, dbt_process, run_cli, run_dbt
from live_metrics.generator.gen_hostile import CHAT_TEXTS, UNKNOWN_RECIPIENT, UNKNOWN_VIEWER, HostileRecord
from live_metrics.generator.gen_model import PROBLEMS, GeneratorConfig
from live_metrics.generator.gen_output import EVENT_COLUMN_NAMES, REFERENCE_TABLES
from live_metrics.generator.generate import GeneratedData, append_hostile, generate_events, write_dataset

CONFIG = GeneratorConfig(days=3, creators=6, viewers=200, seed=3)
REFERENCE_FILES = tuple(f"{table}.csv" for table in REFERENCE_TABLES)
EVENT_COLUMNS = EVENT_COLUMN_NAMES
OUTCOME_OF_KIND = {"valid": "clean", "duplicate": "duplicate", "quarantine": "quarantined"}


def count_records(path: Path) -> int:
    """Records of a CSV file after its header, read independently of DuckDB: Python's csv module
    (a quoted field may span lines; blank lines are not records; bytes that are not UTF-8 count)."""
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    text = raw.decode("utf-8", errors="surrogateescape")
    csv.field_size_limit(sys.maxsize)
    records = [row for row in csv.reader(io.StringIO(text, newline="")) if row]
    return len(records) - 1


@dataclass(frozen=True)
class HostileBuild:
    warehouse: Warehouse
    data: GeneratedData
    records: list[HostileRecord]
    log: Path

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.warehouse.duckdb_path), read_only=True) as connection:
            return connection.execute(sql).fetchall()


def build(raw: Path, root: Path, args: list[str] | None = None) -> Warehouse:
    duckdb_path = root / "live.duckdb"
    target = root / "target"
    run_dbt(args or ["build"], duckdb_path, raw, target, root / "logs")
    return Warehouse(duckdb_path=duckdb_path, target_path=target, raw_data_path=raw, build_seconds=0.0)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> HostileBuild:
    root = tmp_path_factory.mktemp("hostile")
    raw = root / "raw"
    data = generate_events(CONFIG)
    write_dataset(data, raw, "csv")
    records = append_hostile(data, raw)
    warehouse = build(raw, root)
    completed = run_cli(warehouse, "materialize")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return HostileBuild(warehouse, data, records, raw / "raw_live_events.csv.gz")


@pytest.fixture(scope="module")
def reference_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the four reference tables of the small generated set and no event log."""
    folder = tmp_path_factory.mktemp("reference")
    write_dataset(generate_events(CONFIG), folder, "csv")
    (folder / "raw_live_events.csv.gz").unlink()
    return folder


def with_event_log(reference: Path, folder: Path, files: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in REFERENCE_FILES:
        shutil.copy(reference / name, folder / name)
    for name, content in files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return folder


# --- one build on a log with every hostile record -------------------------------------------------


def test_audit_balances_against_the_file_read_independently(hostile: HostileBuild) -> None:
    in_file = count_records(hostile.log)
    assert in_file == len(hostile.data.events) + len(hostile.records)
    (audited,) = hostile.query("select sum(row_count) from marts.fct_ingestion_audit")[0]
    (landed,) = hostile.query("select count(*) from staging.base_live__raw_events")[0]
    assert audited == landed == in_file


def test_generated_rows_keep_their_outcome_row_for_row(hostile: HostileBuild) -> None:
    """The damaged records do not disturb the rest of the file: the generated rows (loaded first, in
    file order) end as their generator labels say, one by one."""
    kinds = {p.name: p.kind for p in PROBLEMS}
    expected = [OUTCOME_OF_KIND[kinds[label]] for label in hostile.data.labels()]
    rows = hostile.query(
        f"select outcome from intermediate.int_live__event_outcomes "
        f"where raw_row_number <= {len(expected)} order by raw_row_number"
    )
    assert [outcome for (outcome,) in rows] == expected


def test_every_hostile_record_gets_its_outcome_and_reason(hostile: HostileBuild) -> None:
    with_id = [r for r in hostile.records if r.event_id]
    got = Counter(
        hostile.query(
            "select event_id, outcome, coalesce(reason, 'none') from intermediate.int_live__event_outcomes "
            "where event_id like 'hx_%'"
        )
    )
    want = Counter((r.event_id, r.outcome, r.reason or "none") for r in with_id)
    assert got == want


def test_damaged_csv_records_are_quarantined_with_their_raw_text(hostile: HostileBuild) -> None:
    damaged = [r for r in hostile.records if not r.event_id]
    rows = hostile.query(
        "select reason, raw_record, source_line from marts.fct_quarantined_events "
        "where source_line is not null order by source_line"
    )
    assert [reason for reason, _, _ in rows] == [r.reason for r in damaged]
    assert Counter(r.reason for r in damaged) == {"malformed_csv_row": 3, "invalid_encoding": 1, "oversized_row": 1}
    for record, (reason, raw_record, _) in zip(damaged, rows, strict=True):
        text = record.data.decode("utf-8", errors="replace").rstrip("\n")
        prefix = text[:40]
        assert raw_record.startswith(prefix.split("\ufffd")[0]), (reason, raw_record[:80])
        assert len(raw_record) <= 10_000
    audit = dict(
        hostile.query(
            "select reason, sum(row_count) from marts.fct_ingestion_audit where event_type = '(unreadable)' group by 1"
        )
    )
    assert audit == {"malformed_csv_row": 3, "invalid_encoding": 1, "oversized_row": 1}


def test_no_nan_infinity_or_overflow_reaches_a_mart_or_metric(hostile: HostileBuild) -> None:
    columns = hostile.query(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where table_schema in ('marts', 'metrics') and data_type in ('DOUBLE', 'FLOAT', 'REAL')"
    )
    assert len(columns) > 20
    bad = []
    for schema, table, column in columns:
        (count,) = hostile.query(f'select count(*) from "{schema}"."{table}" where not isfinite("{column}")')[0]
        if count:
            bad.append(f"{schema}.{table}.{column}: {count}")
    assert bad == []
    # the sums that overflowed before (likes of 4e18, a gift of 1e10) are absent; a gift at the bound counts
    (likes,) = hostile.query("select likes from marts.fct_live_streams where stream_id = 'hx_stream'")[0]
    assert likes == 0
    quantity, usd, coins = hostile.query(
        "select quantity, sent_usd, sent_coins from marts.fct_gifts where gift_txn_id = 'hx_t2'"
    )[0]
    (coin_cost,) = hostile.query(
        "select coin_cost from staging.stg_live__gift_catalog "
        "where gift_id = (select gift_id from marts.fct_gifts where gift_txn_id = 'hx_t2')"
    )[0]
    assert quantity == 10_000 and coins == 10_000 * coin_cost
    assert float(usd) > 0 and math.isfinite(float(usd))


def test_iso_timestamps_with_offsets_are_one_instant_in_utc(hostile: HostileBuild) -> None:
    rows = dict(
        hostile.query(
            "select event_id, event_at from staging.base_live__events where event_id in "
            "('hx_ts_iso_plus_zero', 'hx_ts_nine_digit_fraction', 'hx_ts_offset_plus_one', 'hx_ts_offset_minus_0530')"
        )
    )
    assert len(rows) == 4 and len(set(rows.values())) == 1
    instant = next(iter(rows.values()))
    assert instant.microsecond == 195_000 and instant.hour == 12


def test_chat_text_survives_byte_for_byte(hostile: HostileBuild) -> None:
    rows = dict(
        hostile.query(
            "select comment_id, message_text from staging.stg_live__chat_events where comment_id like 'hx_c_%'"
        )
    )
    for name, text in CHAT_TEXTS.items():
        assert rows[f"hx_c_{name}"] == text, name


def test_event_types_match_case_insensitively_and_trimmed(hostile: HostileBuild) -> None:
    rows = hostile.query(
        "select comment_id from marts.fct_comments where comment_id in ('hx_c_upper', 'hx_c_tab') order by 1"
    )
    assert rows == [("hx_c_tab",), ("hx_c_upper",)]


def test_viewers_missing_from_users_are_viewers_with_an_unknown_profile(hostile: HostileBuild) -> None:
    rows = hostile.query(
        "select viewer_id, is_known_user, age_band, signup_date from marts.dim_viewers "
        f"where viewer_id in ('{UNKNOWN_VIEWER}', '{UNKNOWN_RECIPIENT}') order by 1"
    )
    assert rows == [(UNKNOWN_RECIPIENT, False, "unknown", None), (UNKNOWN_VIEWER, False, "unknown", None)]
    (gifts,) = hostile.query(f"select count(*) from marts.fct_gifts where viewer_id = '{UNKNOWN_VIEWER}'")[0]
    assert gifts == 1


def test_a_good_copy_behind_a_bad_first_copy_is_counted(hostile: HostileBuild) -> None:
    rows = hostile.query(
        "select event_type, sum(row_count) from marts.fct_ingestion_audit "
        "where reason = 'superseded_by_bad_copy' and outcome = 'duplicate' group by 1"
    )
    assert rows == [("like_sent", 1)]


# --- whole-file cases --------------------------------------------------------------------------------

HEADER = (",".join(EVENT_COLUMNS) + "\n").encode()


def test_an_empty_log_builds_empty_marts_and_the_program_says_no_data_yet(reference_only: Path, tmp_path: Path) -> None:
    raw = with_event_log(reference_only, tmp_path / "raw", {"raw_live_events.csv": HEADER})
    warehouse = build(raw, tmp_path)
    with duckdb.connect(str(warehouse.duckdb_path), read_only=True) as connection:
        facts = [
            name
            for (name,) in connection.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' "
                "and table_name like 'fct_%'"
            ).fetchall()
        ]
        counts = {name: connection.execute(f"select count(*) from marts.{name}").fetchall()[0][0] for name in facts}
    assert len(counts) >= 10 and set(counts.values()) == {0}
    assert count_records(raw / "raw_live_events.csv") == 0
    for command in ("materialize", "scorecard", "check"):
        completed = run_cli(warehouse, command)
        assert completed.returncode == 0, completed.stdout + completed.stderr
        assert "no data yet" in completed.stdout and "Traceback" not in completed.stderr


def _gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def sample_log(lines: int = 20) -> bytes:
    rows = [
        f"e{n},like_sent,2026-11-09T12:00:{n:02d}.000Z,2026-11-09T12:00:{n:02d}.500Z,u_1,s_1,"
        f'"{{""count"": 1}}",ios,1.0,US\n'
        for n in range(lines)
    ]
    return HEADER + "".join(rows).encode()


UNUSABLE = {
    "zero-byte file": ({"raw_live_events.csv": b""}, "raw_live_events.csv is empty: expected a header row"),
    "no header row": ({"raw_live_events.csv": sample_log()[len(HEADER) :]}, "raw_live_events.csv has no header row"),
    "missing properties column": (
        {"raw_live_events.csv": HEADER.replace(b"properties,", b"") + b"e1,like_sent\n"},
        "raw_live_events.csv lacks column properties",
    ),
    "csv and gz side by side": (
        {"raw_live_events.csv": sample_log(), "raw_live_events.csv.gz": _gz(sample_log())},
        "both raw_live_events.csv and raw_live_events.csv.gz are in",
    ),
    "no event log": (
        {},
        "no raw_live_events.csv or raw_live_events.csv.gz or folder raw_live_events/ of daily drops in",
    ),
}


@pytest.mark.parametrize("case", list(UNUSABLE))
def test_unusable_files_stop_with_one_line_naming_the_file(reference_only: Path, tmp_path: Path, case: str) -> None:
    files, message = UNUSABLE[case]
    raw = with_event_log(reference_only, tmp_path / "raw", files)
    completed = dbt_process(
        ["run", "--select", "base_live__raw_events"],
        tmp_path / "live.duckdb",
        raw,
        tmp_path / "target",
        tmp_path / "logs",
    )
    assert completed.returncode != 0
    lines = [line for line in completed.stdout.splitlines() if message in line]
    assert lines, completed.stdout[-2000:]
    assert lines[0].strip().startswith("raw_live_events: ")
    assert "Binder Error" not in completed.stdout and "Traceback" not in completed.stdout


def landed_rows(raw: Path, root: Path, *extra: str) -> int:
    warehouse = build(raw, root, ["run", "--select", "base_live__raw_events", *extra])
    with duckdb.connect(str(warehouse.duckdb_path), read_only=True) as connection:
        return connection.execute("select count(*) from staging.base_live__raw_events").fetchall()[0][0]


def test_stray_copies_beside_the_log_are_not_read(reference_only: Path, tmp_path: Path) -> None:
    log = sample_log(20)
    raw = with_event_log(
        reference_only,
        tmp_path / "raw",
        {
            "raw_live_events.csv.gz": _gz(log),
            "raw_live_events.csv.bak": log,
            "raw_live_events.csv (1)": log,
            "raw_live_events.csv.gz.part": _gz(log),
        },
    )
    assert landed_rows(raw, tmp_path) == count_records(raw / "raw_live_events.csv.gz") == 20


def test_parquet_parts_in_a_folder_are_read(reference_only: Path, tmp_path: Path) -> None:
    raw = with_event_log(reference_only, tmp_path / "raw", {})
    for name in REFERENCE_FILES:
        table = pa.csv.read_csv(raw / name)
        pq.write_table(table, raw / name.replace(".csv", ".parquet"))
    events = pa.csv.read_csv(
        io.BytesIO(sample_log(30)),
        convert_options=pa.csv.ConvertOptions(column_types={c: pa.string() for c in EVENT_COLUMNS}),
    )
    (raw / "raw_live_events").mkdir()
    pq.write_table(events.slice(0, 10), raw / "raw_live_events" / "part-0.parquet")
    pq.write_table(events.slice(10), raw / "raw_live_events" / "part-1.parquet")
    assert landed_rows(raw, tmp_path, "--vars", "{raw_format: parquet}") == 30
