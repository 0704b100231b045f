"""Readers share the published warehouse: every command that only reads opens the DuckDB file read-only.

A BI tool holds the file read-only (here: a subprocess) while the read commands run, all at once, through
their real entry points (the `live-metrics` launcher, `mf`, `dbt show`, `dbt docs generate`): each exits 0,
prints real content, and says nothing of a lock; meanwhile new read-only connections keep opening (a BI tool
refreshing), and none is refused, some while `scorecard` runs. A hand-run `dbt run` on the file fails, saying
it is read-only. `materialize` still writes (it asks for a read-write connection itself), and a
read command on a missing file says, in one line, to run `make run`.

Nothing is built here: the session's demo warehouse is copied to a file named live.duckdb (DuckDB names the
database after the file, and the semantic manifest's relations carry that name).
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from conftest import HANG_GUARD_SECONDS, LAUNCHER, READ_ONLY, REPO_ROOT, Warehouse, dbt_env, launch, run_with_env

BIN = Path(sys.executable).parent

HOLD_READ_ONLY = """
import sys, time, duckdb
connection = duckdb.connect(sys.argv[1], read_only=True)
connection.execute("select count(*) from information_schema.tables").fetchall()
print("held", flush=True)
time.sleep(600)
"""


@dataclass(frozen=True)
class Reader:
    """A copy of the demo warehouse, held read-only by another process (a BI tool) for the module's tests."""

    duckdb_path: Path
    warehouse: Warehouse
    holder: subprocess.Popen[str]
    root: Path

    def env(self) -> dict[str, str]:
        return dbt_env(self.duckdb_path, self.warehouse.raw_data_path, READ_ONLY)

    def cli(self, *args: str, manifest: bool = True) -> list[str]:
        return [
            sys.executable,
            str(LAUNCHER),
            *args,
            *(["--manifest", str(self.warehouse.semantic_manifest)] * manifest),
        ]

    @property
    def dbt_target(self) -> Path:
        return self.root / "dbt" / "target"

    def dbt(self, *args: str) -> list[str]:
        """dbt ``args`` on the module's own target folder (the runs after the first parse partially)."""
        folders = ["--target-path", str(self.dbt_target), "--log-path", str(self.root / "dbt" / "logs")]
        return [str(BIN / "dbt"), *args, *folders]

    def mf_project(self) -> Path:
        """`mf` reads <project>/target/semantic_manifest.json: a shadow project whose target/ is the build's."""
        project = self.root / "mf_project"
        if not project.exists():
            project.mkdir()
            (project / "dbt_project.yml").symlink_to(REPO_ROOT / "dbt_project.yml")
            (project / "target").symlink_to(self.warehouse.target_path, target_is_directory=True)
        return project


def copy_warehouse(warehouse: Warehouse, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / "live.duckdb"
    shutil.copyfile(warehouse.duckdb_path, copy)
    return copy


def start_holder(path: Path) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_READ_ONLY, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held", holder.stderr
    return holder


@pytest.fixture(scope="module")
def reader(warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reader]:
    root = tmp_path_factory.mktemp("readers")
    path = copy_warehouse(warehouse, root / "published")
    holder = start_holder(path)
    try:
        yield Reader(duckdb_path=path, warehouse=warehouse, holder=holder, root=root)
    finally:
        holder.kill()
        holder.wait(timeout=HANG_GUARD_SECONDS)


LOCK_WORDS = re.compile(r"\block(?:ed|s)?\b", re.I)  # "lock", "locked" ("block_reason" is a dimension)
NORTH_STAR_ROW = re.compile(r"^(\w+)\s+\w+\s+north_star\s+\$?[\d,]+(?:\.\d+)?\b", re.M)


@dataclass
class Running:
    """One read command started in the background, its output going to files (no pipe to fill up)."""

    label: str
    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path

    def finish(self, timeout: float) -> tuple[int, str, str]:
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        return code, self.stdout.read_text(errors="replace"), self.stderr.read_text(errors="replace")


def start(reader: Reader, label: str, command: list[str], cwd: Path = REPO_ROOT, **env: str) -> Running:
    out, err = reader.root / f"{label}.out", reader.root / f"{label}.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            command, cwd=cwd, env={**reader.env(), **env}, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr
        )
    return Running(label, process, out, err)


