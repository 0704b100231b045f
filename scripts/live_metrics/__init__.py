"""live_metrics: the project's command-line program (data generator, checks, metric-tree export)."""

__version__ = "0.1.0"
