"""The few SQL spellings the commands write themselves, per warehouse engine (DuckDB, Spark SQL).

MetricFlow renders its own SQL for the engine it is given; the commands add a little around it
(``materialize``: create a schema, describe a query's columns, replace a table with a query's rows,
literals in a VALUES list). Those spellings differ between DuckDB and Spark SQL 4 (Databricks SQL),
and live here only:

* identifiers: DuckDB quotes with ``"``, Spark with backticks;
* string literals: Spark treats a backslash as an escape character, DuckDB does not;
* replacing a table: Spark refuses ``CREATE OR REPLACE TABLE … AS`` on its v1 (parquet) tables, so
  it drops the table, then creates it;
* describing a query's columns: ``DESCRIBE SELECT …`` on DuckDB, ``DESCRIBE QUERY SELECT …`` on Spark
  (the first two columns of both answers are the column's name and type);
* a period's end: Spark's interval literals have no ``quarter`` (three months instead).

Everything else ``materialize`` adds (``date '…'`` literals, comparisons, ``and``, ``cast(… as date)``,
a CTE, ``cross join``, ``order by``) is spelled alike on both.
"""

from __future__ import annotations

import datetime as dt


class SqlDialect:
    """DuckDB's spelling (the project's default warehouse)."""

    name = "duckdb"

    def quote(self, identifier: str) -> str:
        return '"' + identifier.replace('"', '""') + '"'

    def string_literal(self, text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    def literal(self, value: object) -> str:
        """A SQL literal: NULL for None, a float as Python writes it, anything else as a string."""
        if value is None:
            return "null"
        if isinstance(value, float):
            return repr(value)
        return self.string_literal(str(value))

    def date_literal(self, day: dt.date) -> str:
        """A DATE literal; the same spelling on DuckDB and Spark."""
        return f"date '{day.isoformat()}'"

    def create_schema(self, schema: str) -> str:
        return f"CREATE SCHEMA IF NOT EXISTS {self.quote(schema)}"

    def next_period(self, day: str, grain: str) -> str:
        """The DATE one ``grain`` (day, week, month, quarter, year) after the DATE expression ``day``."""
        return f"cast({day} + interval 1 {grain} as date)"

    def replace_table(self, table: str, select: str) -> list[str]:
        """The statements that replace ``table`` (already quoted) by the rows of ``select``, in order."""
        return [f"CREATE OR REPLACE TABLE {table} AS\n{select}"]

    def describe_query(self, select: str) -> str:
        """A query answering one row per column of ``select``: its name, then its type."""
        return f"DESCRIBE SELECT * FROM (\n{select}\n) AS query"


class SparkSqlDialect(SqlDialect):
    """Spark SQL 4 (and Databricks SQL), as run through PySpark."""

    name = "spark"

    def quote(self, identifier: str) -> str:
        return "`" + identifier.replace("`", "``") + "`"

    def string_literal(self, text: str) -> str:
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"

    def next_period(self, day: str, grain: str) -> str:
        if grain == "quarter":  # Spark's interval literals have no quarter
            return f"cast({day} + interval 3 month as date)"
        return super().next_period(day, grain)

    def replace_table(self, table: str, select: str) -> list[str]:
        return [f"DROP TABLE IF EXISTS {table}", f"CREATE TABLE {table} USING parquet AS\n{select}"]

    def describe_query(self, select: str) -> str:
        return f"DESCRIBE QUERY SELECT * FROM (\n{select}\n) AS query"


DUCKDB = SqlDialect()
SPARK = SparkSqlDialect()


def dialect_for(adapter_type: str) -> SqlDialect:
    """The dialect of a dbt adapter type (``spark``; anything else is spoken to as DuckDB)."""
    return SPARK if adapter_type == "spark" else DUCKDB
