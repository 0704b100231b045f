"""live_metrics: the project's command-line program (data generator, checks, metric-tree export).

``cli`` is the program (one subcommand per module), ``errors`` the errors it turns into one line, ``options``
the options its commands share. The rest lives in rooms: ``engine`` (dbt profile, MetricFlow on DuckDB or
Spark, the semantic manifest), ``tree`` (the metric tree and its measurement), ``report`` (scorecard, explain,
check, export), ``render`` (text, tables, the tree's files and pages), ``creator`` (one creator's report),
``ops`` (the daily run: build, publish, what a run records and stores), ``generator`` (the raw-event
generator) and ``bench`` (the benchmark).
"""

__version__ = "0.1.0"
