"""Daily operation: a run of the warehouse (pipeline) under its lock (runlock), where its files live (layout), what
it reads (drops), its dbt step (dbt_step), what it changed (operations), the metrics it materializes
(materialize), the answers it stores for the read commands (answers), and publishing the finished build
(publish).
"""
