"""The bench's history step: does the cost of one new day grow with the history already built?

One data set spanning the longest history is generated as daily drops at a fixed audience (so about the
same events every day). For each history length H (``HistoryPlan.days``) a raw folder of its own holds the
reference tables and the drops received before day H (day H: the start plus H - 1 days); a full
``dbt build`` of it makes a warehouse, then the drop received on day H lands (the same for every H: the last
day's stragglers, received after it, are left out) and an incremental ``dbt build`` runs on that
warehouse. Rows: one ``history_day`` per H (the new day's seconds and peak RSS beside its full build's) and
one ``history_ratio``, the longest history over the shortest; the goals compare the two.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from live_metrics.errors import UserError

if TYPE_CHECKING:
    from live_metrics.bench.measured import Measured
    from live_metrics.bench.steps import Bench

EVENTS_FOLDER = "raw_live_events"  # the event log's drops: raw_live_events/received_date=YYYY-MM-DD/
DROP_PREFIX = "received_date="
# as `make daily` runs it: every model, seed and data test (the unit tests test the code: `make test`)
BUILD_ARGS = ("--exclude-resource-type", "unit_test")


@dataclass(frozen=True)
class HistoryPlan:
    """The step's data set and history lengths: ``days`` shortest first, the data set spans the longest."""

    days: tuple[int, ...]
    viewers: int
    creators: int
    target_events: int

    @property
    def generated_days(self) -> int:
        return max(self.days)


@dataclass(frozen=True)
class DropSplit:
    """The drops of one history length: those built in full first, then the new day's."""

    history: tuple[Path, ...]
    new: tuple[Path, ...]


def simulated_day(start: dt.date, n: int) -> dt.date:
    """The ``n``-th simulated day of a data set starting on ``start`` (day 1 is ``start``)."""
    return start + dt.timedelta(days=n - 1)


def split_drops(events: Path, start: dt.date, history_days: int, with_stragglers: bool) -> DropSplit:
    """The drops under ``events`` received before day ``history_days`` and those received on it.

    ``with_stragglers`` (the last simulated day): the new day also takes every drop received after it.
    Drops received later are left out otherwise; both parts are oldest first.
    """
    day = simulated_day(start, history_days).isoformat()
    drops = sorted(path for path in events.glob(f"{DROP_PREFIX}*") if path.is_dir())
    history = tuple(drop for drop in drops if _received(drop) < day)
    new = tuple(drop for drop in drops if _received(drop) == day or (with_stragglers and _received(drop) > day))
    if not history or not new:
        raise UserError(
            f"the generated data in {events} has {len(history)} drops before {day} and {len(new)} on it: "
            f"{history_days} days of history need both"
        )
    return DropSplit(history, new)


def _received(drop: Path) -> str:
    return drop.name.split("=", 1)[1]


def stage(generated: Path, raw: Path, drops: Sequence[Path]) -> None:
    """Make ``raw`` a raw folder: the reference tables of ``generated`` (all but the event log) and ``drops``.

    Files are hard links where the file system allows (the drops are read, never written), copies otherwise.
    """
    raw.mkdir(parents=True, exist_ok=True)
    for item in sorted(generated.iterdir()):
        if item.name != EVENTS_FOLDER:
            _place(item, raw / item.name)
    add_drops(raw, drops)


def add_drops(raw: Path, drops: Sequence[Path]) -> None:
    """Land ``drops`` in the event log of the raw folder ``raw``."""
    for drop in drops:
        _place(drop, raw / EVENTS_FOLDER / drop.name)


def _place(source: Path, target: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, target, copy_function=_link_or_copy)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        _link_or_copy(source, target)


