"""The bench's history step without dbt: which drops a history length builds in full and which land as its new
day, the raw folder it stages, the ratio row, the two goals (met, missed, not measured yet) and the table.

`tests/python/background/story_bench.py` runs the whole step (`bench --quick`).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

from live_metrics.bench.bench_history import add_drops, ratio_row, simulated_day, split_drops, stage
from live_metrics.bench.report import HISTORY_GOAL_RATIO, INCREMENTAL_GOAL_SHARE, goals, render
from live_metrics.bench.sizes import HISTORY_DAYS, HISTORY_VIEWERS, QUICK_HISTORY_VIEWERS, history_plan, parse_sizes
from live_metrics.errors import UserError

START = dt.date(2026, 1, 1)
GENERATED_DAYS = 90
STRAGGLER_DAYS = 2  # drops received after the last simulated day


def fake_generated(root: Path) -> Path:
    """A generated set's layout: reference tables, and one drop folder per received day (90 days + stragglers)."""
    for name in ("users.parquet", "gift_catalog.parquet"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b"reference " + name.encode())
    events = root / "raw_live_events"
    for offset in range(GENERATED_DAYS + STRAGGLER_DAYS):
        drop = events / f"received_date={(START + dt.timedelta(days=offset)).isoformat()}"
        drop.mkdir(parents=True)
        (drop / "part-0.parquet").write_bytes(f"events {offset}".encode())
    (events / "notes.txt").write_text("not a drop")  # a stray file is not a drop
    return root


def names(drops: tuple[Path, ...]) -> list[str]:
    return [drop.name for drop in drops]


def day(n: int) -> str:
    return f"received_date={simulated_day(START, n).isoformat()}"


def test_simulated_days_count_from_one() -> None:
    assert simulated_day(START, 1) == START
    assert simulated_day(START, 30) == dt.date(2026, 1, 30)
    assert simulated_day(START, 90) == dt.date(2026, 3, 31)


def test_a_history_builds_the_drops_before_its_day_then_that_days_drop(tmp_path: Path) -> None:
    events = fake_generated(tmp_path) / "raw_live_events"
    split = split_drops(events, START, 30, with_stragglers=False)
    assert names(split.history) == [day(n) for n in range(1, 30)]
    assert names(split.new) == [day(30)]  # the later drops belong to no part of a 30-day history


def test_the_last_simulated_day_lands_with_its_stragglers(tmp_path: Path) -> None:
    events = fake_generated(tmp_path) / "raw_live_events"
    split = split_drops(events, START, 90, with_stragglers=True)
    assert names(split.history) == [day(n) for n in range(1, 90)]
    assert names(split.new) == [day(90), day(91), day(92)]
    assert names(split_drops(events, START, 90, with_stragglers=False).new) == [day(90)]


@pytest.mark.parametrize("history_days", [1, 93, 120])
def test_a_history_with_no_drop_before_or_on_its_day_is_an_error(tmp_path: Path, history_days: int) -> None:
    events = fake_generated(tmp_path) / "raw_live_events"
    with pytest.raises(UserError) as raised:
        split_drops(events, START, history_days, with_stragglers=True)
    assert "\n" not in str(raised.value) and f"{history_days} days of history" in str(raised.value)


def test_the_staged_folder_has_the_reference_tables_and_only_the_drops_given(tmp_path: Path) -> None:
    generated = fake_generated(tmp_path / "generated")
    split = split_drops(generated / "raw_live_events", START, 30, with_stragglers=False)
    raw = tmp_path / "30d" / "raw"
    stage(generated, raw, split.history)
    assert sorted(path.name for path in raw.iterdir()) == ["gift_catalog.parquet", "raw_live_events", "users.parquet"]
    assert (raw / "users.parquet").read_bytes() == (generated / "users.parquet").read_bytes()
    assert sorted(path.name for path in (raw / "raw_live_events").iterdir()) == [day(n) for n in range(1, 30)]
    assert (raw / "raw_live_events" / day(29) / "part-0.parquet").read_bytes() == b"events 28"
    add_drops(raw, split.new)
    assert sorted(path.name for path in (raw / "raw_live_events").iterdir()) == [day(n) for n in range(1, 31)]
    # the generated set is left as it was
    assert len(list((generated / "raw_live_events").glob("received_date=*"))) == GENERATED_DAYS + STRAGGLER_DAYS


def test_the_history_plan_is_one_data_set_of_the_longest_history() -> None:
    plan, quick = history_plan(quick=False), history_plan(quick=True)
    assert plan.days == HISTORY_DAYS == (30, 90) and plan.generated_days == 90
    assert (plan.viewers, plan.creators) == (HISTORY_VIEWERS, 400)  # one creator per 8.75 viewers, up to 400
    assert (quick.viewers, quick.creators) == (QUICK_HISTORY_VIEWERS, 34)
    assert 90_000 <= plan.target_events / plan.generated_days <= 100_000  # ~100 k events a day


# --- rows, goals, table ------------------------------------------------------------------------------------


