"""Stored answers: a run stores what scorecard, explain and check print for their default arguments, and
the read commands print it without MetricFlow, exactly as MetricFlow would have answered.

One module-scoped `live-metrics build` of a small generated data set. The stored-answer runs happen with
`metricflow` and `dbt` made unimportable (a package of each name, first on PYTHONPATH, that raises on
import): a command that answers at all there did not use MetricFlow, and one that needs MetricFlow fails
(which shows which way a command went without timing anything). No wall-clock assertion: speed lives in
`make bench`.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import redirect_stderr
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from conftest import HANG_GUARD_SECONDS, LAUNCHER, READ_ONLY, dbt_env
from live_metrics.generator.gen_model import GeneratorConfig
from live_metrics.generator.generate import generate_events, write_dataset
from live_metrics.ops.answers import ANSWERS_TABLE, Progress

CONFIG = GeneratorConfig(days=9, creators=4, viewers=60, seed=21)
COMMANDS = [(command, as_json) for command in ("scorecard", "explain", "check") for as_json in (False, True)]
BLOCKED = "imported on the stored-answer path"  # what the stand-in packages say when imported


@dataclass(frozen=True)
class Site:
    raw: Path
    published: Path
    target: Path
    blockers: Path  # stand-in metricflow and dbt packages that refuse to be imported
    build_seconds: float
    build_output: str

    @property
    def manifest(self) -> Path:
        return self.target / "semantic_manifest.json"

    def env(self, path: Path | None = None, *, blocked: bool = False) -> dict[str, str]:
        env = dbt_env(path or self.published, self.raw, READ_ONLY)
        if blocked:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(self.blockers), env.get("PYTHONPATH")]))
        return env

    def cli(
        self, *args: str, path: Path | None = None, blocked: bool = False, manifest: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(LAUNCHER), *args, "--manifest", str(manifest or self.manifest)],
            env=self.env(path, blocked=blocked),
            capture_output=True,
            text=True,
            timeout=HANG_GUARD_SECONDS,
            check=False,
        )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    root = tmp_path_factory.mktemp("answers")
    raw, published, target = root / "raw", root / "wh" / "live.duckdb", root / "target"
    write_dataset(generate_events(CONFIG), raw, "csv", partition_by="received_date")
    blockers = root / "blockers"
    for package in ("metricflow", "dbt"):
        (blockers / package).mkdir(parents=True)
        (blockers / package / "__init__.py").write_text(f"raise ImportError('{package} {BLOCKED}')\n", encoding="utf-8")
    env = dbt_env(published, raw)
    env.pop("LIVE_DUCKDB_ACCESS_MODE", None)  # the run sets read-write for its own steps
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, str(LAUNCHER), "build", "--warehouse", str(published), "--target-path", str(target)],
        env=env,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_SECONDS,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return Site(raw, published, target, blockers, time.monotonic() - started, result.stdout)


def command_args(command: str, as_json: bool) -> list[str]:
    return [command, *(["--json"] if as_json else [])]


def comparable(command: str, as_json: bool, stdout: str) -> str | object:
    """explain reports its own run time (text: the last line; JSON: `seconds`): everything else must match."""
    if as_json:
        document = json.loads(stdout)
        if command == "explain":
            assert isinstance(document.pop("seconds"), int | float)
        return document
    if command != "explain":
        return stdout
    assert re.search(r"\n\d+\.\d s\n$", stdout), stdout[-200:]
    return re.sub(r"\n\d+\.\d s\n$", "\n", stdout)


def same(left: object, right: object, where: str = "") -> None:
    """Equal JSON documents, but for the last bits of floats: two MetricFlow runs on the same file may sum
    a column in another order (DuckDB's parallel aggregation), as two runs of the same command do today."""
    if isinstance(left, float) and isinstance(right, float):
        assert left == right or math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-12), (where, left, right)
    elif isinstance(left, dict) and isinstance(right, dict):
        assert list(left) == list(right), where
        for key in left:
            same(left[key], right[key], f"{where}.{key}")
    elif isinstance(left, list) and isinstance(right, list):
        assert len(left) == len(right), where
        for index, (a, b) in enumerate(zip(left, right, strict=True)):
            same(a, b, f"{where}[{index}]")
    else:
        assert left == right, (where, left, right)


@pytest.fixture(scope="module")
def outputs(site: Site) -> dict[tuple[str, bool, str], subprocess.CompletedProcess[str]]:
    """Each command, text and JSON, from the stored answer (MetricFlow unimportable) and with --fresh."""
    runs = [(command, as_json, way) for command, as_json in COMMANDS for way in ("stored", "fresh")]

    def one(run: tuple[str, bool, str]) -> subprocess.CompletedProcess[str]:
        command, as_json, way = run
        if way == "stored":
            return site.cli(*command_args(command, as_json), blocked=True)
        return site.cli(*command_args(command, as_json), "--fresh")

    with ThreadPoolExecutor(max_workers=3) as pool:
        return dict(zip(runs, pool.map(one, runs), strict=True))


