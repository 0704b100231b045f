"""What was landed is recorded per file, and a drop that changes under the landing is never lost silently.

One scenario on small generated drops (one warehouse, built step by step, beside a full build of the
finished files): drops 1-2 land; drop 3 arrives as a plain CSV cut in the middle of a line (a copy still
under way) and stops the build with one line, landing nothing of drops 3-5; the same for drop 3 as a
truncated .csv.gz; drop 3 completed (and drop 1, landed, only touched), the build lands every record exactly
once, skips drop 1, and its marts equal the full build's; a landed file rewritten with more records stops the
build with one line naming it and `make run`. Drop 2 holds a record with bare quotes inside a quoted field,
after a record spanning two lines: the quarantine keeps its own text and physical line.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import io
import os
import shutil
import subprocess
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from conftest import dbt_process, same_rows
from live_metrics.generator.gen_model import GeneratorConfig
from live_metrics.generator.generate import generate_events, write_dataset
from test_daily_drops import marts

CONFIG = GeneratorConfig(days=3, creators=6, viewers=200, seed=3)
REFERENCE_FILES = ("users.csv", "gift_catalog.csv", "coin_prices.csv", "ad_campaigns.csv")
# A record whose properties hold bare quotes: DuckDB's reject table gives it the text of the record before.
DAMAGED = (
    b'"hx_quote","comment_posted","2026-11-10T20:00:00.000Z","2026-11-10T20:00:01.000Z","u_000001","s_00001",'
    b'"{""comment_id"": """hx_c"q"", ""text"": ""he said hi ok""}","ios","1.0","US"\n'
)


def event_ids(content: bytes) -> Counter[str]:
    """The event_id of every record of a valid CSV file, read with Python's csv module."""
    rows = list(csv.reader(io.StringIO(content.decode(), newline="")))
    column = rows[0].index("event_id")
    return Counter(row[column] for row in rows[1:] if row)


def record_end_offsets(content: bytes) -> list[int]:
    """Where each record of a valid CSV file ends (just after its line break), header first."""
    ends, inside, offset = [], False, 0
    for offset, byte in enumerate(content):
        if byte == ord('"'):
            inside = not inside
        elif byte == ord("\n") and not inside:
            ends.append(offset + 1)
    return ends


@dataclass
class Step:
    completed: subprocess.CompletedProcess[str]

    def one_line(self) -> str:
        """The build failed, saying why in exactly one line starting with 'raw_live_events: '."""
        assert self.completed.returncode != 0, self.completed.stdout[-2000:]
        lines = [line.strip() for line in self.completed.stdout.splitlines() if "raw_live_events: " in line]
        assert len(lines) == 1, self.completed.stdout[-3000:]
        assert lines[0].startswith("raw_live_events: ")
        return lines[0]


@dataclass
class Scenario:
    root: Path
    raw: Path
    drops: list[Path]  # the finished drop files, in order
    contents: dict[str, bytes]  # what each finished drop file holds, by its key received_date=.../name
    damaged_line: int
    neighbour_id: str
    cut: Step
    cut_gz: Step
    built: Step
    files_before_touch: list[tuple]
    rewritten: Step
    rewritten_file: Path
    rewritten_bytes: tuple[int, int]
    landed_before_cut: dict[str, int]
    landed_after_cut: dict[str, int]
    landed_after_cut_gz: dict[str, int]
    landed_at_end: int
    files_after_build: list[tuple]
    incremental_marts: dict[str, list[tuple]]
    full_marts: dict[str, list[tuple]]

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.root / "live.duckdb"), read_only=True) as connection:
            return connection.execute(sql).fetchall()


def epoch_ms(moment: dt.datetime) -> int:
    """A naive UTC timestamp as milliseconds since 1970."""
    return round((moment - dt.datetime(1970, 1, 1)).total_seconds() * 1000)


