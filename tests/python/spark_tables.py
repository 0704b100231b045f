"""Write every table of some schemas of the Spark warehouse to parquet files, for the cross-engine tests.

    python tests/python/spark_tables.py OUT_DIR SCHEMA_OR_TABLE [SCHEMA_OR_TABLE ...]

The Spark session is the profile's ``spark`` target (LIVE_SPARK_HOME names its metastore and tables), opened
as ``live-metrics --target spark`` opens it. Each table of a schema (or each schema.table named) lands in
OUT_DIR/SCHEMA/TABLE/ (Spark's part files),
timestamps as parquet TIMESTAMP_MICROS in UTC, so that DuckDB reads them exactly.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "scripts"))

from live_metrics.engine.profile import load_profile_target, profiles_dir_for  # noqa: E402
from live_metrics.engine.spark_client import SparkSqlClient, spark_parameters  # noqa: E402


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    out_dir, schemas = Path(argv[0]), argv[1:]
    target = load_profile_target(REPO_ROOT, profiles_dir_for(REPO_ROOT), "spark")
    client = SparkSqlClient.start(spark_parameters(target.output, target.name))
    try:
        spark = client.session
        spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        for name in schemas:
            schema, _, only = name.partition(".")
            for table in spark.sql(f"show tables in {schema}").collect():
                if table.isTemporary or (only and table.tableName != only):
                    continue
                path = out_dir / schema / table.tableName
                spark.table(f"{schema}.{table.tableName}").write.mode("overwrite").parquet(str(path))
                print(f"{schema}.{table.tableName} -> {path}")
    finally:
        client.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
