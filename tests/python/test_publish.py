"""Publishing: only a finished build replaces the published file (issue "run it every day", part 2).

A reader with an older DuckDB client reads through a whole story of runs, kills and publishes in
background/story_operations.py; here, the publishes that must not happen leave the published file untouched, and
say why in one line.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb

from conftest import launch


def test_a_publish_that_cannot_happen_leaves_the_published_file_untouched(tmp_path: Path) -> None:
    published = tmp_path / "live.duckdb"
    with duckdb.connect(str(published)) as connection:
        connection.execute("create schema marts; create table marts.fct_ingestion_audit as select 1 as row_count")
    before = (published.stat().st_ino, published.read_bytes())
    env = dict(os.environ)
    work = tmp_path / ".building" / "live.duckdb"
    marker = work.with_name("live.duckdb.finished")

    def publish() -> str:
        completed = launch(env, "publish", "--warehouse", str(published))
        assert completed.returncode == 2
        assert completed.stderr.startswith("error: ") and completed.stderr.count("\n") == 1, completed.stderr
        return completed.stderr

    assert "no build to publish" in publish()
    work.parent.mkdir(exist_ok=True)
    with duckdb.connect(str(work)) as connection:  # a build killed before its last step: no marker
        connection.execute("create schema marts; create table marts.fct_live_streams as select 1 as stream_id")
    assert "is not a finished build (its run did not complete)" in publish()
    stat = work.stat()
    marker.write_text(json.dumps({"run_id": "x", "bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns}))
    with duckdb.connect(str(work)) as connection:  # written again after its marker: not the finished build
        connection.execute("create table marts.fct_viewer_sessions as select 1 as session_id")
    os.utime(work, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert "is not a finished build" in publish()
    assert (published.stat().st_ino, published.read_bytes()) == before
