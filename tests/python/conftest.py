"""Shared fixtures: one warehouse built from the demo data per test session.

The ``warehouse`` fixture runs ``dbt build`` (models, seeds, data tests and unit
tests) into a DuckDB file in a temporary folder, so tests never touch the
user's warehouse, and fails the session with dbt's own summary if the build fails.
Set LIVE_RAW_DATA_PATH / LIVE_RAW_FORMAT to build from other raw data.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_DATA = REPO_ROOT / "seeds" / "demo"


@dataclass(frozen=True)
class Warehouse:
    """A built warehouse: its DuckDB file, dbt target folder and the raw data it was built from."""

    duckdb_path: Path
    target_path: Path
    raw_data_path: Path
    build_seconds: float

    @property
    def semantic_manifest(self) -> Path:
        return self.target_path / "semantic_manifest.json"

    @property
    def build_results(self) -> Path:
        """The build's run_results.json, kept aside (later dbt commands on target_path replace the original)."""
        return self.target_path.parent / "build_run_results.json"


READ_WRITE, READ_ONLY = "read_write", "read_only"


def dbt_env(duckdb_path: Path, raw_data_path: Path, access_mode: str = READ_WRITE) -> dict[str, str]:
    """The environment of the repo's project on ``duckdb_path``, opened ``access_mode`` (builds write: read_write).

    The profile opens the file read-only unless LIVE_DUCKDB_ACCESS_MODE says otherwise; readers pass READ_ONLY.
    """
    env = dict(os.environ)
    env.update(
        DBT_PROFILES_DIR=str(REPO_ROOT),
        LIVE_DUCKDB_PATH=str(duckdb_path),
        LIVE_DUCKDB_ACCESS_MODE=access_mode,
        LIVE_RAW_DATA_PATH=str(raw_data_path),
        DBT_SEND_ANONYMOUS_USAGE_STATS="False",
    )
    return env


LAUNCHER = REPO_ROOT / "scripts" / "live-metrics"

# A guard against a hung process, never a measure of speed: on a busy 2-core machine (the stories run beside
# the rest of the suite) a build that takes 3 minutes alone can take 15, and that must not fail a test.
# Every wait in the suite on a process doing real work uses it; speed lives in `make bench`.
HANG_GUARD_SECONDS = 3600

# The tests' runs export a page no person reads: only its latest period (export's LIVE_EXPORT_PERIODS; every
# export on the demo about 5 s faster, dozens of them in the suite). The tests of the period picker ask
# for every period (test_tree_page's demo page).
os.environ.setdefault("LIVE_EXPORT_PERIODS", "latest")


def run_with_env(command: list[str], env: dict[str, str], cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    """Run ``command`` in ``env``, capturing its output (HANG_GUARD_SECONDS at most)."""
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=HANG_GUARD_SECONDS
    )


