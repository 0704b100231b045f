"""One MetricFlow engine per run, through MetricFlow's Python API (no `mf` subprocess per metric).

``MetricFlowSession`` is a context manager over one target of the project's dbt profile (``--target``;
default: ``DBT_TARGET``, else the profile's default target). On a DuckDB target, on entry it checks the
DuckDB file (exists, not locked by another process), loads the dbt profile from profiles.yml
(``dbtProjectMetadata``), takes the dbt adapter and builds ``MetricFlowEngine`` over the semantic manifest
given on the command line; on exit it closes the adapter's connections so the DuckDB file is released.
The profile opens the file read-only (``access_mode``, ``LIVE_DUCKDB_ACCESS_MODE``): readers share it with
BI tools and never lock them out. A command that writes (``materialize``) asks for ``writable=True``: the
session then opens the adapter's connection read-write (an exclusive lock for the run), whatever the
profile's access mode, without touching the environment.
On a Spark target (which MetricFlow's dbt-adapter client refuses) it checks that the manifest was parsed
for Spark and runs MetricFlow over ``spark_client.SparkSqlClient`` instead: a PySpark session built from
the target's ``server_side_parameters``, speaking the Databricks SQL MetricFlow renders. The few SQL
spellings the commands write themselves come from ``session.dialect`` (``sql_dialect``). MetricFlow, dbt
and PySpark are imported lazily so commands that need no warehouse stay fast.

``MetricFlowSession.validate`` runs the validators of ``mf validate-configs`` (semantic and
data-warehouse) on the session's manifest, for ``check``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from live_metrics.engine.profile import (
    ACCESS_MODE_OPTION,
    READ_WRITE,
    SPARK_ADAPTER_TYPE,
    ProfileTarget,
    duckdb_path_of,
    load_profile_target,
    profiles_dir_for,
)
from live_metrics.engine.sql_dialect import SqlDialect, dialect_for
from live_metrics.errors import DEBUG_ENV_VAR, UserError
from live_metrics.ops.layout import refuse_to_write_published

MISSING_WAREHOUSE_HINT = "run `make run` (it builds, materializes and publishes the warehouse) first"


@dataclass(frozen=True)
class QueryResult:
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


@dataclass(frozen=True)
class ValidationOutcome:
    """Issue counts of MetricFlow's semantic and data-warehouse validations (as `mf validate-configs`)."""

    errors: int
    future_errors: int
    warnings: int
    first_error: str | None = None

    @property
    def ok(self) -> bool:
        return self.errors == 0

    @property
    def detail(self) -> str:
        counts = f"errors {self.errors}, future errors {self.future_errors}, warnings {self.warnings}"
        return f"{counts}; first error: {self.first_error}" if self.first_error else counts


# ---------------------------------------------------------------------------------------------------
# Warehouse location and locking


def lock_error(path: Path, message: str) -> UserError:
    pid = re.search(r"\(PID (\d+)\)", message)
    holder = f" (PID {pid.group(1)})" if pid else ""
    return UserError(
        f"DuckDB file {path} is locked by another process{holder}: close it (a DuckDB shell, a running dbt, "
        f"a notebook) and try again"
    )


def is_lock_message(message: str) -> bool:
    return "Could not set lock" in message or "Conflicting lock" in message


def ensure_warehouse_usable(path: Path) -> str:
    """Fail early, in one line, if the DuckDB file is missing or locked by another process.

    Returns the file's database (catalog) name, which is what the semantic manifest's relations name.
    """
    import duckdb

    if not path.exists():
        raise UserError(f"DuckDB warehouse {path} does not exist: {MISSING_WAREHOUSE_HINT}")
    try:
        connection = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as error:
        if is_lock_message(str(error)):
            raise lock_error(path, str(error)) from error
        raise UserError(f"cannot open DuckDB warehouse {path}: {str(error).splitlines()[0]}") from error
    try:
        row = connection.execute("select current_database()").fetchall()
    finally:
        connection.close()
    return str(row[0][0]) if row else path.stem


def manifest_databases(manifest_path: Path) -> set[str]:
    """The databases the manifest's semantic models and time spines live in (from their node_relation)."""
    try:
        document = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    if not isinstance(document, dict):
        return set()
    configuration = document.get("project_configuration")
    spines = configuration.get("time_spines") if isinstance(configuration, dict) else None
    holders = [
        *(document.get("semantic_models") if isinstance(document.get("semantic_models"), list) else []),
        *(spines if isinstance(spines, list) else []),
    ]
    relations = [holder.get("node_relation") for holder in holders if isinstance(holder, dict)]
    return {str(rel["database"]) for rel in relations if isinstance(rel, dict) and rel.get("database")}


