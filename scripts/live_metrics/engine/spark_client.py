"""MetricFlow on Apache Spark: a ``SqlClient`` over a PySpark ``SparkSession`` (for ``--target spark``).

dbt-metricflow's adapter-backed client (and ``mf``) refuses dbt adapter type ``spark``, but the SQL
MetricFlow renders for Databricks runs unchanged on Spark SQL 4. ``SparkSqlClient`` implements MetricFlow's
``SqlClient`` protocol (``metricflow.protocols.sql_client``) with engine type DATABRICKS and MetricFlow's
Databricks plan renderer, over a SparkSession built exactly as dbt-spark's ``session`` method builds it:
``SparkSession.builder.enableHiveSupport()`` plus every ``server_side_parameters`` entry of the target in
profiles.yml (``{{ env_var(...) }}`` rendered; relative paths resolve against the working directory, which
``MetricFlowSession`` sets to the project dir as dbt runs there). Results become ``MetricFlowDataTable``s
the way dbt-metricflow's ``AdapterBackedSqlClient`` builds them from a dbt adapter: rows through dbt's
agate conversion (``SQLConnectionManager.process_results``, ``table_from_data_flat``), then
``MetricFlowDataTable.create_from_rows``, so values have the same Python types as on DuckDB.

The process runs in UTC (``TZ=UTC``): PySpark turns Spark timestamps into naive datetimes in the Python
process's time zone. The Java process's console output (Spark's log4j, Derby, Hive) goes to
``<spark.local.dir>/live-metrics-spark.log`` instead of the terminal (``LIVE_METRICS_DEBUG=1`` shows it).

Failures a user can fix become one line (``explain_spark_error``): no Java, the embedded Derby metastore
held by another Spark process (it admits one JVM at a time; checked before the JVM starts, from the
lock Derby holds on ``dbex.lck``), a table or schema missing from the Spark warehouse.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from live_metrics.engine.profile import render_env_vars
from live_metrics.errors import DEBUG_ENV_VAR, UserError

if TYPE_CHECKING:  # imported lazily at run time: only a spark target needs them
    from metricflow.data_table.mf_table import MetricFlowDataTable
    from metricflow.protocols.sql_client import SqlEngine
    from metricflow.sql.render.sql_plan_renderer import SqlPlanRenderer
    from metricflow_semantics.sql.sql_bind_parameters import SqlBindParameterSet
    from pyspark.sql import SparkSession

LOG_FILE_NAME = "live-metrics-spark.log"
LOCK_GRACE_SECONDS = 6.0  # how long a metastore lock may take to go (a JVM that is exiting) before we give up
HOW_TO_BUILD_SPARK = "build it with `dbt build --target spark` (DBT_PROFILES_DIR set to the repo root)"

# dbt-metricflow's markers of a failed plan in the output of Databricks' EXPLAIN (Spark's is the same)
_EXPLAIN_ERROR_KEYS = ("Error occurred during query planning", "org.apache.spark.sql.AnalysisException")
_DERBY_LOCKED = "Another instance of Derby may have already booted the database"
_DERBY_URL_PARAMETER = "spark.hadoop.javax.jdo.option.ConnectionURL"
_HIVE_DEFAULT_DERBY_URL = "jdbc:derby:;databaseName=metastore_db;create=true"
# PySpark logs every SQL error with a query context as a JSON line on stderr, through these loggers
_PYSPARK_ERROR_LOGGERS = ("SQLQueryContextLogger", "DataFrameQueryContextLogger")


class SparkQueryPlanningError(RuntimeError):
    """Spark's EXPLAIN reported that a statement cannot be planned (a dry run's failure)."""


# ---------------------------------------------------------------------------------------------------
# The profile's settings and the checks before the JVM starts


def spark_parameters(output: Mapping[str, Any], target: str) -> dict[str, str]:
    """The ``server_side_parameters`` of a spark target, their ``env_var`` calls rendered, as strings (as dbt-spark)."""
    parameters = output.get("server_side_parameters") or {}
    if not isinstance(parameters, Mapping):
        raise UserError(f"target '{target}' in profiles.yml: server_side_parameters must be a mapping of settings")
    return {str(key): render_env_vars(str(value)) for key, value in parameters.items()}


def java_executable() -> str | None:
    """The java Spark's launcher runs: ``$JAVA_HOME/bin/java`` when JAVA_HOME is set, else java on PATH."""
    home = os.environ.get("JAVA_HOME")
    if home:
        candidate = Path(home) / "bin" / "java"
        return str(candidate) if os.access(candidate, os.X_OK) else None
    return shutil.which("java")


