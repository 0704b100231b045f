"""The benchmark (`live-metrics bench`): how the pipeline scales on this machine -- a benchmark, not timed tests.

One run measures, on generated data sets of the given sizes (default about 1 M and 10 M events):

1. ``live-metrics generate`` throughput (events/s, parquet);
2. a full ``dbt build`` per size into its own DuckDB file: wall seconds, peak RSS, seconds per
   million events, and how the cost per event grows from the smallest size to the largest;
3. ``live-metrics materialize`` and ``live-metrics export`` on the largest warehouse;
4. a hand-written DuckDB baseline for the heaviest fact (viewer sessions with per-stream peak
   concurrency) in one query straight from the raw parquet (``baseline.sql``), checked against the
   marts (on the demo data and on every size) and timed against dbt's full build;
5. one new day built incrementally on the largest size: the data set is generated as daily drops
   (``--partition-by received_date``); the full build of step 2 reads every drop but the last
   simulated day's (and the stragglers received after it), then those drops land and an incremental
   ``dbt build`` runs on that warehouse; its time is shown as a share of the full build;
6. one new day after 30 and after 90 days of history (``bench_history``): one data set of 90 days at a
   fixed audience, a full build of the drops before day H, then day H's drops incrementally, for each H;
   the new day's time and peak RSS at 90 days over 30 show whether its cost grows with the history;

and prints the goals with their status. Progress goes to stderr, the table to stdout (``--json``:
the JSON document instead); the JSON is always written to ``--out``.

Every step runs as its own process, one at a time, with ``DBT_PROFILES_DIR`` at the repo root and
the DuckDB settings of profiles.yml (``LIVE_DUCKDB_THREADS``, ``LIVE_DUCKDB_MEMORY_LIMIT``); the
baseline runs with the same two settings. Peak RSS is ``ru_maxrss`` of the step's process as
reported by ``wait4``: the largest resident set reached by that process or any descendant it
waited for. The data, warehouses and logs go to a temporary folder, removed at the end unless
``--keep DIR`` names a folder to keep them in.

The modules: ``bench`` (the command), ``runner`` (one run, step by step, and its JSON document), ``steps``
(each step as a measured process), ``measured`` (running a process and measuring it), ``sizes`` (the data
sets), ``baseline`` (the hand-written query, ``baseline.sql``, and its check, ``check.sql``),
``bench_history`` (the history step) and ``report`` (the goals and the table).
"""