def ensure_manifest_matches_warehouse(manifest_path: Path, duckdb_path: Path, database: str) -> None:
    """dbt bakes the DuckDB file's name into every relation at parse time: refuse a mismatch in one line."""
    others = sorted(manifest_databases(manifest_path) - {database})
    if others:
        raise UserError(
            f"the semantic manifest {manifest_path} was parsed for DuckDB database '{others[0]}', but the warehouse "
            f"{duckdb_path} is database '{database}': run `dbt parse` (or `make build`) again with LIVE_DUCKDB_PATH "
            f"pointing at the file you query"
        )


def ensure_manifest_for_spark(manifest_path: Path, target: str) -> None:
    """Refuse (one line) a manifest parsed for DuckDB: it names ``"live"."marts"."fct_x"``, Spark ``marts.fct_x``."""
    databases = sorted(manifest_databases(manifest_path))
    if databases:
        raise UserError(
            f"the semantic manifest {manifest_path} was parsed for DuckDB (its relations name database "
            f"'{databases[0]}'), but target '{target}' is Spark: run `dbt parse --target {target} --target-path "
            f"target/{target}` (DBT_PROFILES_DIR set to the repo root) and use target/{target}/semantic_manifest.json"
        )


_GENERIC_HEADERS = {"runtime error", "database error", "compilation error", "got errors while executing tasks:"}


def _first_line(error: BaseException) -> str:
    """The first informative line of an error message (dbt wraps messages under a generic header)."""
    text = str(error).strip() or type(error).__name__
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and stripped.lower() not in _GENERIC_HEADERS:
            return stripped
    return text.splitlines()[0].strip() if text.splitlines() else text


def writable_credentials(credentials: Any) -> Any:
    """dbt-duckdb ``credentials`` opening the file read-write (a copy; the same object when they already do).

    dbt-duckdb passes ``config_options`` to ``duckdb.connect``'s config; a copy that differs there makes its
    connection manager close the environment opened with the profile's access mode and open a new one.
    """
    import dataclasses

    options = dict(getattr(credentials, "config_options", None) or {})
    if str(options.get(ACCESS_MODE_OPTION, "")).lower() == READ_WRITE:
        return credentials
    options[ACCESS_MODE_OPTION] = READ_WRITE
    return dataclasses.replace(credentials, config_options=options)