def key(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def per_drop(duckdb_path: Path) -> dict[str, int]:
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        rows = connection.execute(
            "select cast(drop_date as varchar), count(*) from staging.base_live__raw_events group by 1"
        ).fetchall()
    return dict(rows)


def raw_files(duckdb_path: Path) -> list[tuple]:
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        return connection.execute(
            "select source_file, file_bytes, file_modified_at, file_md5, record_count "
            "from staging.base_live__raw_files order by source_file"
        ).fetchall()


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    root = tmp_path_factory.mktemp("integrity")
    generated, raw, finished = root / "generated", root / "raw", root / "finished"
    write_dataset(generate_events(CONFIG), generated, "csv", partition_by="received_date")
    gz_drops = sorted(generated.glob("raw_live_events/received_date=*/part-0.csv.gz"))
    assert len(gz_drops) == 5
    for folder in (raw, finished):
        folder.mkdir()
        for name in REFERENCE_FILES:
            shutil.copy(generated / name, folder / name)

    # drop 1 stays .csv.gz, the others become plain CSV; drop 2 gets the damaged record after a record
    # that spans two lines (so a record's number is not its line)
    contents: dict[str, bytes] = {}
    damaged_line, neighbour_id = 0, ""
    for number, gz_drop in enumerate(gz_drops, start=1):
        content = gzip.decompress(gz_drop.read_bytes())
        name = "part-0.csv.gz" if number == 1 else "part-0.csv"
        if number == 2:
            ends = record_end_offsets(content)
            spanning = next(i for i in range(1, len(ends)) if content[ends[i - 1] : ends[i]].count(b"\n") > 1)
            at = ends[spanning]
            neighbour_id = next(iter(event_ids(content[: ends[0]] + content[ends[spanning - 1] : at])))
            damaged_line = content[:at].count(b"\n") + 1
            content = content[:at] + DAMAGED + content[at:]
        contents[f"{gz_drop.parent.name}/{name}"] = content
    drops = [finished / "raw_live_events" / k for k in contents]
    for path in drops:
        path.parent.mkdir(parents=True)
        data = contents[key(path)]
        path.write_bytes(gzip.compress(data, mtime=0) if path.name.endswith(".gz") else data)

    def dbt(args: list[str], duckdb_path: Path, folder: Path) -> Step:
        target = duckdb_path.with_suffix("")
        return Step(dbt_process(args, duckdb_path, folder, target / "target", target / "logs"))

    def landing() -> Step:
        return dbt(["run", "--select", "base_live__raw_events", "base_live__raw_files"], root / "live.duckdb", raw)

    def place(path: Path, data: bytes) -> Path:
        target = raw / path.relative_to(finished)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return target

    with ThreadPoolExecutor(max_workers=1) as pool:
        for path in drops[:2]:
            place(path, path.read_bytes())
        first = landing()
        assert first.completed.returncode == 0, first.completed.stdout[-2000:]
        # the full build of the finished files, beside the rest (after the first parse: they would contend)
        full = pool.submit(dbt, ["run"], root / "full" / "live.duckdb", finished)
        landed_before_cut = per_drop(root / "live.duckdb")

        third = contents[key(drops[2])]
        middle = third.index(b"\n", len(third) // 2) + 40  # inside the line after the middle
        cut_file = place(drops[2], third[:middle])
        for path in drops[3:]:
            place(path, path.read_bytes())
        cut = landing()
        landed_after_cut = per_drop(root / "live.duckdb")

        cut_file.unlink()
        gz = gzip.compress(third, mtime=0)
        gz_file = place(drops[2].with_name("part-0.csv.gz"), gz[: len(gz) // 2])
        cut_gz = landing()
        landed_after_cut_gz = per_drop(root / "live.duckdb")
        gz_file.unlink()

        files_before_touch = raw_files(root / "live.duckdb")
        first_drop = raw / drops[0].relative_to(finished)
        stat = first_drop.stat()
        os.utime(first_drop, ns=(stat.st_atime_ns, stat.st_mtime_ns + 3_600 * 10**9))  # touched: a new time
        place(drops[2], third)
        built = dbt(["run"], root / "live.duckdb", raw)
        files_after_build = raw_files(root / "live.duckdb")
        landed_at_end = sum(per_drop(root / "live.duckdb").values())

        rewritten_file = raw / drops[1].relative_to(finished)
        before = rewritten_file.stat().st_size
        extra = b"".join(
            f'"hx_more_{n}","like_sent","2026-11-10T21:00:00.000Z","2026-11-10T21:00:01.000Z","u_000001",'
            f'"s_00001","{{""count"": 1}}","ios","1.0","US"\n'.encode()
            for n in range(200)
        )
        rewritten_file.write_bytes(rewritten_file.read_bytes() + extra)
        rewritten = landing()

        full_step = full.result()
    assert full_step.completed.returncode == 0, full_step.completed.stdout[-3000:]
    return Scenario(
        root=root,
        raw=raw,
        drops=drops,
        contents=contents,
        damaged_line=damaged_line,
        neighbour_id=neighbour_id,
        cut=cut,
        cut_gz=cut_gz,
        built=built,
        files_before_touch=files_before_touch,
        rewritten=rewritten,
        rewritten_file=rewritten_file,
        rewritten_bytes=(before, before + len(extra)),
        landed_before_cut=landed_before_cut,
        landed_after_cut=landed_after_cut,
        landed_after_cut_gz=landed_after_cut_gz,
        landed_at_end=landed_at_end,
        files_after_build=files_after_build,
        incremental_marts=marts(root / "live.duckdb"),
        full_marts=marts(root / "full" / "live.duckdb"),
    )


def test_a_csv_drop_cut_mid_line_stops_the_build_and_lands_nothing(scenario: Scenario) -> None:
    line = scenario.cut.one_line()
    cut_file = scenario.raw / scenario.drops[2].relative_to(scenario.drops[0].parents[2])
    assert str(cut_file) in line and "does not end with a line break" in line and "still being copied" in line
    assert len(scenario.landed_before_cut) == 2
    assert scenario.landed_after_cut == scenario.landed_before_cut  # nothing of drops 3-5 landed


def test_a_truncated_gz_drop_stops_the_build_and_lands_nothing(scenario: Scenario) -> None:
    assert scenario.cut_gz.completed.returncode != 0, scenario.cut_gz.completed.stdout[-2000:]
    assert scenario.landed_after_cut_gz == scenario.landed_before_cut


def test_the_completed_drop_lands_every_record_once_and_equals_a_full_build(scenario: Scenario) -> None:
    with duckdb.connect(str(scenario.root / "live.duckdb"), read_only=True) as connection:
        for path in scenario.drops:
            expected = event_ids(scenario.contents[key(path)].replace(DAMAGED, b""))
            day = path.parent.name.removeprefix("received_date=")
            landed = connection.execute(
                f"select event_id from staging.base_live__raw_events where drop_date = '{day}' and read_error is null"
            ).fetchall()
            assert Counter(event_id for (event_id,) in landed) == expected, day
    expected_total = sum(sum(event_ids(c.replace(DAMAGED, b"")).values()) for c in scenario.contents.values()) + 1
    assert scenario.built.completed.returncode == 0, scenario.built.completed.stdout[-3000:]
    assert scenario.landed_at_end == expected_total
    assert sorted(scenario.incremental_marts) == sorted(scenario.full_marts) and len(scenario.full_marts) >= 15
    for table, rows in scenario.full_marts.items():
        assert same_rows(scenario.incremental_marts[table], rows), table
    assert len(scenario.full_marts["fct_viewer_sessions"]) > 100


def test_a_landed_file_rewritten_with_more_records_stops_the_build(scenario: Scenario) -> None:
    line = scenario.rewritten.one_line()
    before, after = scenario.rewritten_bytes
    assert str(scenario.rewritten_file) in line and "changed after it was landed" in line
    assert f"{before} bytes then, {after} bytes now" in line
    assert "make run" in line
    assert sum(per_drop(scenario.root / "live.duckdb").values()) == scenario.landed_at_end


def test_a_landed_file_only_touched_is_skipped(scenario: Scenario) -> None:
    """Drop 1 was touched (same bytes, a new time) before the build that landed drops 3-5: it passed,
    nothing of drop 1 landed again, and its record is still the one taken when it landed."""
    assert scenario.built.completed.returncode == 0, scenario.built.completed.stdout[-3000:]
    first = key(scenario.drops[0])
    recorded = next(row for row in scenario.files_after_build if row[0] == first)
    assert recorded == next(row for row in scenario.files_before_touch if row[0] == first)
    touched = scenario.raw / scenario.drops[0].relative_to(scenario.drops[0].parents[2])
    assert touched.stat().st_mtime_ns // 10**6 - epoch_ms(recorded[2]) >= 3_600_000 - 1
    day = scenario.drops[0].parent.name.removeprefix("received_date=")
    assert per_drop(scenario.root / "live.duckdb")[day] == scenario.landed_before_cut[day]


def test_the_damaged_record_keeps_its_own_text_and_line(scenario: Scenario) -> None:
    rows = scenario.query(
        "select reason, raw_record, source_line from marts.fct_quarantined_events where source_line is not null"
    )
    assert rows == [("malformed_csv_row", DAMAGED.decode().rstrip("\n"), scenario.damaged_line)]
    (neighbour,) = scenario.query(
        "select count(*) from staging.base_live__raw_events "
        f"where event_id = '{scenario.neighbour_id}' and read_error is null"
    )[0]
    assert neighbour >= 1  # the record before it parsed and loaded


def test_the_per_file_record_is_what_was_written(scenario: Scenario) -> None:
    recorded = {row[0]: row for row in scenario.files_after_build}
    assert sorted(recorded) == sorted(key(path) for path in scenario.drops)
    for path in scenario.drops:
        data = (scenario.raw / path.relative_to(path.parents[2])).read_bytes()
        if path == scenario.drops[1]:
            data = path.read_bytes()  # the rewrite came after the record was taken
        _, size, modified, md5, record_count = recorded[key(path)]
        assert size == len(data) == path.stat().st_size
        assert md5 == hashlib.md5(data).hexdigest()  # noqa: S324 (a checksum, not security)
        written = sum(event_ids(scenario.contents[key(path)].replace(DAMAGED, b"")).values())
        assert record_count == written + (1 if DAMAGED in scenario.contents[key(path)] else 0)
        if path not in scenario.drops[:2]:  # neither touched nor rewritten since
            file_ms = (scenario.raw / path.relative_to(path.parents[2])).stat().st_mtime_ns / 10**6
            assert abs(epoch_ms(modified) - file_ms) <= 1
