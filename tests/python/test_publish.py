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


def finished_build(tmp_path: Path) -> tuple[Path, Path, Path, Path, Path]:
    """A published warehouse and tree, and a finished build beside them (work file, marker, tree):
    (published, published tree, work file, work tree, marker)."""
    published, published_tree = tmp_path / "live.duckdb", tmp_path / "live_metric_tree"
    work = tmp_path / ".building" / "live.duckdb"
    work_tree, marker = work.with_name("live_metric_tree"), work.with_name("live.duckdb.finished")
    work.parent.mkdir()
    for path, label in ((published, "old"), (work, "new")):
        with duckdb.connect(str(path)) as connection:
            connection.execute(
                "create schema marts; create schema live_ops;"
                "create table marts.fct_ingestion_audit as select 1 as row_count;"
                "create table marts.metricflow_time_spine as select date '2026-11-09' as date_day;"
                f"create table live_ops.runs as select '{label}' as run_id"
            )
    for tree, label in ((published_tree, "old"), (work_tree, "new")):
        tree.mkdir()
        (tree / "metric_tree.json").write_text(label)
    stat = work.stat()
    marker.write_text(json.dumps({"run_id": "new", "bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns}))
    return published, published_tree, work, work_tree, marker


def published_run(published: Path) -> str:
    with duckdb.connect(str(published), read_only=True) as connection:
        return connection.execute("select run_id from live_ops.runs").fetchone()[0]


def test_a_publish_killed_at_any_instant_is_finished_by_the_next(tmp_path: Path) -> None:
    """Kill -9 of publish at each instant between its renames: the file's rename is the publish, and the next
    `publish` finishes what was left (the tree, the marker), so the file and its tree end up from one build."""
    env = dict(os.environ)
    # each instant: the renames done before the kill (publish.py: file, old tree aside, new tree in, marker)
    instants = ["before any rename", "after the file", "after the old tree went aside", "after the new tree"]
    for number, instant in enumerate(instants):
        root = tmp_path / f"instant{number}"
        root.mkdir()
        published, published_tree, work, work_tree, marker = finished_build(root)
        aside = work.with_name("live_metric_tree.old")
        if number >= 1:
            os.replace(work, published)
        if number >= 2:
            os.replace(published_tree, aside)
        if number >= 3:
            os.replace(work_tree, published_tree)
        completed = launch(env, "publish", "--warehouse", str(published))
        assert completed.returncode == 0, (instant, completed.stderr)
        expected = "published" if number == 0 else "finished the interrupted publish"
        assert completed.stdout.startswith(expected), (instant, completed.stdout)
        assert published_run(published) == "new", instant
        assert (published_tree / "metric_tree.json").read_text() == "new", instant
        assert not work.exists() and not work_tree.exists() and not aside.exists() and not marker.exists(), instant
        again = launch(env, "publish", "--warehouse", str(published))  # nothing left: says so, changes nothing
        assert again.returncode == 2 and "no build to publish" in again.stderr, (instant, again.stderr)
