"""`live-metrics materialize`: run every saved query through MetricFlow into `metrics.<saved_query>` tables."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass

from live_metrics.engine.manifest import HOW_TO_BUILD, load_manifest
from live_metrics.engine.mf_engine import MetricFlowSession
from live_metrics.engine.sql_dialect import DUCKDB, SqlDialect
from live_metrics.errors import NO_DATA_YET, NoDataYet, UserError
from live_metrics.options import add_project_arguments, check_known, resolve_paths, split_names
from live_metrics.render.table import format_table
from live_metrics.tree.snapshot import data_span, first_final_start, last_final_end
from live_metrics.tree.tree import MetricNode, MetricTree, build_tree

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

  * no row after the data's last day (the time spine's last day: the last day a stream was live),
    rows in time order;
  * the time column is a DATE, counts are BIGINT (MetricFlow's sums are HUGEINT on DuckDB);
  * which values are final (BOOLEAN columns after the metrics), judged on the data's first and last day
    (the north star's first and last day with a value, as the tree reads them):
      is_complete            every value of the row is final: filter on it for a chart of the whole row;
      period__is_complete    the period ends before the data's last day (usually cut off mid-day): the
                             values of the metrics without a column of their own are final;
      <metric>__is_complete  for each metric with meta needs_history / needs_future: the period is
                             complete and the data holds the history before it (needs_history N: the
                             period starts N days after the data's first day or later; `month`: in the
                             first full month or later) and the days after it (needs_future N: the
                             period ends N days before the data's last day or earlier), as the tree's
                             "no baseline" rule. E.g. viewer_d7_retention__is_complete is false on the
                             last 7 days, new_viewers__is_complete on the first 28.

`metrics.metric_definitions` gets one row per metric: label, description, stakeholder, tier, parent,
direction, owner, the guardrail threshold and target as numbers (NULL for none), needs_history (as in
the meta: a number of days or `month`) and needs_future (days), NULL when the metric needs neither.
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
COMPLETE = "is_complete"
PERIOD_COMPLETE = "period__is_complete"
_COMPLETE_SUFFIX = "__is_complete"


def complete_column(metric: str) -> str:
    """The column saying whether ``metric``'s value in the row is final: ``<metric>__is_complete``."""
    return f"{metric}{_COMPLETE_SUFFIX}"


def needs_days(node: MetricNode) -> bool:
    """Whether ``node`` carries meta ``needs_history`` or ``needs_future`` (its value waits on more data)."""
    return node.needs_history is not None or node.needs_future is not None


@dataclass(frozen=True)
class DataSpan:
    """The data's first and last day (the north star's first and last day with a value, as the tree reads
    them; None when there is no data). The last day is usually cut off mid-day."""

    first_day: dt.date | None = None
    last_day: dt.date | None = None