def test_the_run_stores_the_answers_in_the_file_it_publishes(site: Site) -> None:
    print(f"\none live-metrics build of {CONFIG}: {site.build_seconds:.0f} s")
    assert "[5/5] publish" in site.build_output
    assert re.search(r"^stored 8 answers of check, explain, scorecard in .*\.building", site.build_output, re.M)
    with duckdb.connect(str(site.published), read_only=True) as connection:
        rows = connection.execute(f"select command, arguments from {ANSWERS_TABLE} order by all").fetchall()
    assert [command for command, _ in rows] == ["check"] * 4 + ["explain"] * 2 + ["scorecard"] * 2
    keys = [json.loads(arguments) for _, arguments in rows]
    assert all(key["anomaly_window"] == 8 and key["anomaly_sigma"] == 3.0 for key in keys)


@pytest.mark.parametrize(("command", "as_json"), COMMANDS)
def test_the_stored_answer_is_what_metricflow_answers(
    outputs: dict[tuple[str, bool, str], subprocess.CompletedProcess[str]], command: str, as_json: bool
) -> None:
    stored, fresh = outputs[(command, as_json, "stored")], outputs[(command, as_json, "fresh")]
    assert fresh.returncode == 0, fresh.stdout[-2000:] + fresh.stderr[-2000:]
    assert stored.returncode == fresh.returncode, stored.stdout[-2000:] + stored.stderr[-2000:]
    assert stored.stderr == ""  # no progress, no error: answered from the file at once
    same(comparable(command, as_json, stored.stdout), comparable(command, as_json, fresh.stdout))
    if command == "check":  # the rows about the latest run are read at the time, on both paths
        assert "latest run" in stored.stdout and "live-metrics build, finished" in stored.stdout


def test_the_blocked_packages_do_stop_the_metricflow_path(site: Site) -> None:
    result = site.cli("scorecard", "--fresh", blocked=True)
    assert result.returncode != 0 and BLOCKED in result.stderr, result.stderr[-2000:]


def test_other_arguments_a_changed_manifest_or_data_take_the_metricflow_path(site: Site, tmp_path: Path) -> None:
    """Each case runs with MetricFlow unimportable: failing with the stand-in's message shows it did not
    use a stored answer."""

    def takes_metricflow(result: subprocess.CompletedProcess[str]) -> bool:
        return result.returncode != 0 and BLOCKED in result.stderr

    assert takes_metricflow(site.cli("scorecard", "--grain", "day", blocked=True))
    assert takes_metricflow(site.cli("scorecard", "--metric", "live_viewers", blocked=True))
    assert takes_metricflow(site.cli("explain", "--anomaly-sigma", "2", blocked=True))
    assert takes_metricflow(site.cli("check", "--anomaly-window", "4", blocked=True))
    # explain's --top shapes the text only; check's flags have answers of their own
    for args in (["explain", "--json", "--top", "5"], ["check", "--fail-on-breach", "--skip-validate"]):
        result = site.cli(*args, blocked=True)
        assert result.returncode in (0, 1) and result.stderr == "", result.stderr[-2000:]

    changed = tmp_path / "semantic_manifest.json"
    changed.write_text(site.manifest.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # same meaning
    assert takes_metricflow(site.cli("scorecard", blocked=True, manifest=changed))

    copy = tmp_path / "copy" / "live.duckdb"
    copy.parent.mkdir()
    shutil.copyfile(site.published, copy)
    with duckdb.connect(str(copy)) as connection:  # the data changed after the answers were stored
        connection.execute(
            "delete from marts.fct_comments where comment_id = (select min(comment_id) from marts.fct_comments)"
        )
    assert takes_metricflow(site.cli("scorecard", path=copy, blocked=True))
    with duckdb.connect(str(copy)) as connection:  # a file without answers (as plain dbt builds it)
        connection.execute(f"drop table {ANSWERS_TABLE}")
    assert takes_metricflow(site.cli("check", path=copy, blocked=True))


def test_only_a_run_stores_answers(site: Site, tmp_path: Path) -> None:
    """export --store-answers refuses the published file, and a work file no run holds, in one line."""
    for path, words in (
        (site.published, "writes only into a run's work file"),
        (tmp_path / ".building" / "live.duckdb", "no run holds"),
    ):
        if not path.exists():
            path.parent.mkdir(parents=True)
            shutil.copyfile(site.published, path)
        env = site.env(path) | {"LIVE_DUCKDB_ACCESS_MODE": "read_write"}
        result = subprocess.run(
            [sys.executable, str(LAUNCHER), "export", "--store-answers", "--out", str(tmp_path / "tree")]
            + ["--manifest", str(site.manifest)],
            env=env,
            capture_output=True,
            text=True,
            timeout=HANG_GUARD_SECONDS,
            check=False,
        )
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert result.returncode == 2 and len(lines) == 1 and words in lines[0], result.stderr


def test_progress_waits_for_the_delay_then_names_each_stage() -> None:
    err = io.StringIO()
    with redirect_stderr(err):
        with Progress("scorecard", delay=3600, shown=True) as quiet:
            quiet.stage("starting MetricFlow")
        with Progress("scorecard", delay=0, shown=False) as piped:
            piped.stage("not a terminal: nothing said")
        with Progress("scorecard", delay=0, shown=True) as progress:
            progress.stage("querying MetricFlow: 70 metrics by week")
            progress.stage("querying MetricFlow: 70 metrics by week")
            progress.stage("splitting the change")
    lines = err.getvalue().splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith("scorecard: querying MetricFlow: 70 metrics by week … (")
    assert lines[1].startswith("scorecard: splitting the change … (")
