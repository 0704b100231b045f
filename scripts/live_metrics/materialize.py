"""`live-metrics materialize`: run every saved query through MetricFlow into `metrics.<saved_query>` tables."""

from __future__ import annotations

import argparse
import json
import re
import time

from live_metrics.errors import UserError
from live_metrics.manifest import load_manifest
from live_metrics.mf_engine import MetricFlowSession
from live_metrics.options import add_project_arguments, check_known, resolve_paths, split_names
from live_metrics.table import format_table

DEFAULT_SCHEMA = "metrics"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

DESCRIPTION = """\
Materialize the semantic layer's saved queries (daily scorecards per stakeholder, guardrails, ...) as
tables `metrics.<saved_query_name>` in the DuckDB warehouse (schema created if missing, tables replaced).

One MetricFlow engine is started for the run; for each saved query MetricFlow compiles the SQL and the
warehouse runs `CREATE OR REPLACE TABLE metrics.<name> AS <that SQL>` on the engine's own dbt-adapter
connection, so the result equals `mf query --saved-query <name>` and no second connection competes for
the DuckDB file. Prints saved query → rows, seconds."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "materialize",
        help="write each saved query's result to a metrics.<name> table in DuckDB",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--saved-query",
        action="append",
        metavar="NAME[,NAME...]",
        help="only these saved queries (repeatable or comma-separated); default: all in the manifest",
    )
    parser.add_argument(
        "--schema", default=DEFAULT_SCHEMA, help=f"schema the tables go to (default: {DEFAULT_SCHEMA})"
    )
    add_project_arguments(parser, catalogue=False, json_help="print the summary as JSON")
    parser.set_defaults(func=run)


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


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
    results: list[dict[str, object]] = []
    with MetricFlowSession(paths.project_dir, paths.manifest) as session:
        session.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(args.schema)}")
        for name in wanted:
            query_started = time.perf_counter()
            table = f"{_quote(args.schema)}.{_quote(name)}"
            sql = session.saved_query_sql(name)
            session.execute(f"CREATE OR REPLACE TABLE {table} AS\n{sql}")
            count = session.fetch(f"SELECT COUNT(*) AS row_count FROM {table}").rows[0][0]
            results.append(
                {
                    "saved_query": name,
                    "table": f"{args.schema}.{name}",
                    "rows": int(count),
                    "seconds": round(time.perf_counter() - query_started, 2),
                }
            )
        warehouse = str(session.duckdb_path) if session.duckdb_path else "the warehouse"
    total = time.perf_counter() - started
    if args.json:
        print(json.dumps({"warehouse": warehouse, "tables": results, "seconds": round(total, 2)}, indent=2))
        return 0
    print(
        format_table(
            ["saved query", "table", "rows", "seconds"],
            [[r["saved_query"], r["table"], r["rows"], f"{r['seconds']:.2f}"] for r in results],
        )
    )
    print(f"\n{len(results)} tables written to {warehouse} in {total:.1f} s")
    return 0