def history_day(days: int, seconds: float, rss_mib: int, full_seconds: float) -> dict[str, Any]:
    return {
        "step": "history_day",
        "size": f"{days}d",
        "measured": True,
        "history_days": days,
        "events": 95_000,
        "history_events": 95_000 * (days - 1),
        "drops": [day(days)],
        "seconds": seconds,
        "peak_rss_bytes": rss_mib * 1024**2,
        "full_build_seconds": full_seconds,
        "full_build_peak_rss_bytes": 2 * rss_mib * 1024**2,
        "share_of_full_build": round(seconds / full_seconds, 3),
    }


def history_rows(seconds_90: float, rss_90: int) -> list[dict[str, Any]]:
    rows = [history_day(30, 10.0, 500, 200.0), history_day(90, seconds_90, rss_90, 600.0)]
    ratio = ratio_row(rows)
    assert ratio is not None
    return [*rows, ratio]


def history_goals_of(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    sizes = parse_sizes("20k,100k")
    found = goals(rows, sizes[-1], sizes[0])
    return {goal["goal"]: goal for goal in found if "days of history" in goal["goal"] or "RSS at 90" in goal["goal"]}


TIME_GOAL = f"one new day at 90 days of history <= {HISTORY_GOAL_RATIO:g} x at 30 days"
RSS_GOAL = f"new day's peak RSS at 90 days <= {HISTORY_GOAL_RATIO:g} x at 30 days"


def test_the_ratio_row_is_the_longest_history_over_the_shortest() -> None:
    rows = history_rows(12.0, 650)
    assert rows[-1] == {"step": "history_ratio", "size": "90d/30d", "measured": True, "ratio": 1.2, "rss_ratio": 1.3}
    assert ratio_row(rows[:1]) is None


def test_history_goals_met_and_missed() -> None:
    found = history_goals_of(history_rows(12.0, 650))
    assert set(found) == {TIME_GOAL, RSS_GOAL}
    assert found[TIME_GOAL]["status"] == "met" and found[TIME_GOAL]["value"] == 1.2
    assert found[TIME_GOAL]["detail"] == "1.20 x (12.0 s vs 10.0 s)"
    assert found[RSS_GOAL]["status"] == "missed" and found[RSS_GOAL]["value"] == 1.3
    assert found[RSS_GOAL]["detail"] == "1.30 x (650 MiB vs 500 MiB)"
    slower = history_goals_of(history_rows(12.6, 600))
    assert slower[TIME_GOAL]["status"] == "missed" and slower[RSS_GOAL]["status"] == "met"
    at_the_goal = history_goals_of(history_rows(12.5, 625))  # exactly 1.25 x: met
    assert at_the_goal[TIME_GOAL]["status"] == at_the_goal[RSS_GOAL]["status"] == "met"


def test_history_goals_not_measured_without_the_rows() -> None:
    for rows in ([], history_rows(12.0, 650)[:1]):
        found = history_goals_of(rows)
        assert set(found) == {TIME_GOAL, RSS_GOAL}
        for goal in found.values():
            assert (goal["status"], goal["value"], goal["detail"]) == ("not measured yet", None, "")


def test_the_incremental_goal_is_a_twentieth_of_the_full_build() -> None:
    sizes = parse_sizes("20k,100k")
    incremental = {
        "step": "incremental_day",
        "size": "100k",
        "measured": True,
        "share_of_full_build": 0.06,
        "drops": [],
    }
    found = [goal for goal in goals([incremental], sizes[-1], sizes[0]) if goal["goal"].startswith("one new day <=")]
    assert INCREMENTAL_GOAL_SHARE == 0.05
    assert [(goal["goal"], goal["status"]) for goal in found] == [
        ("one new day <= 0.05 x full build at 100k", "missed")
    ]


def test_the_table_shows_each_history_row_and_the_ratio() -> None:
    rows = history_rows(12.0, 650)
    document = {
        "started": "2026-01-01T00:00:00+00:00",
        "machine": {"cpus": 2, "memory_gib": 8.0, "load_average_at_start": [0.5]},
        "settings": {"duckdb_threads": 2, "duckdb_memory_limit": "3GB", "dbt_threads": 2},
        "data_sets": [],
        "rows": rows,
        "baseline_checks": [],
        "goals": list(history_goals_of(rows).values()),
    }
    table = render(document)
    # step, data, events, wall s, peak RSS, result: one line each
    cells = [
        re.split(r"\s{2,}", line.strip())
        for line in table.splitlines()
        if line.startswith(("new day after", "new day,"))
    ]
    assert cells == [
        ["new day after history", "30d", "95,000", "10.0", "500 MiB", "0.05 x its full build (200 s)"],
        ["new day after history", "90d", "95,000", "12.0", "650 MiB", "0.02 x its full build (600 s)"],
        ["new day, history growth", "90d/30d", "90d/30d: time 1.20, RSS 1.30"],
    ]
    assert TIME_GOAL in table and "1.20 x (12.0 s vs 10.0 s)" in table
    assert RSS_GOAL in table and "1.30 x (650 MiB vs 500 MiB)" in table
