"""What a run reads: the raw files, with their size and modification time, and whether anything changed.

Every run records the raw files it started from (``live_ops.runs.inputs``: each file's path under the raw
folder, size and modification time). `daily` compares the files present with the published build's
record: the same files, unchanged, means nothing new to build, and the published file is left alone.
A new drop, a changed reference table (users.csv) or a drop rewritten in place all mean a build (the
landing then lands the new drops and stops on a landed drop that changed).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

DEFAULT_RAW_FOLDER = Path("seeds") / "demo"


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


def nothing_new(published: Path, inputs: dict[str, list[int]]) -> str | None:
    """A description of the published build when ``inputs`` are exactly the raw files it was built from,
    else None (something is new or changed, or the published file cannot tell)."""
    import duckdb

    try:
        with duckdb.connect(str(published), read_only=True) as connection:
            row = connection.execute(
                "select inputs, strftime(finished_at, '%Y-%m-%d %H:%M UTC') from live_ops.runs "
                "order by finished_at desc limit 1"
            ).fetchone()
    except duckdb.Error:
        return None  # built before runs were recorded, or held by a writer: build, publish will say more
    if row is None or not inputs:
        return None
    try:
        recorded = json.loads(row[0])
    except (TypeError, ValueError):
        return None
    if recorded != inputs:
        return None
    drops = sorted(name for name in inputs if "received_date=" in name)
    newest = f", newest drop {drops[-1].split('/')[-2]}" if drops else ""
    return f"the build of {row[1]} ({len(inputs)} raw files unchanged{newest})"
