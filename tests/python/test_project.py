"""End to end on the real project: the demo warehouse built by the `warehouse` fixture,
then the docs site, `live-metrics check`, `export` and `materialize` against it."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from conftest import REPO_ROOT, Warehouse, dbt_env, run_dbt

CATALOGUE_METRICS = 46
SAVED_QUERIES = {
    "creators_daily_scorecard",
    "viewers_daily_scorecard",
    "platform_daily_scorecard",
    "advertisers_daily_scorecard",
    "guardrails_daily",
}


def run_against(
    warehouse: Warehouse, command: list[str], cwd: Path = REPO_ROOT, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` with the dbt environment of ``warehouse`` (plus ``env``), capturing its output."""
    return subprocess.run(
        command,
        cwd=cwd,
        env={**dbt_env(warehouse.duckdb_path, warehouse.raw_data_path), **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def run_cli(warehouse: Warehouse, *args: str, manifest: Path | None = None) -> subprocess.CompletedProcess[str]:
    manifest = manifest or warehouse.semantic_manifest
    return run_against(
        warehouse, [sys.executable, str(REPO_ROOT / "scripts" / "live-metrics"), *args, "--manifest", str(manifest)]
    )


def shadow_project(warehouse: Warehouse, tmp_path: Path) -> Path:
    """A project folder for `mf`, which reads <project>/target/semantic_manifest.json: the fixture's target."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "dbt_project.yml").symlink_to(REPO_ROOT / "dbt_project.yml")
    (project / "target").symlink_to(warehouse.target_path, target_is_directory=True)
    return project


def readme_mf_commands() -> list[list[str]]:
    """Every `mf ...` line of the README's shell blocks, split like a shell would."""
    import shlex

    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.S)
    commands = []
    for block in blocks:
        for line in block.splitlines():
            line = line.split("  #")[0].strip()
            if line.startswith("mf "):
                commands.append(shlex.split(line))
    return commands


def catalogue_names() -> list[str]:
    """The metric names of seeds/metric_catalogue.csv, in its order."""
    lines = (REPO_ROOT / "seeds" / "metric_catalogue.csv").read_text().splitlines()[1:]
    return [line.split(",", 1)[0] for line in lines]


def test_docs_generate_is_clean(warehouse: Warehouse, tmp_path: Path) -> None:
    output = run_dbt(
        ["docs", "generate"], warehouse.duckdb_path, warehouse.raw_data_path, warehouse.target_path, tmp_path
    )
    assert "[WARNING]" not in output.replace("Configuration paths exist", ""), output
    catalog = json.loads((warehouse.target_path / "catalog.json").read_text())
    manifest = json.loads((warehouse.target_path / "manifest.json").read_text())
    models = {node["name"]: node for node in manifest["nodes"].values() if node["resource_type"] == "model"}
    undocumented = [name for name, node in models.items() if not node["description"].strip()]
    assert not undocumented, f"models without a description: {undocumented}"
    for name, node in models.items():
        catalog_node = catalog["nodes"].get(node["unique_id"])
        assert catalog_node is not None, f"{name} missing from the catalog"
        columns = {column.lower() for column in catalog_node["columns"]}
        documented = {column.lower() for column, spec in node["columns"].items() if spec["description"].strip()}
        assert columns <= documented, f"{name}: undocumented columns {sorted(columns - documented)}"


def test_marts_never_expose_birth_year(warehouse: Warehouse) -> None:
    with duckdb.connect(str(warehouse.duckdb_path), read_only=True) as connection:
        leaking = connection.execute(
            "select table_name from information_schema.columns "
            "where table_schema in ('marts', 'metrics') and column_name = 'birth_year'"
        ).fetchall()
    assert leaking == []


def test_check_passes_on_the_demo_data(warehouse: Warehouse) -> None:
    completed = run_cli(warehouse, "check", "--json")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    report = json.loads(completed.stdout)
    text = json.dumps(report)
    assert "FAIL" not in text
    validation = [row for row in report["results"] if row["rule"].startswith("MetricFlow validations")]
    assert [row["status"] for row in validation] == ["PASS"]
    assert validation[0]["detail"].startswith("errors 0, ")


def test_check_validates_the_manifest_it_is_given(warehouse: Warehouse, tmp_path: Path) -> None:
    """MetricFlow's warehouse validations run on --manifest, not on the repo's target/ (absent in CI)."""
    document = json.loads(warehouse.semantic_manifest.read_text())
    gifts = next(model for model in document["semantic_models"] if model["name"] == "gifts")
    dimension = next(d for d in gifts["dimensions"] if d["name"] == "gift_name")
    dimension["expr"] = "no_such_column"
    broken = tmp_path / "semantic_manifest.json"
    broken.write_text(json.dumps(document))
    completed = run_cli(warehouse, "check", "--json", manifest=broken)
    assert completed.returncode == 1, completed.stdout + completed.stderr
    report = json.loads(completed.stdout)
    validation = next(row for row in report["results"] if row["rule"].startswith("MetricFlow validations"))
    assert validation["status"] == "FAIL"
    assert "`gifts`" in validation["detail"] and "no_such_column" in validation["detail"], validation["detail"]


def test_export_writes_every_catalogue_metric(warehouse: Warehouse, tmp_path: Path) -> None:
    completed = run_cli(warehouse, "export", "--out", str(tmp_path))
    assert completed.returncode == 0, completed.stderr
    tree = json.loads((tmp_path / "metric_tree.json").read_text())
    names = {node["name"] for node in tree["nodes"]}
    catalogue = set(catalogue_names())
    assert len(catalogue) == CATALOGUE_METRICS
    assert catalogue <= names
    north_star = [node for node in tree["nodes"] if node["tier"] == "north_star"]
    assert [node["name"] for node in north_star] == ["live_watch_minutes"]
    assert north_star[0]["value"] > 0
    # Every metric (all 46 of the catalogue and the components) answers through MetricFlow.
    assert [node["name"] for node in tree["nodes"] if node["value"] is None or node.get("error")] == []
    html = (tmp_path / "metric_tree.html").read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    for name in catalogue:
        assert name in html


def test_mf_query_answers_every_catalogue_metric(warehouse: Warehouse, tmp_path: Path) -> None:
    """The README's `mf query` answers all 46 catalogue metrics at once, and the north star adds up.

    `mf` reads <project>/target/semantic_manifest.json, so it runs in a shadow project whose
    target/ is the fixture's.
    """
    project = shadow_project(warehouse, tmp_path)
    names = catalogue_names()
    assert len(names) == CATALOGUE_METRICS
    output = tmp_path / "all_metrics.csv"
    completed = run_against(
        warehouse,
        [
            str(Path(sys.executable).parent / "mf"),
            "query",
            "--metrics",
            ",".join(names),
            "--group-by",
            "metric_time__week",
            "--csv",
            str(output),
        ],
        cwd=project,
        DBT_PROJECT_DIR=str(project),
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    with output.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows.sort(key=lambda row: row["metric_time__week"])
    # the data ends in the week of 11-23: no metric, not even the month to date, runs past it
    assert [row["metric_time__week"][:10] for row in rows] == ["2026-11-09", "2026-11-16", "2026-11-23"]
    never_answered = [name for name in names if all(row[name] in ("", None) for row in rows)]
    assert never_answered == []
    with duckdb.connect(str(warehouse.duckdb_path), read_only=True) as connection:
        (expected,) = connection.execute("select sum(watch_minutes) from marts.fct_viewer_sessions").fetchone()
    assert sum(float(row["live_watch_minutes"] or 0) for row in rows) == pytest.approx(float(expected), abs=0.01)


def test_materialize_matches_metricflow(warehouse: Warehouse) -> None:
    completed = run_cli(warehouse, "materialize")
    assert completed.returncode == 0, completed.stderr
    with duckdb.connect(str(warehouse.duckdb_path), read_only=True) as connection:
        tables = {
            row[0]
            for row in connection.execute(
                "select table_name from information_schema.tables where table_schema = 'metrics'"
            ).fetchall()
        }
        assert tables == SAVED_QUERIES | {"metric_definitions"}
        (last_day,) = connection.execute("select max(date_day) from marts.metricflow_time_spine").fetchone()
        (last_session_day,) = connection.execute("select max(started_date) from marts.fct_viewer_sessions").fetchone()
        assert last_day == last_session_day  # the data's last day: the last day a stream was live
        for table in SAVED_QUERIES:
            columns = dict(
                connection.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = 'metrics' and table_name = ?",
                    [table],
                ).fetchall()
            )
            assert columns["metric_time__day"] == "DATE", table
            assert columns["is_complete"] == "BOOLEAN", table
            assert "HUGEINT" not in columns.values(), table
            rows = connection.execute(
                f"select metric_time__day, is_complete from metrics.{table} order by 1"
            ).fetchall()
            assert rows[-1] == (last_day, False), table  # no row past the data; its last day is partial
            assert all(complete for _, complete in rows[:-1]), table
        thresholds = dict(
            connection.execute(
                "select metric_name, threshold from metrics.metric_definitions where tier = 'guardrail'"
            ).fetchall()
        )
        assert thresholds["stream_crash_rate"] == 0.05 and thresholds["moderation_actions"] is None
        # The platform scorecard's north star per day equals the sessions fact summed by session start day.
        by_day = dict(
            connection.execute(
                "select cast(metric_time__day as date), live_watch_minutes "
                "from metrics.platform_daily_scorecard where live_watch_minutes is not null"
            ).fetchall()
        )
        expected = dict(
            connection.execute(
                "select started_date, sum(watch_minutes) from marts.fct_viewer_sessions group by 1"
            ).fetchall()
        )
    assert by_day.keys() == expected.keys()
    for day, value in expected.items():
        assert by_day[day] == pytest.approx(value, rel=1e-9), day


def test_scorecard_compares_the_latest_complete_week_with_the_one_before(warehouse: Warehouse) -> None:
    completed = run_cli(warehouse, "scorecard", "--json")
    assert completed.returncode == 0, completed.stderr
    card = json.loads(completed.stdout)
    with duckdb.connect(str(warehouse.duckdb_path), read_only=True) as connection:
        last_day, first_day = connection.execute(
            "select max(started_date), min(started_date) from marts.fct_viewer_sessions"
        ).fetchone()
        week_end = last_day - dt.timedelta(days=1)  # the last day is cut off; the day before is complete
        while week_end.weekday() != 6:
            week_end -= dt.timedelta(days=1)
        week_start = week_end - dt.timedelta(days=6)
        totals = [
            connection.execute(
                "select sum(watch_minutes) from marts.fct_viewer_sessions where started_date between ? and ?",
                [start, start + dt.timedelta(days=6)],
            ).fetchone()[0]
            for start in (week_start, week_start - dt.timedelta(days=7))
        ]
    assert card["period"]["start"] == week_start.isoformat()
    assert card["first_data_day"] == first_day.isoformat()
    star = next(m for m in card["metrics"] if m["tier"] == "north_star")
    assert star["metric"] == "live_watch_minutes"
    assert star["value"] == pytest.approx(float(totals[0]), abs=0.01)
    assert star["previous"] == pytest.approx(float(totals[1]), abs=0.01)
    assert star["change"] == pytest.approx(float(totals[0]) / float(totals[1]) - 1, rel=1e-6)
    assert card["breached"] == [g["metric"] for g in card["guardrails"] if g["status"] == "breached"]


def test_scorecard_says_when_no_complete_period_has_data(warehouse: Warehouse) -> None:
    completed = run_cli(warehouse, "scorecard", "--grain", "month")
    assert completed.returncode == 0, completed.stderr
    assert "note: the data starts on" in completed.stdout and "no complete month of data yet" in completed.stdout


def test_every_readme_mf_command_runs(warehouse: Warehouse, tmp_path: Path) -> None:
    """Each `mf` command the README shows runs on the demo warehouse; queries are ordered by time."""
    commands = readme_mf_commands()
    assert len(commands) >= 5
    project = shadow_project(warehouse, tmp_path)
    mf = str(Path(sys.executable).parent / "mf")
    for command in commands:
        if command[1] == "query" and "--saved-query" not in command:
            assert "--order" in command, f"README query without --order: {' '.join(command)}"
        completed = run_against(warehouse, [mf, *command[1:]], cwd=project, DBT_PROJECT_DIR=str(project))
        output = completed.stdout + completed.stderr
        failed = completed.returncode != 0 or "does not match" in output or "Traceback" in output
        assert not failed, f"{' '.join(command)}\n{output[-2000:]}"