def _issue_summary(message: str) -> str:
    """A validation issue on one line: its first line, plus the warehouse's own error when it quotes one."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    if not lines:
        return "(no message)"
    marker = next((i for i, line in enumerate(lines) if line.startswith("Received following error")), None)
    if marker is None:
        return lines[0]
    causes = [line for line in lines[marker + 1 :] if line.lower() not in _GENERIC_HEADERS]
    return f"{lines[0]} ({causes[0]})" if causes else lines[0]


@contextmanager
def _dbt_target(name: str | None) -> Iterator[None]:
    """dbt takes its target from ``DBT_TARGET``: point it at ``name`` (when given) while dbt loads the profile."""
    if not name:
        yield
        return
    previous = os.environ.get("DBT_TARGET")
    os.environ["DBT_TARGET"] = name
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("DBT_TARGET", None)
        else:
            os.environ["DBT_TARGET"] = previous


# ---------------------------------------------------------------------------------------------------
# The engine session


class MetricFlowSession:
    """A MetricFlow engine over one target of the project's dbt profile, opened once per command run."""

    def __init__(
        self, project_dir: Path, manifest_path: Path, target: str | None = None, *, writable: bool = False
    ) -> None:
        self.project_dir = project_dir.resolve()
        self.manifest_path = manifest_path.resolve()
        self.profiles_dir = profiles_dir_for(self.project_dir).resolve()
        self.requested_target = target  # None: DBT_TARGET, else the profile's default target
        self.writable = writable  # open the DuckDB file read-write (the profile opens it read-only)
        self.target: ProfileTarget | None = None
        self.duckdb_path: Path | None = None
        self._engine: Any = None
        self._sql_client: Any = None
        self._adapter: Any = None
        self._semantic_manifest: Any = None
        self._previous_cwd: Path | None = None

    @property
    def is_spark(self) -> bool:
        return self.target is not None and self.target.adapter_type == SPARK_ADAPTER_TYPE

    @property
    def dialect(self) -> SqlDialect:
        """How the commands spell the SQL they write themselves on this session's warehouse."""
        return dialect_for(self.target.adapter_type if self.target else "")

    @property
    def warehouse_label(self) -> str:
        """The warehouse, as the commands name it: the DuckDB file, or Spark's table directory."""
        if self.duckdb_path is not None:
            return str(self.duckdb_path)
        if self.is_spark and self._sql_client is not None:
            return f"Spark ({self._sql_client.warehouse_dir})"
        return "the warehouse"

    # -- lifecycle -----------------------------------------------------------------------------------

    def __enter__(self) -> MetricFlowSession:
        self.target = load_profile_target(self.project_dir, self.profiles_dir, self.requested_target)
        if self.is_spark:
            ensure_manifest_for_spark(self.manifest_path, self.target.name)
        else:
            self.duckdb_path = duckdb_path_of(self.target, self.project_dir)
        if self.duckdb_path is not None:
            database = ensure_warehouse_usable(self.duckdb_path)
            if self.writable:
                refuse_to_write_published(self.duckdb_path, "materialize")
            ensure_manifest_matches_warehouse(self.manifest_path, self.duckdb_path, database)
        # dbt-duckdb opens relative paths against the working directory, and so do Spark's settings
        # (dbt runs from the project dir): use the project's.
        self._previous_cwd = Path.cwd()
        os.chdir(self.project_dir)
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _start(self) -> None:
        try:
            from metricflow.engine.metricflow_engine import MetricFlowEngine
            from metricflow_semantics.model.dbt_manifest_parser import parse_manifest_from_dbt_generated_manifest
            from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup
        except ImportError as error:  # pragma: no cover - the venv has them
            raise UserError(f"MetricFlow is not installed in this Python ({error}): use .venv/bin/python") from error
        try:  # the manifest first: a bad one fails before Spark's slow start
            self._semantic_manifest = parse_manifest_from_dbt_generated_manifest(
                manifest_json_string=self.manifest_path.read_text(encoding="utf-8")
            )
            lookup = SemanticManifestLookup(self._semantic_manifest)
        except Exception as error:
            raise self._translate(
                error, f"MetricFlow cannot load the semantic manifest {self.manifest_path}"
            ) from error
        if self.is_spark:
            self._start_spark()
        else:
            self._start_adapter()
        try:
            self._engine = MetricFlowEngine(semantic_manifest_lookup=lookup, sql_client=self._sql_client)
        except Exception as error:
            raise self._translate(
                error, f"MetricFlow cannot load the semantic manifest {self.manifest_path}"
            ) from error

    def _start_adapter(self) -> None:
        """MetricFlow's own client over the dbt adapter of the target (DuckDB)."""
        try:
            from dbt.adapters.factory import get_adapter_by_type
            from dbt_metricflow.cli.dbt_connectors.adapter_backed_client import AdapterBackedSqlClient
            from dbt_metricflow.cli.dbt_connectors.dbt_config_accessor import dbtProjectMetadata
        except ImportError as error:  # pragma: no cover - the venv has them
            raise UserError(f"dbt-metricflow is missing from this Python ({error}): use .venv/bin/python") from error
        try:
            with _dbt_target(self.target.name if self.requested_target and self.target else None):
                metadata = dbtProjectMetadata.load_from_paths(
                    profiles_path=self.profiles_dir, project_path=self.project_dir
                )
            self._adapter = get_adapter_by_type(metadata.profile.credentials.type)
            if self.writable and self.duckdb_path is not None:
                # the adapter's connection manager opens its connections with config.credentials
                self._adapter.config.credentials = writable_credentials(self._adapter.config.credentials)
        except Exception as error:
            raise self._translate(error, "cannot load the dbt profile") from error
        try:
            self._sql_client = AdapterBackedSqlClient(self._adapter)
        except Exception as error:
            name = self.target.name if self.target else "?"
            raise self._translate(error, f"MetricFlow cannot use the dbt target '{name}'") from error

    def _start_spark(self) -> None:
        """A PySpark session as dbt-spark's session method builds it, behind MetricFlow's SqlClient protocol."""
        from live_metrics.engine.spark_client import SparkSqlClient, spark_parameters

        assert self.target is not None
        try:
            self._sql_client = SparkSqlClient.start(spark_parameters(self.target.output, self.target.name))
        except Exception as error:
            raise self._translate(error, f"Spark (target '{self.target.name}') cannot start") from error

    def close(self) -> None:
        """Close every connection (releasing the DuckDB file, stopping our Spark) and restore the working directory."""
        if self._adapter is not None:
            try:
                self._adapter.cleanup_connections()
            except Exception:  # noqa: BLE001 - closing must not mask the real outcome
                pass
            try:
                from dbt.adapters.duckdb.connections import DuckDBConnectionManager

                DuckDBConnectionManager.close_all_connections()
            except Exception:  # noqa: BLE001
                pass
            self._adapter = None
        elif self._sql_client is not None:
            try:
                self._sql_client.close()
            except Exception:  # noqa: BLE001
                pass
        self._engine = None
        self._sql_client = None
        self._semantic_manifest = None
        if self._previous_cwd is not None:
            os.chdir(self._previous_cwd)
            self._previous_cwd = None

    # -- queries ----------------------------------------------------------------------------------------

    def _translate(self, error: BaseException, what: str) -> BaseException:
        if os.environ.get(DEBUG_ENV_VAR):
            return error
        message = str(error)
        cause = error.__cause__ or error.__context__
        if is_lock_message(message) or (cause is not None and is_lock_message(str(cause))):
            return lock_error(self.duckdb_path or Path("?"), message if is_lock_message(message) else str(cause))
        if isinstance(error, UserError):
            return error
        if self.is_spark:
            from live_metrics.engine.spark_client import explain_spark_error

            explained = explain_spark_error(error)
            if explained is not None:
                return UserError(explained)
        return UserError(f"{what}: {_first_line(error)} (set {DEBUG_ENV_VAR}=1 for the traceback)")

    @property
    def engine(self) -> Any:
        if self._engine is None:
            raise RuntimeError("MetricFlowSession used outside its `with` block")
        return self._engine

    def query_metrics(
        self,
        metrics: Sequence[str],
        group_by: Sequence[str] = (),
        start: dt.date | None = None,
        end: dt.date | None = None,
        order_by: Sequence[str] | None = None,
    ) -> QueryResult:
        """Query ``metrics`` grouped by ``group_by`` (e.g. ``metric_time__week``) between two dates."""
        from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

        request = MetricFlowQueryRequest.create(
            metric_names=list(metrics),
            group_by_names=list(group_by),
            time_constraint_start=dt.datetime.combine(start, dt.time()) if start else None,
            time_constraint_end=dt.datetime.combine(end, dt.time()) if end else None,
            order_by_names=list(order_by) if order_by else None,
        )
        try:
            result = self.engine.query(mf_request=request)
        except Exception as error:
            raise self._translate(error, f"MetricFlow query of {', '.join(metrics)} failed") from error
        table = result.result_df
        if table is None:
            return QueryResult(columns=(), rows=())
        return QueryResult(columns=tuple(table.column_names), rows=tuple(tuple(row) for row in table.rows))

    def dimensions_for(self, metric: str) -> list[str]:
        """The categorical group-by names MetricFlow offers for ``metric`` (e.g. ``session__platform``)."""
        try:
            dimensions = self.engine.simple_dimensions_for_metrics([metric])
        except Exception as error:
            raise self._translate(error, f"MetricFlow cannot list the dimensions of {metric}") from error
        names = []
        for dimension in dimensions:
            if str(getattr(dimension.type, "value", dimension.type)).lower() != "categorical":
                continue
            names.append("__".join([link.element_name for link in dimension.entity_links] + [dimension.name]))
        return sorted(set(names))

    def saved_query_sql(self, name: str) -> str:
        """The SQL MetricFlow compiles for a saved query (without MetricFlow's comments)."""
        from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

        try:
            explained = self.engine.explain(mf_request=MetricFlowQueryRequest.create(saved_query_name=name))
            return str(explained.sql_statement.without_descriptions.sql)
        except Exception as error:
            raise self._translate(error, f"MetricFlow cannot compile saved query {name}") from error

    def execute(self, sql: str) -> None:
        """Run a statement on the engine's own adapter connection (committed)."""
        try:
            self._sql_client.execute(sql)
        except Exception as error:
            raise self._translate(error, "warehouse statement failed") from error

    def validate(self) -> ValidationOutcome:
        """The validations of `mf validate-configs`, run on this session's manifest and warehouse.

        `mf validate-configs` itself always reads ``<project>/target/semantic_manifest.json``; running
        the same validators here checks the manifest given on the command line, wherever it is.
        """
        from metricflow.validation.data_warehouse_model_validator import DataWarehouseModelValidator
        from metricflow_semantic_interfaces.validations.semantic_manifest_validator import SemanticManifestValidator
        from metricflow_semantic_interfaces.validations.validator_helpers import SemanticManifestValidationResults

        try:
            semantic = SemanticManifestValidator().validate_semantic_manifest(self._semantic_manifest)
            results = [semantic]
            if not semantic.has_blocking_issues:
                warehouse = DataWarehouseModelValidator(sql_client=self._sql_client)
                for step in (
                    warehouse.validate_semantic_models,
                    warehouse.validate_dimensions,
                    warehouse.validate_entities,
                    warehouse.validate_simple_metrics,
                    warehouse.validate_metrics,
                ):
                    results.append(step(self._semantic_manifest, None))
        except Exception as error:
            raise self._translate(error, "MetricFlow validations failed to run") from error
        merged = SemanticManifestValidationResults.merge(results)
        return ValidationOutcome(
            errors=len(merged.errors),
            future_errors=len(merged.future_errors),
            warnings=len(merged.warnings),
            first_error=_issue_summary(merged.errors[0].message) if merged.errors else None,
        )

    def fetch(self, sql: str) -> QueryResult:
        try:
            table = self._sql_client.query(sql)
        except Exception as error:
            raise self._translate(error, "warehouse query failed") from error
        return QueryResult(columns=tuple(table.column_names), rows=tuple(tuple(row) for row in table.rows))
