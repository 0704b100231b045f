"""Where a warehouse's files live: the published file readers open, and the work folder runs write in.

    warehouse/live.duckdb                      the published warehouse (readers open it read-only)
    warehouse/live_metric_tree/                the metric tree exported from it (published with it)
    warehouse/.building/live.duckdb            the work file a run builds (same name: DuckDB names the
                                               database after its file, and the manifest carries that name)
    warehouse/.building/live.duckdb.finished   written after a run's last step succeeded; publish needs it
    warehouse/.building/live.duckdb.lock       the run lock (runlock.py)
    warehouse/.building/live_metric_tree/      the tree exported from the work file
    warehouse/.building/live_dbt.log           the last run's dbt output

Outputs sit beside the warehouse they came from, so a run against another LIVE_DUCKDB_PATH never
replaces the demo's tree.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

WORK_FOLDER = ".building"
DEFAULT_WAREHOUSE = Path("warehouse") / "live.duckdb"


@dataclass(frozen=True)
class Layout:
    published: Path

    @classmethod
    def from_env(cls, project_dir: Path, given: Path | None = None) -> Layout:
        """The layout of ``given``, else of $LIVE_DUCKDB_PATH, else of warehouse/live.duckdb in the project."""
        path = given or Path(os.environ.get("LIVE_DUCKDB_PATH") or project_dir / DEFAULT_WAREHOUSE)
        return cls(published=(project_dir / path).resolve() if not path.is_absolute() else path.resolve())

    @property
    def work_dir(self) -> Path:
        return self.published.parent / WORK_FOLDER

    @property
    def work(self) -> Path:
        return self.work_dir / self.published.name

    @property
    def finished(self) -> Path:
        return self.work.with_name(self.work.name + ".finished")

    @property
    def lock(self) -> Path:
        return self.work.with_name(self.work.name + ".lock")

    @property
    def work_tree(self) -> Path:
        return self.work_dir / f"{self.published.stem}_metric_tree"

    @property
    def published_tree(self) -> Path:
        return self.published.parent / f"{self.published.stem}_metric_tree"

    @property
    def dbt_log(self) -> Path:
        return self.work_dir / f"{self.published.stem}_dbt.log"


def wal(path: Path) -> Path:
    """DuckDB's write-ahead log beside ``path``."""
    return path.with_name(path.name + ".wal")


def is_work_file(path: Path) -> bool:
    """True for a file in a work folder (warehouse/.building/): a build's, not one readers open."""
    return path.resolve().parent.name == WORK_FOLDER


def refuse_to_write_published(path: Path, command: str) -> None:
    """A one-line ``UserError`` when ``path`` is a published warehouse: one a run built (it has
    ``live_ops.runs``) outside a work folder. Only a run writes, into its work file; readers hold the
    published file and a writer would lock them out."""
    import duckdb

    from live_metrics.errors import UserError

    if is_work_file(path) or not path.is_file():
        return
    try:
        with duckdb.connect(str(path), read_only=True) as connection:
            published = connection.execute(
                "select count(*) from duckdb_tables() where schema_name = 'live_ops' and table_name = 'runs'"
            ).fetchone()[0]
    except duckdb.Error:
        return  # the caller's own open says what is wrong
    if published:
        raise UserError(
            f"{path} is the published warehouse that readers open: {command} writes only into a build "
            "(`make run` and `make daily` do it before they publish)"
        )