def run_against(
    warehouse: Warehouse, command: list[str], cwd: Path = REPO_ROOT, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` (a reader: the file opened read-only) on ``warehouse`` (plus ``env``), capturing its output."""
    return run_with_env(command, {**dbt_env(warehouse.duckdb_path, warehouse.raw_data_path, READ_ONLY), **env}, cwd)


def launch(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The real `scripts/live-metrics` launcher with ``args``, in ``env``."""
    return run_with_env([sys.executable, str(LAUNCHER), *args], env)


# Variables that would point the CLI at the caller's project or data instead of a test's own.
PROJECT_ENV_VARS = (
    "DBT_PROFILES_DIR",
    "DBT_PROJECT_DIR",
    "LIVE_DUCKDB_PATH",
    "LIVE_DUCKDB_ACCESS_MODE",
    "LIVE_RAW_DATA_PATH",
    "LIVE_RAW_FORMAT",
)


def launch_clean(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = HANG_GUARD_SECONDS
) -> subprocess.CompletedProcess[str]:
    """The real launcher with ``args``, in an environment free of the caller's project settings (plus ``env``)."""
    clean_env = {key: value for key, value in os.environ.items() if key not in PROJECT_ENV_VARS}
    clean_env.update(env or {})
    return subprocess.run(
        [sys.executable, str(LAUNCHER), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env=clean_env,
        check=False,
    )


def run_cli(warehouse: Warehouse, *args: str, manifest: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`live-metrics ARGS --manifest M` on ``warehouse`` (M: its semantic manifest unless given).

    The profile opens the file read-only (materialize asks for read-write itself).
    """
    manifest = manifest or warehouse.semantic_manifest
    env = dbt_env(warehouse.duckdb_path, warehouse.raw_data_path, READ_ONLY)
    return launch(env, *args, "--manifest", str(manifest))


def dbt_process(
    args: list[str],
    duckdb_path: Path,
    raw_data_path: Path,
    target_path: Path,
    log_path: Path,
    unit_tests: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run dbt with the repo's project and profile and return the finished process, whatever its exit.

    A `build` leaves out the unit tests unless ``unit_tests``: they test the code, not the data, and the
    session's demo warehouse (the ``warehouse`` fixture) and the Spark build run every one of them.

    dbt runs in the DuckDB file's folder with the file named relative to it (``live.duckdb``), so that the
    profile, which dbt's saved parse must match, is the same for every warehouse of that name: the session's
    shared parse (PARSE_SEED_ENV) then spares each build most of its parse.
    """
    dbt = Path(sys.executable).parent / "dbt"
    duckdb_path = Path(duckdb_path).resolve()
    command = [str(dbt), *args, "--project-dir", str(REPO_ROOT)]
    command += ["--target-path", str(Path(target_path).resolve()), "--log-path", str(Path(log_path).resolve())]
    if args[:1] == ["build"] and not unit_tests:
        command += ["--exclude-resource-type", "unit_test"]
    duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        command,
        cwd=duckdb_path.parent,
        env=dbt_env(Path(duckdb_path.name), Path(raw_data_path).resolve()),
        capture_output=True,
        text=True,
        check=False,
    )


# dbt's saved parse (partial_parse.msgpack) of the project for a warehouse named live.duckdb opened read-write,
# made once per test session and read by every dbt the suite starts (dbt's DBT_PARTIAL_PARSE_FILE_PATH; dbt still
# writes its own into each target folder). dbt checks it against the project's files and the profile, and
# parses again whatever differs, so a build whose profile differs (another file name, the Spark target, the
# incremental memory limit) simply parses in full, as without it. A full parse costs ~8 CPU-s; the suite
# runs about a hundred builds.
PARSE_SEED_ENV = "DBT_PARTIAL_PARSE_FILE_PATH"


def seed_dbt_parse() -> Path | None:
    """Parse the project once into a temporary folder and point PARSE_SEED_ENV at it; the folder (None when
    PARSE_SEED_ENV was set already, by the pytest that started this one)."""
    import tempfile

    if os.environ.get(PARSE_SEED_ENV):
        return None
    root = Path(tempfile.mkdtemp(prefix="live-parse-"))
    completed = dbt_process(["parse"], root / "live.duckdb", DEMO_DATA, root / "target", root / "logs")
    seed = root / "target" / "partial_parse.msgpack"
    if completed.returncode == 0 and seed.is_file():
        os.environ[PARSE_SEED_ENV] = str(seed)
    return root


PARSE_SEED_KEY = pytest.StashKey[Path]()


def run_dbt(
    args: list[str],
    duckdb_path: Path,
    raw_data_path: Path,
    target_path: Path,
    log_path: Path,
    unit_tests: bool = False,
) -> str:
    """Run dbt with the repo's project and profile; return its output, fail the test on a non-zero exit."""
    completed = dbt_process(args, duckdb_path, raw_data_path, target_path, log_path, unit_tests)
    if completed.returncode != 0:
        tail = "\n".join(completed.stdout.splitlines()[-40:])
        pytest.fail(f"dbt {' '.join(args)} failed (exit {completed.returncode}):\n{tail}", pytrace=False)
    return completed.stdout


def same_row(left: tuple, right: tuple) -> bool:
    """Equal, floats up to summation order (relative 1e-9)."""
    return len(left) == len(right) and all(
        a == b or (isinstance(a, float) and isinstance(b, float) and math.isclose(a, b, rel_tol=1e-9))
        for a, b in zip(left, right, strict=True)
    )


def same_rows(left: list[tuple], right: list[tuple]) -> bool:
    """The same rows in the same order, each equal by same_row."""
    return len(left) == len(right) and all(same_row(a, b) for a, b in zip(left, right, strict=True))


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    import time

    root = tmp_path_factory.mktemp("warehouse")
    raw_data_path = Path(os.environ.get("LIVE_RAW_DATA_PATH", DEMO_DATA)).resolve()
    duckdb_path = root / "live.duckdb"
    target_path = root / "target"
    started = time.perf_counter()
    run_dbt(["build"], duckdb_path, raw_data_path, target_path, root / "logs", unit_tests=True)
    (root / "build_run_results.json").write_bytes((target_path / "run_results.json").read_bytes())
    return Warehouse(
        duckdb_path=duckdb_path,
        target_path=target_path,
        raw_data_path=raw_data_path,
        build_seconds=time.perf_counter() - started,
    )


# ---------------------------------------------------------------------------------------------------
# The Spark run (tests/python/test_spark_engine.py)
#
# A `dbt build --target spark` takes minutes, most of them Spark planning small queries on one driver thread
# and JVM start-ups, so the suite runs Spark once: tests/python/spark_incremental.py (the landing and the gate
# from 7 daily drops, then the whole project built, tested and materialized with drop 8) starts as soon as
# collection is done, in the background, and overlaps the DuckDB tests; the Spark tests (last in the run)
# wait for it. LIVE_SKIP_SPARK=1 (or no Java) skips them.

SPARK_TEST_MODULE = "test_spark_engine.py"
SPARK_STEP = "incremental"
# The run's JVMs (two dbt builds, materialize, the parquet copy) each live a minute or two: the client JIT compiler
# only and the serial garbage collector spend less CPU on such short runs than the server defaults (measured on
# the run alone: 384 CPU-s against 468, the same wall time), CPU the rest of the suite uses meanwhile.
SHORT_RUN_JVM_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"


@dataclass
class SparkBuilds:
    """The background Spark run: spark_incremental.py's folder (raw drops, its Spark home, target, parquet)."""

    root: Path
    process: subprocess.Popen[bytes]

    @property
    def run_root(self) -> Path:
        return self.root / SPARK_STEP

    @property
    def home(self) -> Path:
        return self.run_root / "spark"

    @property
    def target_path(self) -> Path:
        return self.run_root / "target"

    @property
    def semantic_manifest(self) -> Path:
        return self.target_path / "semantic_manifest.json"

    def env(self) -> dict[str, str]:
        return spark_env(self.home)

    def wait(self, timeout: float = HANG_GUARD_SECONDS) -> None:
        """Wait for the run; fail with its log's tail if it failed."""
        import time

        deadline = time.monotonic() + timeout
        code_file = self.root / f"{SPARK_STEP}.rc"
        while not code_file.exists() and self.process.poll() is None and time.monotonic() < deadline:
            time.sleep(2)
        code = code_file.read_text().strip() if code_file.exists() else "no exit code"
        if code != "0":
            log = self.root / f"{SPARK_STEP}.log"
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-40:]) if log.exists() else "(no log)"
            pytest.fail(f"the background Spark run failed ({code}):\n{tail}", pytrace=False)


def spark_env(home: Path) -> dict[str, str]:
    """The environment of a Spark run of the repo's project: the demo data, the Spark home, UTC."""
    env = dbt_env(home.parent / "unused.duckdb", DEMO_DATA)
    env.update(LIVE_SPARK_HOME=str(home), TZ="UTC", SPARK_LOCAL_IP="127.0.0.1")
    return env


def spark_unavailable() -> str | None:
    """Why the Spark tests cannot run here (None when they can)."""
    import shutil

    if os.environ.get("LIVE_SKIP_SPARK"):
        return "LIVE_SKIP_SPARK is set"
    if shutil.which("java") is None:
        return "no Java on PATH (make java installs it)"
    return None


SPARK_BUILDS_KEY = pytest.StashKey[SparkBuilds]()

BACKGROUND_MODULE = "test_background_stories.py"
STORY_DIR = Path(__file__).parent / "background"
STORIES = tuple(sorted(path.name for path in STORY_DIR.glob("story_*.py")))
# The stories run in chains, one pytest each, side by side: one chain was the suite's critical path (about
# 23 minutes of mostly waiting on subprocesses while the suite used about one of the two cores). Balanced by
# their measured length beside the rest of the suite (wall seconds, clean clone at 3c65cce): the bench (790)
# and the answers (241); the incremental story (821) and the drops' integrity (179); then the others: the
# hostile input (442), the long run (339) and the operations (313). A story not named here joins the last chain.
# (Measured at c81e1bd, moving the operations beside the incremental story left one chain running alone for
# the last ~4 minutes: pytest 20:31, against 18:52 with these chains.)
STORY_CHAINS = (
    ("story_bench.py", "story_answers.py"),
    ("story_incremental.py", "story_drop_integrity.py"),
)


def story_chains(stories: Sequence[str]) -> list[tuple[str, ...]]:
    """``stories`` split into the STORY_CHAINS (those present) and one chain of the rest."""
    named = {story for chain in STORY_CHAINS for story in chain}
    chains = [tuple(story for story in chain if story in stories) for chain in STORY_CHAINS]
    chains.append(tuple(story for story in stories if story not in named))
    return [chain for chain in chains if chain]


@dataclass
class StoryChain:
    """One pytest over some background/story_*.py files, started at collection."""

    stories: tuple[str, ...]
    root: Path
    process: subprocess.Popen[bytes]


@dataclass
class BackgroundStories:
    """The background/story_*.py pytests, one per chain, started at collection (test_background_stories)."""

    chains: list[StoryChain]

    def require_passed(self, story: str, timeout: float = HANG_GUARD_SECONDS) -> None:
        """Wait for the pytest that runs ``story``; fail unless ``story`` ran tests and none failed."""
        import xml.etree.ElementTree as ElementTree

        chain = next(chain for chain in self.chains if story in chain.stories)
        try:
            chain.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the background stories did not finish in {timeout:.0f} s", pytrace=False)
        log = (chain.root / "pytest.log").read_text(errors="replace")
        report = chain.root / "junit.xml"
        if not report.exists():
            pytest.fail(f"the background stories' pytest wrote no report:\n{log[-4000:]}", pytrace=False)
        cases = [
            case
            for case in ElementTree.parse(report).iter("testcase")
            if case.get("classname", "").split(".")[-1] == story.removesuffix(".py")
        ]
        failed = [
            case.get("name") for case in cases if case.find("failure") is not None or case.find("error") is not None
        ]
        assert cases, f"{story} ran no test:\n{log[-4000:]}"
        if failed:
            pytest.fail(
                f"{story}: {len(failed)} of {len(cases)} failed ({', '.join(failed)}):\n{log[-6000:]}", pytrace=False
            )


BACKGROUND_KEY = pytest.StashKey[BackgroundStories]()


# Markers (pyproject.toml), set here from what a test needs, so `make test-fast` (pytest -m "not warehouse and
# not spark and not browser and not slow") runs what needs no build, in well under a minute:
#   warehouse  the session's demo warehouse (its dbt build)
#   spark      Spark (the Spark builds, a Spark session)
#   browser    headless Chromium
#   slow       a build of its own data, a run of the pipeline, or the background stories
SPARK_MODULES = frozenset({"test_spark_engine.py", "test_spark_metrics.py"})
SLOW_MODULES = frozenset(
    {
        "test_background_stories.py",
        "test_calendar.py",
        "test_daily_drops.py",
        "test_real_data_semantics.py",
    }
)
SLOW_TESTS = frozenset({"test_end_to_end_on_a_tiny_warehouse"})


def _markers(item: pytest.Item) -> list[str]:
    fixtures = set(getattr(item, "fixturenames", ()))
    name = getattr(item, "originalname", item.name)
    marks = []
    if "warehouse" in fixtures:
        marks.append("warehouse")
    if item.path.name in SPARK_MODULES or any(fixture.startswith("spark") for fixture in fixtures):
        marks.append("spark")
    if name.startswith("test_browser_"):
        marks.append("browser")
    if item.path.name in SLOW_MODULES or name in SLOW_TESTS:
        marks.append("slow")
    return marks


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Markers from what each test needs; the tests waiting for the background stories run last, after
    everything they overlap with."""
    for item in items:
        for marker in _markers(item):
            item.add_marker(marker)
    items.sort(key=lambda item: item.path.name == BACKGROUND_MODULE)


def start_background_stories(session: pytest.Session) -> None:
    import tempfile

    if not any(item.path.name == BACKGROUND_MODULE for item in session.items):
        return
    chains = []
    for stories in story_chains(STORIES):
        root = Path(tempfile.mkdtemp(prefix="live-stories-"))
        command = [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-ra",
            f"--junitxml={root / 'junit.xml'}",
        ]
        command += [str(STORY_DIR / story) for story in stories]
        with (root / "pytest.log").open("wb") as log:
            process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
        chains.append(StoryChain(stories=stories, root=root, process=process))
    session.config.stash[BACKGROUND_KEY] = BackgroundStories(chains=chains)


@pytest.fixture(scope="session")
def background_stories(request: pytest.FixtureRequest) -> BackgroundStories:
    stories = request.config.stash.get(BACKGROUND_KEY, None)
    assert stories is not None, "the background stories were not started at collection"
    return stories


def pytest_collection_finish(session: pytest.Session) -> None:
    if any(item.get_closest_marker(mark) for item in session.items for mark in ("warehouse", "slow", "spark")):
        seed = seed_dbt_parse()  # before the background runs start: they inherit it
        if seed is not None:
            session.config.stash[PARSE_SEED_KEY] = seed
    start_background_stories(session)
    start_spark_builds(session)


def start_spark_builds(session: pytest.Session) -> None:
    import shlex
    import tempfile

    if spark_unavailable() or not any(item.path.name == SPARK_TEST_MODULE for item in session.items):
        return
    root = Path(tempfile.mkdtemp(prefix="live-spark-"))
    command = [sys.executable, str(Path(__file__).parent / "spark_incremental.py"), str(root / SPARK_STEP)]
    log, code = (shlex.quote(str(root / f"{SPARK_STEP}.{suffix}")) for suffix in ("log", "rc"))
    script = f"{shlex.join(command)} > {log} 2>&1; echo $? > {code}"
    env = {**spark_env(root / SPARK_STEP / "spark"), "JAVA_TOOL_OPTIONS": SHORT_RUN_JVM_OPTIONS}
    process = subprocess.Popen(["sh", "-c", script], cwd=REPO_ROOT, env=env)
    session.config.stash[SPARK_BUILDS_KEY] = SparkBuilds(root=root, process=process)


def pytest_sessionfinish(session: pytest.Session) -> None:
    import shutil

    seed = session.config.stash.get(PARSE_SEED_KEY, None)
    if seed is not None:
        os.environ.pop(PARSE_SEED_ENV, None)
        shutil.rmtree(seed, ignore_errors=True)

    stories = session.config.stash.get(BACKGROUND_KEY, None)
    for chain in stories.chains if stories is not None else []:
        if chain.process.poll() is None:
            chain.process.kill()
            chain.process.wait()
        shutil.rmtree(chain.root, ignore_errors=True)

    builds = session.config.stash.get(SPARK_BUILDS_KEY, None)
    if builds is None:
        return
    if builds.process.poll() is None:
        builds.process.kill()
        builds.process.wait()
    shutil.rmtree(builds.root, ignore_errors=True)


@pytest.fixture(scope="session")
def spark_builds(request: pytest.FixtureRequest) -> SparkBuilds:
    """The background Spark chain (skips when Spark cannot run here)."""
    reason = spark_unavailable()
    if reason:
        pytest.skip(f"Spark tests skipped: {reason}")
    builds = request.config.stash.get(SPARK_BUILDS_KEY, None)
    assert builds is not None, "the Spark builds were not started at collection"
    return builds


@pytest.fixture(scope="session")
def spark_build(spark_builds: SparkBuilds) -> SparkBuilds:
    """The Spark run, finished and passed."""
    spark_builds.wait()
    return spark_builds
