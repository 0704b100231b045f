"""The benchmark (live-metrics bench): how the pipeline scales on this machine, a benchmark and not timed tests."""
