"""MetricFlow on Apache Spark (`--target spark`): the same scorecard as on DuckDB, and the client's parts.

(`materialize --target spark` on the Spark build of the dbt models is test_spark_engine's: every metrics table
equal to DuckDB's, row for row.)

No Spark build of the dbt models is needed. The session-scoped ``spark_warehouse`` fixture copies every
table of the DuckDB warehouse's ``marts`` schema (the suite's ``warehouse`` fixture) into Spark tables of
the same schema and name (DuckDB → parquet files → ``CREATE TABLE marts.x USING parquet LOCATION``), with
LIVE_SPARK_HOME (the profile's Derby metastore, tables and scratch files) in a temporary folder, and the
semantic manifest comes from ``dbt parse --target spark``.

One Spark JVM serves the module (a start is ~20 s, and the embedded Derby metastore admits one JVM at a
time): the fixture starts the session in this process, exactly as ``live-metrics`` does, and the Spark runs
of the CLI go through ``cli.main`` in this process, reusing it (as dbt-spark, the client takes the running
session). The subprocess runs below start no JVM: they stop before (the manifest check, no Java, the
metastore held by this process's JVM).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import math
import shutil
import subprocess
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from conftest import REPO_ROOT, Warehouse, dbt_env, launch_clean, run_with_env
from live_metrics import cli
from live_metrics.engine.profile import load_profile_target
from live_metrics.engine.spark_client import (
    SparkQueryPlanningError,
    SparkSqlClient,
    data_table,
    derby_directory,
    java_executable,
    spark_parameters,
)
from live_metrics.engine.sql_dialect import DUCKDB, SPARK

SPARK_TARGET = "spark"
SPARK_COMMANDS = ("materialize", "export", "scorecard", "explain", "check")
MONEY_TOLERANCE = 1e-6  # absolute, for DECIMAL (money) columns
RELATIVE_TOLERANCE = 1e-9  # for floats: sums in another order


@dataclass(frozen=True)
class SparkWarehouse:
    """The DuckDB warehouse's marts as Spark tables: the Spark home, its manifest and the running session."""

    home: Path
    manifest: Path
    session: Any

    def env(self) -> dict[str, str]:
        return {"DBT_PROFILES_DIR": str(REPO_ROOT), "LIVE_SPARK_HOME": str(self.home)}

    def run(self, *args: str) -> tuple[int, str, str]:
        """`live-metrics ARGS --target spark` in this process, on this Spark home and its manifest."""
        return run_in_process(
            *args, "--target", SPARK_TARGET, "--project-dir", str(REPO_ROOT), "--manifest", str(self.manifest),
            env=self.env(),
        )  # fmt: skip


def run_in_process(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """`live-metrics ARGS` through ``cli.main`` in this process (``env`` set meanwhile): exit code, stdout, stderr."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        for name, value in (env or {}).items():
            patch.setenv(name, value)
        patch.delenv("DBT_TARGET", raising=False)
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = cli.main(list(args))
    return code, stdout.getvalue(), stderr.getvalue()


def assert_one_line_error(code: int, stderr: str, *words: str) -> str:
    assert code != 0
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: "), lines[0]
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


# ---------------------------------------------------------------------------------------------------
# Fixtures


def spark_relations(document: dict[str, Any]) -> None:
    """What `dbt parse --target spark` names relations: schema.identifier, no database."""
    spines = document.get("project_configuration", {}).get("time_spines", [])
    for holder in [*document.get("semantic_models", []), *spines]:
        relation = holder["node_relation"]
        relation["database"] = None
        relation["relation_name"] = f"{relation['schema_name']}.{relation['alias']}"


@pytest.fixture(scope="session")
def spark_manifest(warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The semantic manifest parsed for the spark target (`dbt parse --target spark`)."""
    root = tmp_path_factory.mktemp("spark_manifest")
    target_path = root / "target"
    env = {**dbt_env(warehouse.duckdb_path, warehouse.raw_data_path), "LIVE_SPARK_HOME": str(root / "unused")}
    dbt = Path(sys.executable).parent / "dbt"
    completed = run_with_env(
        [str(dbt), "parse", "--target", SPARK_TARGET, "--target-path", str(target_path), "--log-path", str(root)],
        env,
    )
    if completed.returncode == 0:
        return target_path / "semantic_manifest.json"
    # The dbt models are being ported to Spark; while `dbt parse --target spark` fails, rewrite the DuckDB
    # manifest's relation names as that parse names them (no database; schema.identifier), and say so.
    warnings.warn(
        f"dbt parse --target spark failed (exit {completed.returncode}); using the DuckDB manifest with its "
        f"relation names rewritten for Spark: {completed.stdout.strip().splitlines()[-1:]}",
        stacklevel=1,
    )
    document = json.loads(warehouse.semantic_manifest.read_text(encoding="utf-8"))
    spark_relations(document)
    manifest = root / "semantic_manifest.json"
    manifest.write_text(json.dumps(document), encoding="utf-8")
    return manifest


def export_marts(duckdb_path: Path, folder: Path) -> list[str]:
    """Every ``marts`` table as a parquet folder ``folder/<table>``; timestamps as UTC instants (Spark's TIMESTAMP)."""
    tables = []
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        connection.execute("set TimeZone = 'UTC'")
        names = connection.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
        ).fetchall()
        for (table,) in names:
            columns = connection.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'marts' and table_name = ? order by ordinal_position",
                [table],
            ).fetchall()
            selected = ", ".join(
                f'cast("{name}" as timestamptz) as "{name}"' if kind == "TIMESTAMP" else f'"{name}"'
                for name, kind in columns
            )
            (folder / table).mkdir(parents=True)
            target = folder / table / "part-0.parquet"
            connection.execute(f"copy (select {selected} from marts.\"{table}\") to '{target}' (format parquet)")
            tables.append(table)
    return tables