def ensure_java() -> None:
    if java_executable() is None:
        home = os.environ.get("JAVA_HOME")
        where = f"JAVA_HOME={home} has no bin/java" if home else "no `java` on PATH and JAVA_HOME is not set"
        raise UserError(f"Spark needs Java (17): {where}; install a JDK 17 or point JAVA_HOME at one")


def derby_directory(parameters: Mapping[str, str]) -> Path | None:
    """The embedded Derby database of the Hive metastore, or None when the metastore is not embedded Derby.

    Relative names resolve against the working directory (the project dir), as Spark's Derby resolves them.
    """
    url = parameters.get(_DERBY_URL_PARAMETER, _HIVE_DEFAULT_DERBY_URL)
    if not url.startswith("jdbc:derby:"):
        return None
    name, *attributes = url[len("jdbc:derby:") :].split(";")
    for attribute in attributes:
        key, _, value = attribute.partition("=")
        if key.strip() == "databaseName":
            name = value.strip()
    if not name or name.startswith(("memory:", "//")) or ":" in name.split("/")[0]:
        return None  # in memory, a network server, or a subprotocol (jar:, classpath:): nothing to lock here
    return Path(name)


def derby_locked(directory: Path, grace_seconds: float = LOCK_GRACE_SECONDS) -> bool:
    """Whether another process holds the lock Derby keeps on ``<directory>/dbex.lck`` while it has the database open.

    A Spark JVM keeps the lock until it has exited, a moment after its Python process (the previous
    live-metrics or dbt run) ends: a lock still held after ``grace_seconds`` is another process's.
    """
    deadline = time.monotonic() + grace_seconds
    while _lock_held(directory / "dbex.lck"):
        if time.monotonic() >= deadline:
            return True
        time.sleep(0.2)
    return False


def _lock_held(lock_file: Path) -> bool:
    try:
        with open(lock_file, "r+b") as handle:
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released when the file closes
    except OSError as error:
        return error.errno in (errno.EAGAIN, errno.EACCES) and lock_file.exists()
    return False


def metastore_lock_error(directory: Path | str) -> UserError:
    return UserError(
        f"the Spark metastore {directory} is in use by another process: its embedded Derby database admits one "
        f"Spark JVM at a time; close the other one (a running `dbt --target spark`, a notebook, another "
        f"live-metrics) or give this run its own LIVE_SPARK_HOME, and try again"
    )


def ensure_metastore_free(parameters: Mapping[str, str]) -> None:
    directory = derby_directory(parameters)
    if directory is not None and derby_locked(directory):
        raise metastore_lock_error(directory.resolve())


def log_path_for(parameters: Mapping[str, str]) -> Path:
    """Where the JVM's console output goes: a file in Spark's scratch dir (``spark.local.dir``), else in /tmp."""
    scratch = parameters.get("spark.local.dir", "").split(",")[0].strip()
    folder = Path(scratch) if scratch else Path(tempfile.gettempdir())
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        folder = Path(tempfile.gettempdir())
    return (folder / LOG_FILE_NAME).resolve()


# ---------------------------------------------------------------------------------------------------
# Starting the session


@contextmanager
def _console_to(log_path: Path) -> Iterator[None]:
    """Point this process's stdout and stderr at ``log_path`` while a child (the JVM) starts: it keeps them."""
    if os.environ.get(DEBUG_ENV_VAR):
        yield
        return
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.dup2(log, 1)
        os.dup2(log, 2)
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for descriptor in (*saved, log):
            os.close(descriptor)


def _use_utc() -> str | None:
    """Run the process in UTC (PySpark converts timestamps in the local zone); returns the previous TZ."""
    previous = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    return previous


def _restore_timezone(previous: str | None) -> None:
    if previous is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = previous
    time.tzset()


