"""Publishing that never blocks a reader (issue "daily operation at scale", part 2).

A reader with an older DuckDB client (1.4, as BI tools bundle; `make oldclient`) polls the
published warehouse, read-only, for the whole length of a rebuild (dbt build into the work file,
materialize, publish): every read succeeds, it sees the old file and then the new one, and the
published file does not grow. A publish that cannot happen leaves the published file untouched.
LIVE_SKIP_OLD_CLIENT=1 skips the reader test.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import duckdb
import pytest

from conftest import REPO_ROOT, dbt_env, launch, run_dbt
from live_metrics.gen_model import GeneratorConfig
from live_metrics.generate import generate_events, write_dataset

OLD_CLIENT = REPO_ROOT / ".venv-duckdb14" / "bin" / "python"
CONFIG = GeneratorConfig(days=3, creators=6, viewers=200, seed=11)

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
    time.sleep(0.05)
print(json.dumps({"version": duckdb.__version__, "reads": reads, "errors": errors, "inodes": inodes}))
"""


def build_and_publish(raw: Path, work: Path, published: Path, root: Path) -> None:
    """What `make run` does: build into the work file, materialize there, publish."""
    work.parent.mkdir(parents=True, exist_ok=True)
    run_dbt(["build"], work, raw, root / "target", root / "logs")
    env = dbt_env(work, raw)
    materialized = launch(env, "materialize", "--manifest", str(root / "target" / "semantic_manifest.json"))
    assert materialized.returncode == 0, materialized.stdout + materialized.stderr
    published_run = launch(env, "publish", "--from", str(work), "--to", str(published))
    assert published_run.returncode == 0, published_run.stdout + published_run.stderr


@pytest.fixture(scope="module")
def raw_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = tmp_path_factory.mktemp("publish_raw")
    write_dataset(generate_events(CONFIG), raw, "csv")
    return raw


def test_a_reader_with_an_old_client_reads_through_a_rebuild(raw_data: Path, tmp_path: Path) -> None:
    if os.environ.get("LIVE_SKIP_OLD_CLIENT") == "1":
        pytest.skip("LIVE_SKIP_OLD_CLIENT=1")
    assert OLD_CLIENT.exists(), "no DuckDB 1.4 client: run `make oldclient` (or set LIVE_SKIP_OLD_CLIENT=1)"
    published = tmp_path / "live.duckdb"
    work = tmp_path / ".building" / "live.duckdb"
    build_and_publish(raw_data, work, published, tmp_path)
    first_size = published.stat().st_size

    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [str(OLD_CLIENT), "-c", READER, str(published), str(stop)], stdout=subprocess.PIPE, text=True
    )
    try:
        time.sleep(1.0)  # the reader is connected before the rebuild starts
        build_and_publish(raw_data, work, published, tmp_path)
        time.sleep(1.0)  # and reads the new file after it
    finally:
        stop.touch()
        output, _ = reader.communicate(timeout=60)
    report = json.loads(output)
    assert report["version"].startswith("1.4.")
    assert report["errors"] == []
    assert report["reads"] > 20
    assert len(report["inodes"]) == 2  # the file before the rebuild, then the published rebuild
    assert published.stat().st_size <= first_size * 1.05  # rebuilt from scratch: the file does not grow
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("live", ".live"))) == ["live.duckdb"]
    assert list(work.parent.iterdir()) == []  # the work file was moved, nothing left behind


def test_a_publish_that_cannot_happen_leaves_the_published_file_untouched(tmp_path: Path) -> None:
    published = tmp_path / "live.duckdb"
    with duckdb.connect(str(published)) as connection:
        connection.execute("create schema marts; create table marts.fct_ingestion_audit as select 1 as row_count")
    before = (published.stat().st_ino, published.read_bytes())
    env = dict(os.environ)
    half_built = tmp_path / ".building" / "live.duckdb"
    half_built.parent.mkdir()
    with duckdb.connect(str(half_built)) as connection:
        connection.execute("create schema marts; create table marts.fct_live_streams as select 1 as stream_id")
    cases = [
        (tmp_path / ".building" / "missing.duckdb", "no build to publish"),
        (half_built, "is not a finished build"),
        (published, "are the same file"),
    ]
    for source, message in cases:
        completed = launch(env, "publish", "--from", str(source), "--to", str(published))
        assert completed.returncode == 2
        assert completed.stderr.startswith("error: ") and message in completed.stderr
        assert completed.stderr.count("\n") == 1
    other_name = tmp_path / ".building" / "other.duckdb"
    other_name.write_bytes(b"")
    completed = launch(env, "publish", "--from", str(other_name), "--to", str(published))
    assert completed.returncode == 2 and "must have the same name" in completed.stderr
    assert (published.stat().st_ino, published.read_bytes()) == before