@pytest.fixture(scope="session")
def spark_warehouse(
    warehouse: Warehouse, spark_manifest: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SparkWarehouse]:
    if java_executable() is None:
        pytest.skip("Java is not installed (no java on PATH, no JAVA_HOME): Spark needs a JDK 17")
    root = tmp_path_factory.mktemp("spark")
    home = root / "spark_home"
    tables = export_marts(warehouse.duckdb_path, root / "marts")
    with pytest.MonkeyPatch.context() as patch:  # the session as `live-metrics --target spark` starts it
        patch.setenv("LIVE_SPARK_HOME", str(home))
        patch.chdir(REPO_ROOT)
        output = load_profile_target(REPO_ROOT, REPO_ROOT, SPARK_TARGET).output
        client = SparkSqlClient.start(spark_parameters(output, SPARK_TARGET))
    try:
        client.execute("CREATE SCHEMA IF NOT EXISTS marts")
        for table in tables:
            client.execute(f"CREATE TABLE marts.{table} USING parquet LOCATION '{root / 'marts' / table}'")
        yield SparkWarehouse(home=home, manifest=spark_manifest, session=client.session)
    finally:
        client.close()


@pytest.fixture(scope="session")
def duckdb_copy(warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """The DuckDB warehouse in a folder of its own (same file name: the manifest names its database), to write to."""
    folder = tmp_path_factory.mktemp("duckdb_copy")
    shutil.copy2(warehouse.duckdb_path, folder / warehouse.duckdb_path.name)
    return Warehouse(
        duckdb_path=folder / warehouse.duckdb_path.name,
        target_path=warehouse.target_path,
        raw_data_path=warehouse.raw_data_path,
        build_seconds=0.0,
    )


def run_duckdb(warehouse: Warehouse, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**dbt_env(warehouse.duckdb_path, warehouse.raw_data_path)}
    env.pop("DBT_TARGET", None)
    return run_with_env(
        [
            sys.executable,
            str(REPO_ROOT / "scripts" / "live-metrics"),
            *args,
            "--manifest",
            str(warehouse.semantic_manifest),
        ],
        env,
    )


# ---------------------------------------------------------------------------------------------------
# Comparisons


def same_value(left: Any, right: Any) -> bool:
    """Equal; DECIMALs (money) to 1e-6, floats to 1e-9 relative; the same Python type either way."""
    if type(left) is not type(right):
        return False
    if isinstance(left, Decimal):
        return abs(left - right) <= Decimal(str(MONEY_TOLERANCE))
    if isinstance(left, float):
        return math.isclose(left, right, rel_tol=RELATIVE_TOLERANCE, abs_tol=1e-12)
    return bool(left == right)


def assert_same_document(left: Any, right: Any, path: str = "$") -> None:
    """Two JSON documents alike: the same keys, lists and strings; numbers by ``same_value``."""
    if isinstance(left, dict):
        assert isinstance(right, dict) and list(left) == list(right), path
        for key in left:
            assert_same_document(left[key], right[key], f"{path}.{key}")
    elif isinstance(left, list):
        assert isinstance(right, list) and len(left) == len(right), path
        for index, (a, b) in enumerate(zip(left, right, strict=True)):
            assert_same_document(a, b, f"{path}[{index}]")
    else:
        assert same_value(left, right), f"{path}: {left!r} != {right!r}"


# ---------------------------------------------------------------------------------------------------
# Tests


@pytest.mark.parametrize("command", SPARK_COMMANDS)
def test_help_mentions_target(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main([command, "--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    assert "--target NAME" in text
    assert "spark" in text


@pytest.mark.parametrize("command", SPARK_COMMANDS)
def test_duckdb_manifest_refused_on_spark(command: str, warehouse: Warehouse, tmp_path: Path) -> None:
    """A manifest parsed for DuckDB names `"live"."marts"."fct_x"`: on Spark, one line before Spark starts."""
    extra = ["--out", str(tmp_path / "out")] if command == "export" else []
    code, _, stderr = run_in_process(
        command, *extra, "--target", SPARK_TARGET, "--project-dir", str(REPO_ROOT),
        "--manifest", str(warehouse.semantic_manifest),
        env={"LIVE_SPARK_HOME": str(tmp_path)},
    )  # fmt: skip
    assert_one_line_error(code, stderr, "parsed for DuckDB", "database 'live'", "dbt parse --target spark")
    assert not (tmp_path / "metastore_db").exists()  # refused before Spark started


def test_duckdb_manifest_refused_in_a_real_run(warehouse: Warehouse, tmp_path: Path) -> None:
    result = launch_clean(
        "scorecard",
        "--target",
        SPARK_TARGET,
        "--manifest",
        str(warehouse.semantic_manifest),
        env={"DBT_PROFILES_DIR": str(REPO_ROOT), "LIVE_SPARK_HOME": str(tmp_path)},
    )
    assert_one_line_error(result.returncode, result.stderr, "parsed for DuckDB", "dbt parse --target spark")


def test_unknown_target_is_one_line(warehouse: Warehouse) -> None:
    code, _, stderr = run_in_process(
        "scorecard",
        "--target",
        "sparky",
        "--project-dir",
        str(REPO_ROOT),
        "--manifest",
        str(warehouse.semantic_manifest),
    )
    assert_one_line_error(code, stderr, "no target 'sparky'", "spark")


def test_missing_java_is_one_line(spark_manifest: Path, tmp_path: Path) -> None:
    result = launch_clean(
        "scorecard",
        "--target",
        SPARK_TARGET,
        "--manifest",
        str(spark_manifest),
        env={
            "DBT_PROFILES_DIR": str(REPO_ROOT),
            "LIVE_SPARK_HOME": str(tmp_path),
            "JAVA_HOME": str(tmp_path / "no-jdk"),
        },
    )
    assert_one_line_error(result.returncode, result.stderr, "Spark needs Java", "JAVA_HOME")


def test_metastore_in_use_is_one_line(spark_warehouse: SparkWarehouse) -> None:
    """This process's JVM holds the embedded Derby metastore: another run says so in one line, and starts no JVM."""
    result = launch_clean(
        "scorecard", "--target", SPARK_TARGET, "--manifest", str(spark_warehouse.manifest), env=spark_warehouse.env()
    )
    assert_one_line_error(result.returncode, result.stderr, "metastore", "in use by another process", "one")
    assert result.stdout == ""


def test_missing_spark_table_is_one_line(spark_warehouse: SparkWarehouse, tmp_path: Path) -> None:
    """A manifest naming a table the Spark warehouse lacks: the table and how to build it, in one line."""
    document = json.loads(spark_warehouse.manifest.read_text(encoding="utf-8"))
    for model in document["semantic_models"]:
        relation = model["node_relation"]
        relation["alias"] = f"no_such_{relation['alias']}"
        relation["relation_name"] = f"{relation['schema_name']}.{relation['alias']}"
    manifest = tmp_path / "semantic_manifest.json"
    manifest.write_text(json.dumps(document), encoding="utf-8")
    code, _, stderr = run_in_process(
        "scorecard", "--target", SPARK_TARGET, "--project-dir", str(REPO_ROOT), "--manifest", str(manifest),
        env=spark_warehouse.env(),
    )  # fmt: skip
    assert_one_line_error(code, stderr, "the Spark warehouse has no table marts.no_such_", "dbt build --target spark")


def test_scorecard_on_spark_matches_duckdb(spark_warehouse: SparkWarehouse, duckdb_copy: Warehouse) -> None:
    on_duckdb = run_duckdb(duckdb_copy, "scorecard", "--json")
    assert on_duckdb.returncode == 0, on_duckdb.stderr
    code, stdout, stderr = spark_warehouse.run("scorecard", "--json")
    assert (code, stderr) == (0, ""), stderr
    assert_same_document(json.loads(on_duckdb.stdout), json.loads(stdout))


# ---------------------------------------------------------------------------------------------------
# The client's parts


def test_results_are_built_as_on_a_dbt_adapter() -> None:
    """Rows become MetricFlow's table through dbt's agate conversion: the Python types the DuckDB path gives."""
    table = data_table(
        ["day", "count", "amount", "rate", "name", "flag", "count"],
        [
            (dt.date(2026, 11, 1), 3, Decimal("1.50"), 0.25, "ios", True, 7),
            (dt.date(2026, 11, 2), None, None, None, None, None, None),
        ],
    )
    assert table.column_names == ("day", "count", "amount", "rate", "name", "flag", "count_2")
    assert table.rows[0] == (dt.datetime(2026, 11, 1), 3, 1.5, 0.25, "ios", True, 7)
    assert [type(value) for value in table.rows[0]] == [dt.datetime, int, float, float, str, bool, int]
    assert table.rows[1][1:] == (None,) * 6


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("jdbc:derby:;databaseName=/tmp/home/metastore_db;create=true", Path("/tmp/home/metastore_db")),
        ("jdbc:derby:warehouse/spark/metastore_db;create=true", Path("warehouse/spark/metastore_db")),
        ("jdbc:derby:memory:metastore;create=true", None),
        ("jdbc:mysql://db/metastore", None),
    ],
)
def test_derby_directory(url: str, expected: Path | None) -> None:
    assert derby_directory({"spark.hadoop.javax.jdo.option.ConnectionURL": url}) == expected
    assert derby_directory({}) == Path("metastore_db")  # Hive's default


def test_spark_dialect_round_trips_text(spark_warehouse: SparkWarehouse) -> None:
    """Spark reads a backslash in a string literal as an escape: the dialect's literals come back unchanged."""
    texts = ["it's", "back\\slash", "both \\' at once", 'a "quote"', "new\nline"]
    selected = ", ".join(f"{SPARK.literal(text)} AS {SPARK.quote(f'c{i}')}" for i, text in enumerate(texts))
    assert list(spark_warehouse.session.sql(f"SELECT {selected}").collect()[0]) == texts


@pytest.mark.parametrize("grain", ["day", "week", "month", "quarter", "year"])
def test_next_period_agrees_with_duckdb(grain: str, spark_warehouse: SparkWarehouse) -> None:
    day = "cast('2024-11-30' as date)"
    with duckdb.connect() as connection:
        (expected,) = connection.execute(f"select {DUCKDB.next_period(day, grain)}").fetchone()
    assert spark_warehouse.session.sql(f"SELECT {SPARK.next_period(day, grain)}").collect()[0][0] == expected


def test_spark_dry_run(spark_warehouse: SparkWarehouse) -> None:
    """A dry run plans without running; a statement Spark cannot plan raises with Spark's reason first."""
    client = SparkSqlClient(spark_warehouse.session)
    client.dry_run("SELECT COUNT(*) FROM marts.metricflow_time_spine;")
    with pytest.raises(SparkQueryPlanningError, match=r"^\[TABLE_OR_VIEW_NOT_FOUND\].*no_such_table"):
        client.dry_run("SELECT * FROM marts.no_such_table")


@pytest.mark.parametrize("grain", ["day", "week", "month"])
def test_shaped_select_agrees_with_duckdb(grain: str, spark_warehouse: SparkWarehouse) -> None:
    """materialize's shaping (time order, the data's last day, the completeness columns) gives the same rows on
    Spark as on DuckDB, over test_materialize.py's hand-written saved-query rows."""
    from test_materialize import shaped

    with duckdb.connect() as connection:
        result = connection.execute(shaped(grain))
        columns, expected = [column[0] for column in result.description], result.fetchall()
    frame = spark_warehouse.session.sql(shaped(grain, SPARK))
    assert frame.columns == columns
    assert [tuple(row) for row in frame.collect()] == expected