def test_every_read_command_runs_beside_a_bi_tool_and_each_other(reader: Reader) -> None:
    """All the read commands at once, while a BI tool holds the file read-only and another keeps opening new
    read-only connections (a dashboard refreshing): every command exits 0 with real content and no word of a
    lock, and no connection is refused, one at least while the scorecard ran."""
    with duckdb.connect(str(reader.duckdb_path), read_only=True) as connection:
        creator_id = str(connection.execute("select min(creator_id) from marts.dim_creators").fetchall()[0][0])
    project = reader.mf_project()
    docs_generate, dbt_show = reader.dbt("docs", "generate"), reader.dbt("show", "--select", "dim_creators")
    mf = {"cwd": project, "DBT_PROJECT_DIR": str(project)}
    runs = [
        start(reader, "scorecard", reader.cli("scorecard")),
        start(reader, "explain", reader.cli("explain")),
        start(reader, "check", reader.cli("check")),
        start(reader, "export", reader.cli("export", "--out", str(reader.root / "tree"))),
        start(reader, "creator", reader.cli("creator", creator_id, manifest=False)),
        start(reader, "mf_list", [str(BIN / "mf"), "list", "metrics"], **mf),
        start(
            reader,
            "mf_query",
            [str(BIN / "mf"), "query", "--metrics", "live_viewers", "--group-by", "metric_time"],
            **mf,
        ),
        # one after the other (one target folder, parsed once): `make docs`, then a model previewed
        start(reader, "dbt", ["sh", "-ec", " && ".join(map(shlex.join, [docs_generate, dbt_show]))]),
    ]
    scorecard = runs[0].process
    opened_while_scorecard_ran, attempts, refused = 0, 0, []

    def refresh() -> None:
        nonlocal opened_while_scorecard_ran, attempts
        while any(run.process.poll() is None for run in runs):
            attempts += 1
            try:
                with duckdb.connect(str(reader.duckdb_path), read_only=True) as connection:
                    connection.execute("select count(*) from marts.dim_creators").fetchall()
                    if scorecard.poll() is None:  # the scorecard was running while this connection was open
                        opened_while_scorecard_ran += 1
            except duckdb.Error as error:
                refused.append(str(error).splitlines()[0])
            time.sleep(0.05)  # a BI tool refreshing, not a tight loop competing for the cores

    thread = threading.Thread(target=refresh)
    thread.start()
    try:
        results = {run.label: run.finish(timeout=HANG_GUARD_SECONDS) for run in runs}
    finally:
        for run in runs:
            if run.process.poll() is None:
                run.process.kill()
        thread.join(timeout=HANG_GUARD_SECONDS)

    problems = []
    for label, (code, stdout, stderr) in results.items():
        output = stdout + stderr
        if code != 0 or LOCK_WORDS.search(output) or "Traceback" in output:
            problems.append(f"{label} (exit {code}):\n{output[-1500:]}")
    assert not problems, "\n\n".join(problems)
    assert reader.holder.poll() is None, "the BI tool's read-only connection died"
    assert not refused, f"{len(refused)} of {attempts} new read-only connections refused: {refused[:3]}"
    assert opened_while_scorecard_ran >= 1, f"no connection opened while the scorecard ran ({attempts} attempts)"

    out = {label: stdout for label, (_, stdout, _) in results.items()}
    row = NORTH_STAR_ROW.search(out["scorecard"])  # the north star's row, with its value
    assert row, out["scorecard"]
    assert re.search(rf"^Why {row.group(1)} moved:", out["explain"], re.M), out["explain"]
    assert re.search(rf"^{row.group(1)}: [\d,.]+ → [\d,.]+", out["explain"], re.M), out["explain"]
    assert "check passed" in out["check"], out["check"]
    assert re.search(r"north star [\d,.]+", out["export"]), out["export"]
    assert (reader.root / "tree" / "metric_tree.html").stat().st_size > 0
    assert f"Creator {creator_id}" in out["creator"], out["creator"]
    assert row.group(1) in out["mf_list"], out["mf_list"]
    assert re.search(r"^\s*2\d{3}-\d\d-\d\dT00:00:00\s+\d+\s*$", out["mf_query"], re.M), out["mf_query"]
    assert "Catalog written" in out["dbt"] and (reader.dbt_target / "catalog.json").stat().st_size > 0, out["dbt"]
    assert re.search(r"\|\s*u_\d+", out["dbt"]), out["dbt"]  # dim_creators' rows


def test_a_dbt_run_on_the_read_only_file_fails_and_says_why(reader: Reader) -> None:
    result = run_with_env(reader.dbt("run", "--select", "metricflow_time_spine"), reader.env())
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert "read-only mode" in output, output[-3000:]
    assert reader.holder.poll() is None


def test_materialize_still_writes(warehouse: Warehouse, tmp_path: Path) -> None:
    """The profile opens the file read-only; materialize asks for a read-write connection itself."""
    path = copy_warehouse(warehouse, tmp_path)
    with duckdb.connect(str(path)) as connection:
        connection.execute("drop schema if exists metrics cascade")
    env = dbt_env(path, warehouse.raw_data_path, READ_ONLY)
    result = launch(
        env, "materialize", "--saved-query", "guardrails_daily", "--manifest", str(warehouse.semantic_manifest)
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    with duckdb.connect(str(path), read_only=True) as connection:
        definitions = connection.execute("select count(*) from metrics.metric_definitions").fetchall()[0][0]
        days = connection.execute("select count(*) from metrics.guardrails_daily").fetchall()[0][0]
    assert definitions > 0 and days > 0


@pytest.mark.parametrize("command", [["scorecard", "--manifest", "MANIFEST"], ["creator", "u_000001"]])
def test_a_read_command_on_a_missing_file_names_make_run(
    warehouse: Warehouse, tmp_path: Path, command: list[str]
) -> None:
    missing = tmp_path / "live.duckdb"
    env = dbt_env(missing, warehouse.raw_data_path, READ_ONLY)
    result = launch(env, *[str(warehouse.semantic_manifest) if arg == "MANIFEST" else arg for arg in command])
    assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert str(missing) in lines[0] and "make run" in lines[0], lines[0]
    assert not missing.exists()
