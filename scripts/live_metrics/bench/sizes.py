"""The bench's data sets: the sizes given on the command line (``--sizes 1m,10m``), the generated world's
audience for each size, and the history step's data set."""

from __future__ import annotations

import re
from dataclasses import dataclass

from live_metrics.bench.bench_history import HistoryPlan
from live_metrics.errors import UserError

DEFAULT_SIZES = "1m,10m"
QUICK_SIZES = "20k,100k"

# The generated world: ~10 events per viewer-day. 30 days, 400 creators and 3,500 viewers give ~1 M
# events; the viewers scale with the size and the creators with them (one per 8.75 viewers, the
# ratio at 1 M), up to 400: from 1 M up only the audience grows, as in `generate --help`.
DAYS = 30
VIEWERS_PER_MILLION_EVENTS = 3_500
VIEWERS_PER_CREATOR = 8.75
MIN_CREATORS = 2
MAX_CREATORS = 400
MIN_SIZE = 10_000
# The generator holds every event in memory (~320 bytes each, plus the parquet writer): 30 M events
# need ~10 GB, about what a shared 24 GiB machine can spare.
MAX_SIZE = 30_000_000
# The history step: one data set of max(HISTORY_DAYS) days at a fixed audience (the sizes' ~9.5 events per
# viewer-day: ~95 k events a day at 10,000 viewers; the creators by VIEWERS_PER_CREATOR), one new day
# measured after each history length.
HISTORY_DAYS = (30, 90)
HISTORY_VIEWERS = 10_000
QUICK_HISTORY_VIEWERS = 300
EVENTS_PER_VIEWER_DAY = 1_000_000 / (VIEWERS_PER_MILLION_EVENTS * DAYS)
_SIZE_PATTERN = re.compile(r"^(\d+(?:\.\d+)?)([km]?)$")
_MULTIPLIERS = {"": 1, "k": 1_000, "m": 1_000_000}


@dataclass(frozen=True)
class Size:
    """A data set to generate: its label as given (``1m``) and the number of events aimed at."""

    label: str
    target_events: int

    @property
    def viewers(self) -> int:
        return max(1, round(self.target_events * VIEWERS_PER_MILLION_EVENTS / 1_000_000))

    @property
    def creators(self) -> int:
        return creators_for(self.viewers)


def creators_for(viewers: int) -> int:
    """The creators of a generated world with ``viewers`` viewers: one per VIEWERS_PER_CREATOR, within bounds."""
    return max(MIN_CREATORS, min(MAX_CREATORS, round(viewers / VIEWERS_PER_CREATOR)))


def history_plan(quick: bool) -> HistoryPlan:
    """The history step's data set: HISTORY_DAYS at HISTORY_VIEWERS (QUICK_HISTORY_VIEWERS with --quick)."""
    viewers = QUICK_HISTORY_VIEWERS if quick else HISTORY_VIEWERS
    target = round(viewers * max(HISTORY_DAYS) * EVENTS_PER_VIEWER_DAY)
    return HistoryPlan(days=HISTORY_DAYS, viewers=viewers, creators=creators_for(viewers), target_events=target)


def human_count(n: int) -> str:
    for unit, factor in (("m", 1_000_000), ("k", 1_000)):
        if n >= factor and n % (factor // 10) == 0:
            return f"{n / factor:g}{unit}"
    return f"{n:,}"


def parse_sizes(text: str) -> list[Size]:
    """``20k,1m,10m`` -> sizes, smallest first; a one-line ``UserError`` for anything else."""
    tokens = [token.strip().lower() for token in text.split(",")]
    if not any(tokens):
        raise UserError("--sizes is empty: give comma-separated event counts such as 1m,10m")
    sizes: list[Size] = []
    for token in tokens:
        match = _SIZE_PATTERN.match(token)
        if not match:
            shown = token or "(empty)"
            raise UserError(
                f"--sizes: {shown!r} is not a size: give a number of events with an optional k or m, "
                "comma-separated, e.g. 100k,1m,10m"
            )
        events = round(float(match.group(1)) * _MULTIPLIERS[match.group(2)])
        if not MIN_SIZE <= events <= MAX_SIZE:
            raise UserError(
                f"--sizes: {token} is {events:,} events; each size must be between "
                f"{human_count(MIN_SIZE)} and {human_count(MAX_SIZE)} events"
            )
        if any(size.target_events == events for size in sizes):
            raise UserError(f"--sizes: {token} is given twice")
        sizes.append(Size(token, events))
    return sorted(sizes, key=lambda size: size.target_events)
