"""The read commands on the metric tree: scorecard, explain, check (through MetricFlow, or the answers a run
stored) and export (the tree's files, and the answers a run stores).
"""