def _link_or_copy(source: str | Path, target: str | Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


# --- running it --------------------------------------------------------------------------------------------


def run_history(
    bench: Bench, folder: Path, plan: HistoryPlan, raw_rows: Callable[[Path], int]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Generate the plan's data set in ``folder``, then measure one new day after each history length.

    Returns the data set (as the bench lists it) and the rows: one ``history_day`` per length, then the
    ``history_ratio`` (with two lengths or more). ``raw_rows`` counts the raw rows a warehouse was built from.
    """
    _, data = bench.generate_raw(
        "history", plan.target_events, folder, plan.generated_days, plan.creators, plan.viewers
    )
    start = dt.date.fromisoformat(data["start"])
    # like for like: each new day is the one drop received on day H (the last day's stragglers, received after
    # it, would make the longest history's new day the larger one)
    rows = [new_day(bench, folder, start, days, False, raw_rows) for days in plan.days]
    ratio = ratio_row(rows)
    return data, rows + ([ratio] if ratio else [])


def new_day(
    bench: Bench,
    folder: Path,
    start: dt.date,
    history_days: int,
    with_stragglers: bool,
    raw_rows: Callable[[Path], int],
) -> dict[str, Any]:
    """One history length: a full build of the drops before day ``history_days``, then that day incrementally."""
    split = split_drops(folder / "raw" / EVENTS_FOLDER, start, history_days, with_stragglers)
    work = folder / f"{history_days}d"
    if work.exists():
        shutil.rmtree(work)
    raw = work / "raw"
    stage(folder / "raw", raw, split.history)
    label = f"history {history_days}d"
    full = bench.dbt_build(label, work, raw, "parquet", "dbt build", *BUILD_ARGS)
    history_events = raw_rows(work / "live.duckdb")
    add_drops(raw, split.new)
    day = bench.dbt_build(label, work, raw, "parquet", "incremental dbt build", *BUILD_ARGS, incremental=True)
    return history_day_row(
        history_days, [drop.name for drop in split.new], history_events, raw_rows(work / "live.duckdb"), full, day
    )


def history_day_row(
    history_days: int, drops: list[str], history_events: int, all_events: int, full: Measured, day: Measured
) -> dict[str, Any]:
    """The ``history_day`` row: the new day's build beside the full build of the history before it."""
    return {
        "step": "history_day",
        "size": f"{history_days}d",
        "measured": True,
        "history_days": history_days,
        "events": all_events - history_events,
        "history_events": history_events,
        "drops": drops,
        "seconds": round(day.seconds, 2),
        "peak_rss_bytes": day.peak_rss_bytes,
        "full_build_seconds": round(full.seconds, 2),
        "full_build_peak_rss_bytes": full.peak_rss_bytes,
        "share_of_full_build": round(day.seconds / full.seconds, 3),
    }


def ratio_row(rows: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The new day at the longest history over the shortest (time and peak RSS); None under two lengths."""
    days = sorted((row for row in rows if row["step"] == "history_day"), key=lambda row: row["history_days"])
    if len(days) < 2:
        return None
    shortest, longest = days[0], days[-1]
    return {
        "step": "history_ratio",
        "size": f"{longest['size']}/{shortest['size']}",
        "measured": True,
        "ratio": round(longest["seconds"] / shortest["seconds"], 3),
        "rss_ratio": round(longest["peak_rss_bytes"] / shortest["peak_rss_bytes"], 3),
    }


# --- goals and the table ------------------------------------------------------------------------------------


def history_goals(rows: Sequence[dict[str, Any]], days: Sequence[int], max_ratio: float) -> list[dict[str, Any]]:
    """The two goals: the new day's time and its peak RSS at the longest history <= ``max_ratio`` x the shortest."""
    shortest, longest = min(days), max(days)
    by_days = {row["history_days"]: row for row in rows if row["step"] == "history_day"}
    ratio = next((row for row in rows if row["step"] == "history_ratio"), None)

    def goal(text: str, key: str, detail: Callable[[dict[str, Any], dict[str, Any]], str]) -> dict[str, Any]:
        long, short = by_days.get(longest), by_days.get(shortest)
        if ratio is None or long is None or short is None:
            return {"goal": text, "value": None, "status": "not measured yet", "detail": ""}
        value = ratio[key]
        return {
            "goal": text,
            "value": value,
            "status": "met" if value <= max_ratio else "missed",
            "detail": f"{value:.2f} x ({detail(long, short)})",
        }

    return [
        goal(
            f"one new day at {longest} days of history <= {max_ratio:g} x at {shortest} days",
            "ratio",
            lambda long, short: f"{long['seconds']:,.1f} s vs {short['seconds']:,.1f} s",
        ),
        goal(
            f"new day's peak RSS at {longest} days <= {max_ratio:g} x at {shortest} days",
            "rss_ratio",
            lambda long, short: f"{_mib(long['peak_rss_bytes'])} vs {_mib(short['peak_rss_bytes'])}",
        ),
    ]


def _mib(n: int) -> str:
    return f"{n / 1024**2:,.0f} MiB"


def history_result(row: dict[str, Any]) -> str:
    """The table's result cell for a ``history_day`` or ``history_ratio`` row."""
    if row["step"] == "history_day":
        return f"{row['share_of_full_build']:.2f} x its full build ({row['full_build_seconds']:,.0f} s)"
    if row["step"] == "history_ratio":
        return f"{row['size']}: time {row['ratio']:.2f}, RSS {row['rss_ratio']:.2f}"
    raise ValueError(f"not a history row: {row['step']}")
