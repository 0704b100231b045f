"""The warehouse engine: the dbt profile, MetricFlow (on DuckDB or Spark), the semantic manifest and the SQL
spellings per engine.
"""
