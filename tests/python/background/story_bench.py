"""`live-metrics bench`: one quick run (small sizes) has every row with positive numbers, a baseline that
matches the marts, one new day after 30 and after 90 days of history, and a table listing every row; bad
--sizes are one-line errors.

No wall-clock assertion: the suite must not depend on the speed of the machine.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import pytest

from conftest import HANG_GUARD_SECONDS, launch_clean
from live_metrics.bench.runner import DEMO_LOG
from live_metrics.bench.sizes import HISTORY_DAYS, MAX_SIZE, MIN_SIZE, QUICK_HISTORY_VIEWERS, QUICK_SIZES, parse_sizes
from live_metrics.bench.steps import READ_COMMANDS
from live_metrics.errors import UserError
from live_metrics.generator.gen_model import GeneratorConfig
from live_metrics.generator.generate import generate_events, write_dataset

# the demo step's data: a small world laid out as seeds/demo (`bench --demo`), so that the story checks the
# demo and read steps without paying for a build of the whole committed demo (that is `make bench`'s)
DEMO_CONFIG = GeneratorConfig(days=16, creators=4, viewers=60, seed=5)

NUMBERS = (
    "events",
    "seconds",
    "peak_rss_bytes",
    "events_per_second",
    "seconds_per_million_events",
    "ratio",
    "share_of_full_build",
    "history_events",
    "full_build_seconds",
    "full_build_peak_rss_bytes",
    "rss_ratio",
)


def run_cli(*args: str, timeout: float = HANG_GUARD_SECONDS) -> subprocess.CompletedProcess[str]:
    return launch_clean(*args, timeout=timeout)


def test_sizes_parse_with_k_and_m_smallest_first() -> None:
    sizes = parse_sizes(" 10M, 1m ,250k")
    assert [(size.label, size.target_events) for size in sizes] == [
        ("250k", 250_000),
        ("1m", 1_000_000),
        ("10m", 10_000_000),
    ]
    # the world of the issue: 30 days, 400 creators, 3,500 viewers per million events
    assert (sizes[1].creators, sizes[1].viewers) == (400, 3_500)
    assert (sizes[2].creators, sizes[2].viewers) == (400, 35_000)
    assert [size.label for size in parse_sizes(QUICK_SIZES)] == QUICK_SIZES.split(",")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "empty"),
        (" , ", "empty"),
        ("1m,,10m", "(empty)"),
        ("ten", "'ten' is not a size"),
        ("1g", "'1g' is not a size"),
        ("-1m", "not a size"),
        ("1m 10m", "not a size"),
        ("5k", "between"),
        ("31m", "between"),
        ("1m,1000k", "given twice"),
    ],
)
def test_bad_sizes_are_one_line_errors(text: str, words: str) -> None:
    with pytest.raises(UserError) as raised:
        parse_sizes(text)
    message = str(raised.value)
    assert words in message
    assert "\n" not in message
    assert MIN_SIZE == 10_000 and MAX_SIZE == 30_000_000


def test_bad_sizes_on_the_command_line(tmp_path: Path) -> None:
    missing, empty = tmp_path / "missing", tmp_path
    for args in (["--sizes", "1x"], ["--quick", "--sizes", "1m"], ["--demo", str(missing)], ["--demo", str(empty)]):
        result = run_cli("bench", *args)
        assert result.returncode == 2, result.stdout
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
        assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def quick_bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str, str]:
    """One `bench --quick` run (a few minutes): its JSON document, its table, its progress."""
    root = tmp_path_factory.mktemp("bench")
    write_dataset(generate_events(DEMO_CONFIG), root / "demo", "csv")
    out = root / "bench.json"
    result = run_cli("bench", "--quick", "--demo", str(root / "demo"), "--out", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(out.read_text(encoding="utf-8")), result.stdout, result.stderr


def test_quick_bench_has_every_row_with_positive_numbers(quick_bench: tuple[dict, str, str]) -> None:
    document, _, _ = quick_bench
    small, large = QUICK_SIZES.split(",")
    rows = {(row["step"], row["size"]): row for row in document["rows"] if row["step"] != "read_command"}
    assert set(rows) == {
        ("generate", small),
        ("generate", large),
        ("dbt_build", small),
        ("dbt_build", large),
        ("cost_per_event_ratio", f"{large}/{small}"),
        ("materialize", large),
        ("export", large),
        ("baseline", small),
        ("baseline", large),
        ("incremental_day", large),
        ("history_day", "30d"),
        ("history_day", "90d"),
        ("history_ratio", "90d/30d"),
    }
    for key, row in rows.items():
        assert row["measured"] is True, key
        numbers = {name: row[name] for name in NUMBERS if name in row}
        assert numbers, key
        for name, value in numbers.items():
            assert isinstance(value, int | float) and value > 0, (key, name, value)
    assert rows[("baseline", large)]["dbt_build_over_baseline"] > 0
    # the new day: the last simulated day's drop and its stragglers, landed on top of the full build
    day = rows[("incremental_day", large)]
    start = next(data["start"] for data in document["data_sets"] if data["size"] == large)
    last_day = (dt.date.fromisoformat(start) + dt.timedelta(days=29)).isoformat()
    assert day["drops"][0] == f"received_date={last_day}" and day["drops"] == sorted(day["drops"])
    full = next(data["events"] for data in document["data_sets"] if data["size"] == large)
    assert rows[("dbt_build", large)]["events"] + day["events"] == full
    sets = {data["size"]: data for data in document["data_sets"]}
    assert set(sets) == {small, large, "history"}
    for data in sets.values():
        assert data["events"] > 0
    assert sets[small]["target_events"] == 20_000 and sets[large]["target_events"] == 100_000
    assert document["settings"]["duckdb_memory_limit"] and document["settings"]["duckdb_threads"] >= 1
    counts = document["dbt_project"]
    # the full build runs as `make run` does: models, seeds and data tests, no unit test (`make test` runs those)
    assert counts["models"] > 0 and counts["data_tests"] > 0 and counts["unit_tests"] == 0
    assert document["workspace"] is None  # the temporary folder is gone


def test_quick_bench_measures_one_new_day_after_30_and_90_days_of_history(quick_bench: tuple[dict, str, str]) -> None:
    """One data set of 90 days at a tiny audience; for each history length H, a full build of the drops received
    before day H, then the drop received on day H incrementally on that warehouse (like for like: day 90's
    stragglers, received after it, are left out)."""
    document, table, _ = quick_bench
    data = next(data for data in document["data_sets"] if data["size"] == "history")
    assert data["days"] == max(HISTORY_DAYS) == 90 and data["viewers"] == QUICK_HISTORY_VIEWERS
    start = dt.date.fromisoformat(data["start"])
    rows = {row["size"]: row for row in document["rows"] if row["step"] == "history_day"}
    assert sorted(rows) == ["30d", "90d"]
    for days, row in rows.items():
        assert row["history_days"] == int(days.removesuffix("d"))
        day = (start + dt.timedelta(days=row["history_days"] - 1)).isoformat()
        assert row["drops"][0] == f"received_date={day}" and row["drops"] == sorted(row["drops"]), row
        assert row["seconds"] > 0 and row["peak_rss_bytes"] > 0 and row["full_build_seconds"] > 0, row
        assert row["share_of_full_build"] == pytest.approx(row["seconds"] / row["full_build_seconds"], abs=0.01)
    for days, row in rows.items():
        assert row["drops"] == [f"received_date={(start + dt.timedelta(days=int(days[:-1]) - 1)).isoformat()}"]
    # the longest history holds every drop before day 90; day 90's drop and the stragglers after it the rest
    assert rows["90d"]["history_events"] + rows["90d"]["events"] < data["events"]
    assert rows["30d"]["history_events"] < rows["90d"]["history_events"]
    ratio = next(row for row in document["rows"] if row["step"] == "history_ratio")
    assert ratio["ratio"] == pytest.approx(rows["90d"]["seconds"] / rows["30d"]["seconds"], rel=0.01)
    assert ratio["rss_ratio"] == pytest.approx(rows["90d"]["peak_rss_bytes"] / rows["30d"]["peak_rss_bytes"], rel=0.01)
    goals = [goal for goal in document["goals"] if "at 90 days" in goal["goal"]]
    assert [goal["value"] for goal in goals] == [ratio["ratio"], ratio["rss_ratio"]]
    assert all(goal["status"] in ("met", "missed") for goal in goals), goals
    assert table.count("x its full build (") == 2 and "90d/30d: time " in table


def test_quick_bench_times_the_read_commands_on_the_demo(quick_bench: tuple[dict, str, str]) -> None:
    """scorecard, explain, check (their stored answers) and creator on the demo a real run published;
    --quick leaves out the --fresh comparison."""
    document, table, _ = quick_bench
    # the small world the fixture wrote (--demo), not the committed demo
    demo = Path(document["demo_data"])
    assert (demo.name, demo.parent.name.startswith("bench")) == ("demo", True) and (demo / DEMO_LOG).is_file()
    reads = [row for row in document["rows"] if row["step"] == "read_command"]
    assert sorted((row["command"], row["path"]) for row in reads) == sorted(
        (command, "stored answer") for command in READ_COMMANDS
    )
    for row in reads:
        assert row["size"] == "demo" and row["measured"] is True, row
        assert row["seconds"] > 0 and row["peak_rss_bytes"] > 0, row
    goal = next(goal for goal in document["goals"] if goal["goal"].startswith("scorecard, explain, check, creator"))
    assert goal["status"] in ("met", "missed") and goal["value"] == max(row["seconds"] for row in reads)
    for command in READ_COMMANDS:
        assert f"live-metrics {command}" in table, command


def test_quick_bench_baseline_matches_the_marts(quick_bench: tuple[dict, str, str]) -> None:
    document, _, _ = quick_bench
    checks = {check["data"]: check for check in document["baseline_checks"]}
    assert set(checks) == {"demo", *QUICK_SIZES.split(",")}
    for check in checks.values():
        assert check["matched"] is True, check
        assert check["sessions"]["baseline"] == check["sessions"]["mart"] > 0
        assert check["sessions_differing"] == 0 and check["stream_peaks_differing"] == 0
    goals = {goal["goal"].split(" ")[0]: goal["status"] for goal in document["goals"]}
    assert goals["one"] in ("met", "missed")
    assert goals["peak"] in ("met", "missed") and goals["cost"] in ("met", "missed")


def test_quick_bench_table_lists_every_row(quick_bench: tuple[dict, str, str]) -> None:
    document, table, progress = quick_bench
    for label in (
        "generate",
        "dbt build, full",
        "cost per event",
        "live-metrics materialize",
        "live-metrics export",
        "baseline: 1 hand-written query",
        "one new day, incremental",
        "new day after history",
        "new day, history growth",
    ):
        assert label in table, label
    assert table.count("dbt build, full") == 2 and table.count("baseline: 1 hand-written query") == 2
    assert "x the full build (" in table
    assert "baseline check" in table and "MISMATCH" not in table and table.count(" match") >= 3
    assert "goals:" in table and "not measured yet" not in table
    assert all(line.startswith("[") and "s] " in line for line in progress.splitlines() if line.strip())
