"""Is the latest value unusual? A band of mean ± sigma standard deviations over the trailing periods.

The rule (configurable on the command line): the latest complete period is an anomaly when its value lies
outside ``mean ± sigma × sd`` of the ``window`` complete periods before it (sample standard deviation).
With fewer than ``min_history`` earlier values there is no verdict (None): a two-week data set has no
weekly anomalies. Periods without a baseline (history the data does not hold) are left out of the window.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

DEFAULT_WINDOW = 8
DEFAULT_SIGMA = 3.0


@dataclass(frozen=True)
class AnomalyRule:
    window: int = DEFAULT_WINDOW
    sigma: float = DEFAULT_SIGMA
    min_history: int | None = None  # default: the whole window

    @property
    def needed(self) -> int:
        return self.window if self.min_history is None else min(self.min_history, self.window)

    def as_dict(self) -> dict[str, Any]:
        return {"window": self.window, "sigma": self.sigma, "min_history": self.needed}

    def describe(self) -> str:
        return f"outside mean ± {self.sigma:g} sd of the {self.window} periods before (needs {self.needed})"


@dataclass(frozen=True)
class Anomaly:
    flagged: bool
    mean: float
    sd: float
    low: float
    high: float
    window: int
    sigma: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def detect(history: Sequence[float | None], value: float | None, rule: AnomalyRule) -> Anomaly | None:
    """The verdict on ``value`` given the values of the periods before it (oldest first)."""
    if value is None or not math.isfinite(value):
        return None
    recent = [float(v) for v in history[-rule.window :] if v is not None and math.isfinite(float(v))]
    if len(recent) < max(rule.needed, 2):
        return None
    mean = statistics.fmean(recent)
    sd = statistics.stdev(recent)
    low, high = mean - rule.sigma * sd, mean + rule.sigma * sd
    tolerance = 1e-9 * max(1.0, abs(mean))  # a flat history must not flag its own value's float noise
    flagged = value < low - tolerance or value > high + tolerance
    return Anomaly(flagged, mean, sd, low, high, len(recent), rule.sigma)