def shaped_select(
    sql: str,
    columns: list[tuple[str, str]],
    spine_relation: str,
    dialect: SqlDialect = DUCKDB,
    metrics: Mapping[str, MetricNode] | None = None,
    span: DataSpan = DataSpan(),
) -> str:
    """The saved query's rows up to the spine's last day, typed for chart tools, in time order, with the
    completeness flags.

    ``columns`` are the query's (name, warehouse type) pairs; ``metrics`` the nodes of its metric columns.
    The first ``metric_time__*`` column is the period (its grain from the name). The flags, all BOOLEAN:

    * ``period__is_complete``: the period ends before the data's last day (which is usually cut off), so
      the values of the metrics that need no more data than the period's own are final;
    * ``<metric>__is_complete``, for each metric with meta ``needs_history`` / ``needs_future``: the
      period is complete and the data holds the history before it and the days after it that the metric
      needs (``snapshot.first_final_start`` / ``last_final_end``: the rule the tree and scorecard use for
      *no baseline*);
    * ``is_complete``: every value of the row is final (the period and each of those metrics).

    The data's first and last day come in ``span`` as literals: the rows never run past the spine's last
    day, and the flags are the run's judgement of the data it had.
    """
    quote = dialect.quote
    nodes = dict(metrics or {})
    time_column = next((name for name, _ in columns if name.startswith(_TIME_COLUMN_PREFIX)), None)
    names = [name for name, _ in columns]
    clashing = [name for name in names if name == COMPLETE or name.endswith(_COMPLETE_SUFFIX)]
    if clashing:
        raise UserError(f"a saved query's column {clashing[0]} clashes with the completeness columns")
    selected = []
    for name, column_type in columns:
        quoted = f"query.{quote(name)}"
        if name == time_column:
            selected.append(f"cast({quoted} as date) as {quote(name)}")
        elif column_type.upper() == "HUGEINT":
            selected.append(f"cast({quoted} as bigint) as {quote(name)}")
        else:
            selected.append(f"{quoted} as {quote(name)}")
    keys = [name for name in names if name not in nodes and name != time_column]
    order = ", ".join(quote(name) for name in ([time_column] if time_column else []) + keys)
    if time_column is None:
        return f"with query as (\n{sql}\n)\nselect {', '.join(selected)}\nfrom query" + (
            f"\norder by {order}" if order else ""
        )
    grain = time_column[len(_TIME_COLUMN_PREFIX) :]
    period = f"cast(query.{quote(time_column)} as date)"
    period_end = dialect.next_period(period, grain)  # the day after the period's last day
    last_day = span.last_day
    period_complete = f"{period_end} <= {dialect.date_literal(last_day)}" if last_day else "false"
    selected.append(f"{period_complete} as {quote(PERIOD_COMPLETE)}")
    flagged = [name for name in names if name in nodes and needs_days(nodes[name])]
    for name in flagged:
        conditions = [period_complete]
        start = first_final_start(nodes[name], span.first_day)
        if start is not None:
            conditions.append(f"{period} >= {dialect.date_literal(start)}")
        end = last_final_end(nodes[name], last_day)
        if end is not None:
            conditions.append(f"{period_end} <= {dialect.date_literal(end + dt.timedelta(days=1))}")
        judged = " and ".join(f"({condition})" for condition in conditions)
        selected.append(f"{judged} as {quote(complete_column(name))}")
    flags = [PERIOD_COMPLETE, *(complete_column(name) for name in flagged)]
    outer = [quote(name) for name in names]
    outer.append(f"{' and '.join(quote(flag) for flag in flags)} as {quote(COMPLETE)}")
    outer += [quote(flag) for flag in flags]
    return (
        f"with query as (\n{sql}\n),\n"
        f"data_end as (select max(date_day) as last_day from {spine_relation}),\n"
        f"shaped as (\nselect {', '.join(selected)}\nfrom query cross join data_end\n"
        f"where {period} <= data_end.last_day\n)\n"
        f"select {', '.join(outer)}\nfrom shaped\norder by {order}"
    )


def definitions_select(tree: MetricTree, dialect: SqlDialect = DUCKDB) -> str:
    """One row per metric with its meta; threshold and target as numbers (NULL when none); needs_history as
    written in the meta (a number of days or `month`), needs_future as a number of days (NULL when none)."""
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
            node.needs_history,
            node.needs_future,
        ]
        rows.append("(" + ", ".join(dialect.literal(value) for value in values) + ")")
    columns = (
        "metric_name, label, description, metric_type, stakeholder, tier, parent, direction, owner, threshold, target, "
        "needs_history, needs_future"
    )
    return (
        f"select metric_name, label, description, metric_type, stakeholder, tier, parent, direction, owner, "
        f"cast(threshold as double) as threshold, cast(target as double) as target, "
        f"cast(needs_history as string) as needs_history, cast(needs_future as integer) as needs_future\n"
        f"from (values {', '.join(rows)}) as definitions({columns})"
    )


def shaped_sql(
    session: MetricFlowSession, saved_query: str, spine_relation: str, metrics: Mapping[str, MetricNode], span: DataSpan
) -> str:
    sql = session.saved_query_sql(saved_query)
    described = session.fetch(session.dialect.describe_query(sql))
    columns = [(str(row[0]), str(row[1])) for row in described.rows]
    return shaped_select(sql, columns, spine_relation, session.dialect, metrics, span)


def measured_span(session: MetricFlowSession, tree: MetricTree) -> DataSpan:
    """The data's first and last day as the tree and scorecard read them (the north star's days with a value)."""
    star = tree.north_star()
    if star is None:
        return DataSpan()
    try:
        first_day, last_day = data_span(session, star)
    except NoDataYet:
        return DataSpan()
    return DataSpan(first_day, last_day)


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
        span = measured_span(session, tree)
        queries = {query.name: query for query in manifest.saved_queries}
        statements = [
            (
                name,
                shaped_sql(
                    session,
                    name,
                    manifest.time_spine_relation,
                    {metric: tree.nodes[metric] for metric in queries[name].metrics if metric in tree.nodes},
                    span,
                ),
            )
            for name in wanted
        ]
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