def _quiet_pyspark_loggers() -> None:
    """PySpark prints every SQL error with a query context as JSON on stderr: the CLI reports errors itself."""
    if os.environ.get(DEBUG_ENV_VAR):
        return
    from pyspark.logger import PySparkLogger

    for name in _PYSPARK_ERROR_LOGGERS:
        PySparkLogger.getLogger(name).disabled = True


def start_spark_session(parameters: Mapping[str, str]) -> tuple[SparkSession, bool]:
    """The SparkSession dbt-spark's session method builds for these parameters, and whether this call started it.

    A session already running in this process is reused (``getOrCreate``, as dbt-spark).
    """
    try:
        from pyspark.errors import PySparkRuntimeError
        from pyspark.sql import SparkSession
    except ImportError as error:  # pragma: no cover - the venv has it
        raise UserError(f"PySpark is not installed in this Python ({error}): use .venv/bin/python") from error
    running = SparkSession.getActiveSession() is not None
    if not running:
        ensure_java()
        ensure_metastore_free(parameters)
    _quiet_pyspark_loggers()
    builder = SparkSession.builder.enableHiveSupport()
    for name, value in parameters.items():
        builder = builder.config(name, value)
    log_path = log_path_for(parameters)
    try:
        with _console_to(log_path) if not running else nullcontext():
            session = builder.getOrCreate()
    except PySparkRuntimeError as error:
        if "JAVA_GATEWAY_EXITED" in str(error):
            raise UserError(f"Spark's Java process exited while starting: see {log_path}") from error
        raise
    if not running:
        _open_metastore(session, parameters)
    return session, not running


def _open_metastore(session: SparkSession, parameters: Mapping[str, str]) -> None:
    """Touch the Hive metastore now, so a metastore that cannot open fails here, in one line."""
    try:
        session.sql("SHOW DATABASES").collect()
    except Exception as error:
        if _DERBY_LOCKED in _error_text(error):
            directory = derby_directory(parameters)
            session.stop()
            raise metastore_lock_error(directory.resolve() if directory else "(Derby)") from error
        raise


# ---------------------------------------------------------------------------------------------------
# The client


class SparkSqlClient:
    """MetricFlow's ``SqlClient`` protocol over a SparkSession: engine DATABRICKS, Databricks SQL rendering."""

    def __init__(self, session: SparkSession, owns_session: bool = False) -> None:
        from metricflow.sql.render.databricks import DatabricksSqlPlanRenderer

        self._session: SparkSession | None = session
        self._owns_session = owns_session
        self._renderer = DatabricksSqlPlanRenderer()
        self._on_close: list[Callable[[], None]] = []

    @classmethod
    def start(cls, parameters: Mapping[str, str]) -> SparkSqlClient:
        """A client over the session built from a spark target's ``server_side_parameters``."""
        previous_tz = _use_utc()
        try:
            session, started = start_spark_session(parameters)
        except BaseException:
            _restore_timezone(previous_tz)
            raise
        client = cls(session, owns_session=started)
        client._on_close.append(partial(_restore_timezone, previous_tz))
        return client

    @property
    def session(self) -> SparkSession:
        if self._session is None:
            raise RuntimeError("SparkSqlClient used after close()")
        return self._session

    @property
    def warehouse_dir(self) -> str:
        return str(self.session.conf.get("spark.sql.warehouse.dir"))

    # -- the SqlClient protocol --------------------------------------------------------------------------

    @property
    def sql_engine_type(self) -> SqlEngine:
        from metricflow.protocols.sql_client import SqlEngine

        return SqlEngine.DATABRICKS

    @property
    def sql_plan_renderer(self) -> SqlPlanRenderer:
        return self._renderer

    def query(self, stmt: str, sql_bind_parameter_set: SqlBindParameterSet | None = None) -> MetricFlowDataTable:
        """Run a query; its rows as a ``MetricFlowDataTable`` (built as the adapter-backed client builds it)."""
        _refuse_bind_parameters(sql_bind_parameter_set)
        frame = self.session.sql(_statement(stmt))
        return data_table(frame.columns, frame.collect())

    def execute(self, stmt: str, sql_bind_parameter_set: SqlBindParameterSet | None = None) -> None:
        """Run a statement (Spark runs DDL and DML when it is submitted)."""
        _refuse_bind_parameters(sql_bind_parameter_set)
        self.session.sql(_statement(stmt))

    def dry_run(self, stmt: str, sql_bind_parameter_set: SqlBindParameterSet | None = None) -> None:
        """Plan ``stmt`` without running it (``EXPLAIN``); raise when Spark cannot plan it.

        Spark's EXPLAIN does not raise on a bad statement: it answers with the error as the plan, which is
        checked for the markers dbt-metricflow checks on Databricks.
        """
        _refuse_bind_parameters(sql_bind_parameter_set)
        rows = self.session.sql(f"EXPLAIN {_statement(stmt)}").collect()
        plan = "\n".join(",".join(str(value) for value in row) for row in rows)
        if any(key in plan for key in _EXPLAIN_ERROR_KEYS):
            lines = [line for line in plan.splitlines() if line.strip()]
            detail = [line for line in lines if not line.startswith(_EXPLAIN_ERROR_KEYS[0])]
            raise SparkQueryPlanningError("\n".join(detail or lines))

    def close(self) -> None:
        """Stop the session if this client started it (releasing the metastore); restore the time zone."""
        if self._session is not None and self._owns_session:
            self._session.stop()
        self._session = None
        while self._on_close:
            self._on_close.pop()()

    def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
        from metricflow_semantics.errors.error_classes import SqlBindParametersNotSupportedError

        raise SqlBindParametersNotSupportedError("bind parameters are not supported on Spark through live-metrics")


