"""What a run reads: the raw files, with their size and modification time, the project that turns them into
the warehouse, and whether anything changed.

Every run records the raw files it started from (``live_ops.runs.inputs``: each file's path under the raw
folder, size and modification time) and a fingerprint of the project (``live_ops.runs.project_fingerprint``:
its models, macros, seeds and dbt_project.yml). `daily` compares both with the published build's record:
- the same files, unchanged, and the same project mean nothing new to build: the published file is left
  alone;
- a new drop, a changed reference table (users.csv) or a drop rewritten in place mean a build (the landing
  then lands the new drops and stops on a landed drop that changed);
- another project (an upgrade that changed a rule or a model, or a build that recorded none) means a full
  build: an incremental one would keep the verdicts the old rules gave the rows already landed.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

DEFAULT_RAW_FOLDER = Path("seeds") / "demo"
# what turns the raw data into the warehouse: a change in any of them can change a row already built
PROJECT_PARTS = ("dbt_project.yml", "models", "macros", "seeds")


def raw_folder(project_dir: Path) -> Path:
    """The raw data folder dbt reads: $LIVE_RAW_DATA_PATH, else seeds/demo (relative to the project)."""
    folder = Path(os.environ.get("LIVE_RAW_DATA_PATH") or DEFAULT_RAW_FOLDER)
    return folder if folder.is_absolute() else project_dir / folder


def raw_inputs(folder: Path) -> dict[str, list[int]]:
    """Every file under ``folder`` (hidden ones aside): its path there → [size, modification time in ns]."""
    inputs: dict[str, list[int]] = {}
    if not folder.is_dir():
        return inputs
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        stat = path.stat()
        inputs[relative.as_posix()] = [stat.st_size, stat.st_mtime_ns]
    return inputs


def project_fingerprint(project_dir: Path) -> str:
    """A hash of the project's files that decide the warehouse's rows (PROJECT_PARTS; the demo data and other
    raw folders under seeds/ aside: they are inputs, recorded on their own)."""
    digest = hashlib.sha256()
    data_folders = [(project_dir / DEFAULT_RAW_FOLDER).resolve(), raw_folder(project_dir).resolve()]
    for part in PROJECT_PARTS:
        root = project_dir / part
        paths = [root] if root.is_file() else sorted(root.rglob("*")) if root.is_dir() else []
        for path in paths:
            if not path.is_file() or any(path.resolve().is_relative_to(folder) for folder in data_folders):
                continue
            digest.update(path.relative_to(project_dir).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


def published_record(published: Path) -> tuple[dict[str, list[int]], str | None, str] | None:
    """The published build's latest run: (its raw inputs, its project fingerprint or None when it recorded none,
    when it finished); None when the file has no readable record."""
    import duckdb

    try:
        with duckdb.connect(str(published), read_only=True) as connection:
            columns = {
                name
                for (name,) in connection.execute(
                    "select column_name from duckdb_columns() where schema_name = 'live_ops' and table_name = 'runs'"
                ).fetchall()
            }
            fingerprint = "project_fingerprint" if "project_fingerprint" in columns else "null"
            row = connection.execute(
                f"select inputs, {fingerprint}, strftime(finished_at, '%Y-%m-%d %H:%M UTC') from live_ops.runs "
                "order by finished_at desc limit 1"
            ).fetchone()
    except duckdb.Error:
        return None  # built before runs were recorded, or held by a writer: build, publish will say more
    if row is None:
        return None
    try:
        recorded = json.loads(row[0])
    except (TypeError, ValueError):
        return None
    return recorded, row[1], row[2]


def another_project(published: Path, fingerprint: str) -> str | None:
    """Why the published build must be rebuilt from every drop rather than incrementally: it was built by
    another version of the project (or recorded none); None when it was built by this one or cannot tell."""
    record = published_record(published)
    if record is None:
        return None
    _, recorded, finished = record
    if recorded == fingerprint:
        return None
    if recorded is None:
        return f"the build of {finished} recorded no project version"
    return f"the project's models, macros or seeds changed since the build of {finished}"


def nothing_new(published: Path, inputs: dict[str, list[int]], fingerprint: str) -> str | None:
    """A description of the published build when ``inputs`` are exactly the raw files it was built from and
    ``fingerprint`` its project, else None (something is new or changed, or the published file cannot tell)."""
    record = published_record(published)
    if record is None or not inputs:
        return None
    recorded, recorded_fingerprint, finished = record
    if recorded != inputs or recorded_fingerprint != fingerprint:
        return None
    drops = sorted(name for name in inputs if "received_date=" in name)
    newest = f", newest drop {drops[-1].split('/')[-2]}" if drops else ""
    return f"the build of {finished} ({len(inputs)} raw files unchanged{newest})"
