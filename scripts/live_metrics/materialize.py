"""`live-metrics materialize`: run every saved query through MetricFlow into `metrics.<saved_query>` tables."""

from __future__ import annotations

import argparse
import json
import re
import time

from live_metrics.errors import NO_DATA_YET, UserError
from live_metrics.manifest import HOW_TO_BUILD, load_manifest
from live_metrics.mf_engine import MetricFlowSession
from live_metrics.options import add_project_arguments, check_known, resolve_paths, split_names
from live_metrics.sql_dialect import DUCKDB, SqlDialect
from live_metrics.table import format_table
from live_metrics.tree import MetricTree, build_tree

DEFAULT_SCHEMA = "metrics"
DEFINITIONS_TABLE = "metric_definitions"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

DESCRIPTION = """\
Materialize the semantic layer's saved queries (daily scorecards per stakeholder, guardrails, ...) as
tables `metrics.<saved_query_name>` in the DuckDB warehouse (schema created if missing, tables replaced).

One MetricFlow engine is started for the run; for each saved query MetricFlow compiles the SQL and the
warehouse runs `CREATE OR REPLACE TABLE metrics.<name> AS <that SQL>` on the engine's own dbt-adapter
connection, so the values equal `mf query --saved-query <name>` and no second connection competes for
the DuckDB file. Each table is shaped for chart tools:

  * no row after the data's last day (the time spine's last day: the last day a stream was live);
  * `is_complete`: false for the data's last day, which is usually cut off mid-day;
  * the time column is a DATE, counts are BIGINT (MetricFlow's sums are HUGEINT on DuckDB).

`metrics.metric_definitions` gets one row per metric: label, description, stakeholder, tier, parent,
direction, owner, and the guardrail threshold and target as numbers (NULL for none).
With --target spark the same tables go to the Spark warehouse, in Spark SQL (each table dropped, then
created as parquet: Spark cannot replace a parquet table in place).
Prints saved query → rows, seconds."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "materialize",
        help="write each saved query's result to a metrics.<name> table in DuckDB (or Spark)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--saved-query",
        action="append",
        metavar="NAME[,NAME...]",
        help="only these saved queries (repeatable or comma-separated); default: all in the manifest",
    )
    parser.add_argument("--schema", default=DEFAULT_SCHEMA, help=f"schema the tables go to (default: {DEFAULT_SCHEMA})")
    add_project_arguments(parser, catalogue=False, json_help="print the summary as JSON")
    parser.set_defaults(func=run)


_TIME_COLUMN_PREFIX = "metric_time__"


def shaped_select(sql: str, columns: list[tuple[str, str]], spine_relation: str, dialect: SqlDialect = DUCKDB) -> str:
    """The saved query's rows up to the spine's last day, typed for chart tools, with ``is_complete``.

    ``columns`` are the query's (name, warehouse type) pairs. The first ``metric_time__*`` column is the
    period: a row is complete when its period ends before the data's last day.
    """
    quote = dialect.quote
    time_column = next((name for name, _ in columns if name.startswith(_TIME_COLUMN_PREFIX)), None)
    selected = []
    for name, column_type in columns:
        quoted = f"query.{quote(name)}"
        if name == time_column:
            selected.append(f"cast({quoted} as date) as {quote(name)}")
        elif column_type.upper() == "HUGEINT":
            selected.append(f"cast({quoted} as bigint) as {quote(name)}")
        else:
            selected.append(f"{quoted} as {quote(name)}")
    where = ""
    if time_column is not None:
        grain = time_column[len(_TIME_COLUMN_PREFIX) :]
        period = f"cast(query.{quote(time_column)} as date)"
        period_end = dialect.next_period(period, grain)
        selected.append(f"{period_end} <= data_end.last_day as is_complete")
        where = f"\nwhere {period} <= data_end.last_day"
    return (
        f"with query as (\n{sql}\n),\ndata_end as (select max(date_day) as last_day from {spine_relation})\n"
        f"select {', '.join(selected)}\nfrom query cross join data_end{where}\norder by 1"
    )


def definitions_select(tree: MetricTree, dialect: SqlDialect = DUCKDB) -> str:
    """One row per metric with its meta; threshold and target as numbers (NULL when none)."""
    rows = []
    for node in sorted(tree, key=lambda n: tree.sort_key(n.name)):
        threshold = node.threshold if isinstance(node.threshold, float) else None
        values = [
            node.name,
            node.label,
            node.description,
            node.type,
            node.stakeholder,
            node.tier,
            node.parent,
            node.direction,
            node.owner,
            threshold,
            node.target,
        ]
        rows.append("(" + ", ".join(dialect.literal(value) for value in values) + ")")
    columns = (
        "metric_name, label, description, metric_type, stakeholder, tier, parent, direction, owner, threshold, target"
    )
    return (
        f"select metric_name, label, description, metric_type, stakeholder, tier, parent, direction, owner, "
        f"cast(threshold as double) as threshold, cast(target as double) as target\n"
        f"from (values {', '.join(rows)}) as definitions({columns})"
    )


def shaped_sql(session: MetricFlowSession, saved_query: str, spine_relation: str) -> str:
    sql = session.saved_query_sql(saved_query)
    described = session.fetch(session.dialect.describe_query(sql))
    columns = [(str(row[0]), str(row[1])) for row in described.rows]
    return shaped_select(sql, columns, spine_relation, session.dialect)


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    paths = resolve_paths(args)
    manifest = load_manifest(paths.manifest)
    available = [query.name for query in manifest.saved_queries]
    if not available:
        raise UserError(f"the semantic manifest {paths.manifest} has no saved queries to materialize")
    wanted = split_names(args.saved_query) or available
    check_known(wanted, available, "saved query", "--saved-query")
    if not _IDENTIFIER.match(args.schema):
        raise UserError(f"--schema '{args.schema}' is not a plain SQL identifier")
    if manifest.time_spine_relation is None:
        raise UserError(f"the semantic manifest {paths.manifest} declares no time spine: {HOW_TO_BUILD}")
    tree = build_tree(manifest)
    results: list[dict[str, object]] = []
    # the one command that writes the warehouse: its session opens the file read-write
    with MetricFlowSession(paths.project_dir, paths.manifest, paths.target, writable=True) as session:
        dialect = session.dialect
        session.execute(dialect.create_schema(args.schema))
        statements = [(name, shaped_sql(session, name, manifest.time_spine_relation)) for name in wanted]
        statements.append((DEFINITIONS_TABLE, definitions_select(tree, dialect)))
        for name, sql in statements:
            query_started = time.perf_counter()
            table = f"{dialect.quote(args.schema)}.{dialect.quote(name)}"
            for statement in dialect.replace_table(table, sql):
                session.execute(statement)
            count = session.fetch(f"SELECT COUNT(*) AS row_count FROM {table}").rows[0][0]
            results.append(
                {
                    "saved_query": name if name != DEFINITIONS_TABLE else None,
                    "table": f"{args.schema}.{name}",
                    "rows": int(count),
                    "seconds": round(time.perf_counter() - query_started, 2),
                }
            )
        warehouse = session.warehouse_label
    total = time.perf_counter() - started
    if args.json:
        print(json.dumps({"warehouse": warehouse, "tables": results, "seconds": round(total, 2)}, indent=2))
        return 0
    print(
        format_table(
            ["saved query", "table", "rows", "seconds"],
            [
                [r["saved_query"] or "(metric definitions)", r["table"], r["rows"], f"{r['seconds']:.2f}"]
                for r in results
            ],
        )
    )
    print(f"\n{len(results)} tables written to {warehouse} in {total:.1f} s")
    if not any(r["rows"] for r in results if r["saved_query"]):
        print(f"no data yet: {NO_DATA_YET} (the tables are empty)")
    return 0