def _statement(stmt: str) -> str:
    """The statement without a trailing semicolon, which ``SparkSession.sql`` refuses (as dbt-spark strips it)."""
    stripped = stmt.strip()
    return stripped[:-1] if stripped.endswith(";") else stmt


def _refuse_bind_parameters(parameters: SqlBindParameterSet | None) -> None:
    if parameters is not None and getattr(parameters, "param_dict", None):
        from metricflow_semantics.errors.error_classes import SqlBindParametersNotSupportedError

        raise SqlBindParametersNotSupportedError(f"bind parameters are not supported on Spark: {parameters}")


def data_table(column_names: Sequence[str], rows: Sequence[Sequence[Any]]) -> MetricFlowDataTable:
    """Rows as MetricFlow's result table, converted as on a dbt adapter: dbt's agate table, then its values.

    (``SQLConnectionManager.get_result_from_cursor`` then ``AdapterBackedSqlClient.query``.)
    """
    from dbt.adapters.sql.connections import SQLConnectionManager
    from dbt_common.clients.agate_helper import table_from_data_flat
    from metricflow.data_table.mf_table import MetricFlowDataTable

    names = list(column_names)
    agate_table = table_from_data_flat(SQLConnectionManager.process_results(names, rows), names)
    return MetricFlowDataTable.create_from_rows(
        column_names=agate_table.column_names, rows=[row.values() for row in agate_table.rows]
    )


# ---------------------------------------------------------------------------------------------------
# Errors


def _error_chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _error_text(error: BaseException) -> str:
    """An error's message with the Java stack trace and causes PySpark keeps (where Derby's complaint is)."""
    parts: list[str] = []
    for item in _error_chain(error):
        parts.append(str(getattr(item, "_desc", "") or item))
        parts.append(str(getattr(item, "_stackTrace", "") or ""))
        cause = getattr(item, "_cause", None)
        if isinstance(cause, BaseException):
            parts.append(str(getattr(cause, "_desc", "") or cause))
    return "\n".join(parts)


_NOT_FOUND = re.compile(r"\[(TABLE_OR_VIEW_NOT_FOUND|SCHEMA_NOT_FOUND)\][^`]*(`[^ ]+`)")


def explain_spark_error(error: BaseException) -> str | None:
    """One line for a Spark failure the user can fix, or None when it is not one of those."""
    text = _error_text(error)
    if _DERBY_LOCKED in text:
        return str(metastore_lock_error("(Derby)"))
    if "JAVA_GATEWAY_EXITED" in text:
        return "Spark's Java process exited while starting: is a JDK 17 installed (JAVA_HOME)?"
    found = _NOT_FOUND.search(text)
    if found:
        what = "table" if found.group(1) == "TABLE_OR_VIEW_NOT_FOUND" else "schema"
        name = found.group(2).replace("`", "")
        return f"the Spark warehouse has no {what} {name}: {HOW_TO_BUILD_SPARK}"
    return None
