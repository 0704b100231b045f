"""Daily drops: the event log as a folder per received day (raw_live_events/received_date=YYYY-MM-DD/).

A warehouse built from the drops equals, table for table and row for row, one built from the same events
as a single file; Parquet drops in hive folders are read; drops whose headers differ, or drops beside a
single file, stop the build with one line naming the files. With one raw file (the demo) a second build
lands it again and decides it all again: the same warehouse.
"""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from background.story_incremental import tables
from conftest import Warehouse, dbt_process, run_dbt, same_rows
from live_metrics.generator.gen_model import GeneratorConfig
from live_metrics.generator.generate import generate_events, write_dataset
from live_metrics.ops.drops import another_project, nothing_new, project_fingerprint

CONFIG = GeneratorConfig(days=3, creators=6, viewers=200, seed=3)


def marts(duckdb_path: Path) -> dict[str, list[tuple]]:
    """Every mart's rows (without the raw record number, which counts records in file order), sorted."""
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        tables = [
            t
            for (t,) in connection.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        result = {}
        for table in tables:
            columns = [
                c
                for (c,) in connection.execute(
                    "select column_name from information_schema.columns where table_schema = 'marts' "
                    f"and table_name = '{table}' and column_name != 'raw_row_number' order by ordinal_position"
                ).fetchall()
            ]
            result[table] = connection.execute(
                f"select {', '.join(columns)} from marts.{table} order by all"
            ).fetchall()
    return result


def test_drops_build_the_same_warehouse_as_one_file(tmp_path: Path) -> None:
    data = generate_events(CONFIG)
    single, drops = tmp_path / "single", tmp_path / "drops"
    write_dataset(data, single, "csv")
    sizes = write_dataset(data, drops, "csv", partition_by="received_date")
    assert len([name for name in sizes if name.startswith("raw_live_events/received_date=")]) >= 3
    built = {name: tmp_path / f"{name}_warehouse" / "live.duckdb" for name in ("single", "drops")}
    for name, folder in (("single", single), ("drops", drops)):
        run_dbt(["run"], built[name], folder, tmp_path / f"{name}_target", tmp_path / "logs")
    expected, actual = marts(built["single"]), marts(built["drops"])
    assert sorted(actual) == sorted(expected) and len(expected) >= 15
    for table, rows in expected.items():
        assert same_rows(actual[table], rows), table
    assert len(expected["fct_viewer_sessions"]) > 100


def run_landing(raw: Path, root: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return dbt_process(
        ["run", "--select", "base_live__raw_events", *extra], root / "live.duckdb", raw, root / "target", root / "logs"
    )


@pytest.fixture(scope="module")
def drops(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("drops")
    write_dataset(generate_events(CONFIG), folder, "csv", partition_by="received_date")
    return folder


def test_parquet_drops_in_hive_folders_are_read(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    data = generate_events(CONFIG)
    write_dataset(data, raw, "parquet", partition_by="received_date")
    completed = run_landing(raw, tmp_path, "--vars", "{raw_format: parquet}")
    assert completed.returncode == 0, completed.stdout[-2000:]
    with duckdb.connect(str(tmp_path / "live.duckdb"), read_only=True) as connection:
        (rows,) = connection.execute("select count(*) from staging.base_live__raw_events").fetchall()[0]
    assert rows == len(data.events)


def test_drops_with_another_header_stop_with_one_line(drops: Path, tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    shutil.copytree(drops, raw)
    last = sorted(raw.glob("raw_live_events/received_date=*/part-0.csv.gz"))[-1]
    lines = gzip.decompress(last.read_bytes()).decode().split("\n", 1)
    header = lines[0].split(",")
    header[0], header[1] = header[1], header[0]
    last.write_bytes(gzip.compress((",".join(header) + "\n" + lines[1]).encode(), mtime=0))
    completed = run_landing(raw, tmp_path)
    assert completed.returncode != 0
    message = [line for line in completed.stdout.splitlines() if "every drop needs the same columns" in line]
    assert message and message[0].strip().startswith("raw_live_events: ") and last.name in message[0]


def test_drops_beside_a_single_file_stop_with_one_line(drops: Path, tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    shutil.copytree(drops, raw)
    (raw / "raw_live_events.csv.gz").write_bytes(gzip.compress(b"event_id\n", mtime=0))
    completed = run_landing(raw, tmp_path)
    assert completed.returncode != 0
    assert "both raw_live_events.csv.gz and raw_live_events/" in completed.stdout


def test_a_drop_older_than_one_already_loaded_stops_with_one_line(drops: Path, tmp_path: Path) -> None:
    """Drops land in the order received (the first copy wins): an older drop found late needs a full build."""
    raw = tmp_path / "raw"
    shutil.copytree(drops, raw)
    days = sorted(raw.glob("raw_live_events/received_date=*"))
    middle = days[1]
    aside = tmp_path / middle.name
    middle.rename(aside)
    first = run_landing(raw, tmp_path)
    assert first.returncode == 0, first.stdout[-2000:]
    aside.rename(middle)
    second = run_landing(raw, tmp_path)
    assert second.returncode != 0
    message = [line for line in second.stdout.splitlines() if "drops load in the order they were received" in line]
    assert message and message[0].strip().startswith(f"raw_live_events: the drop {middle.name} (")
    assert "dbt build --full-refresh" in message[0]
    with duckdb.connect(str(tmp_path / "live.duckdb"), read_only=True) as connection:
        landed = connection.execute("select count(distinct drop_date) from staging.base_live__raw_events").fetchone()
    assert landed == (len(days) - 1,)  # nothing of the refused build was landed


def test_a_new_file_in_a_drop_already_loaded_stops_with_one_line(drops: Path, tmp_path: Path) -> None:
    """A drop is landed once, whole: a file added to it later is never skipped silently."""
    raw = tmp_path / "raw"
    shutil.copytree(drops, raw)
    first = run_landing(raw, tmp_path)
    assert first.returncode == 0, first.stdout[-2000:]
    newest = sorted(raw.glob("raw_live_events/received_date=*"))[-1]
    shutil.copyfile(newest / "part-0.csv.gz", newest / "part-1.csv.gz")
    second = run_landing(raw, tmp_path)
    assert second.returncode != 0
    message = [line for line in second.stdout.splitlines() if "is a new file in the drop" in line]
    assert message and message[0].strip().startswith("raw_live_events: ") and "part-1.csv.gz" in message[0]
    assert "dbt build --full-refresh" in message[0]


def small_project(root: Path) -> Path:
    """The parts of a project the fingerprint reads, the demo data beside them, and a README."""
    for name, text in {
        "dbt_project.yml": "name: p\n",
        "models/a.sql": "select 1 as a\n",
        "macros/m.sql": "{% macro m() %}1{% endmacro %}\n",
        "seeds/codes.csv": "code\nx\n",
        "seeds/demo/raw_live_events.csv": "event_id\ne1\n",
        "README.md": "hello\n",
    }.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_the_project_fingerprint_changes_with_the_code_not_the_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LIVE_RAW_DATA_PATH", raising=False)
    project = small_project(tmp_path / "project")
    first = project_fingerprint(project)
    (project / "README.md").write_text("changed\n")
    (project / "seeds/demo/raw_live_events.csv").write_text("event_id\ne1\ne2\n")  # data: an input, not code
    assert project_fingerprint(project) == first
    for name in ("models/a.sql", "macros/m.sql", "seeds/codes.csv", "dbt_project.yml"):
        path = project / name
        before = path.read_text()
        path.write_text(before + "-- changed\n")
        assert project_fingerprint(project) != first, name
        path.write_text(before)
        assert project_fingerprint(project) == first, name


def test_daily_rebuilds_from_every_drop_after_the_project_changed(tmp_path: Path) -> None:
    """A published build by another project version (or one that recorded none) is not "nothing new", and its
    daily run is a full build; the same project and the same files are nothing new."""
    inputs = {"raw_live_events/received_date=2026-11-09/part-0.csv.gz": [10, 20]}
    old_style, current = tmp_path / "old.duckdb", tmp_path / "current.duckdb"
    for path, with_fingerprint in ((old_style, False), (current, True)):
        with duckdb.connect(str(path)) as connection:
            connection.execute(
                "create schema live_ops; create table live_ops.runs (inputs varchar, finished_at timestamp"
                + (", project_fingerprint varchar)" if with_fingerprint else ")")
            )
            values = "(?, timestamp '2026-11-10 06:00:00'" + (", 'abc')" if with_fingerprint else ")")
            connection.execute(f"insert into live_ops.runs values {values}", [json.dumps(inputs)])
    assert another_project(old_style, "abc") == "the build of 2026-11-10 06:00 UTC recorded no project version"
    assert nothing_new(old_style, inputs, "abc") is None
    assert another_project(current, "abc") is None
    assert nothing_new(current, inputs, "abc") == (
        "the build of 2026-11-10 06:00 UTC (1 raw files unchanged, newest drop received_date=2026-11-09)"
    )
    changed = another_project(current, "def")
    assert changed is not None and changed.startswith("the project's models, macros or seeds changed")
    assert nothing_new(current, inputs, "def") is None


def test_a_single_file_is_landed_again_and_gives_the_full_result(warehouse: Warehouse, tmp_path: Path) -> None:
    """With one raw file nothing tells new rows from old: a second build lands it again and decides it all again."""
    again = tmp_path / "live.duckdb"
    shutil.copyfile(warehouse.duckdb_path, again)
    run_dbt(["run"], again, warehouse.raw_data_path, tmp_path / "target", tmp_path / "logs")
    before, after = tables(warehouse.duckdb_path), tables(again)
    assert sorted(before) == sorted(after)
    assert not [name for name in before if not same_rows(before[name], after[name])]
    with duckdb.connect(str(again), read_only=True) as connection:
        loads = connection.execute("select count(distinct load_id) from staging.base_live__raw_events").fetchone()
        gate_loads = connection.execute("select count(distinct load_id) from staging.base_live__events").fetchone()
    assert loads == gate_loads == (1,)  # the first build's rows are gone from the landing and from the gate
