"""End to end on the real project: the demo warehouse built by the `warehouse` fixture,
then the docs site, `live-metrics check`, `export` and `materialize` against it."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import sys
import warnings
from pathlib import Path

import duckdb
import pytest

from conftest import REPO_ROOT, Warehouse, run_against, run_cli, run_dbt
from live_metrics.tree.catalogue import COLUMNS

CATALOGUE_METRICS = 57
SAVED_QUERIES = {
    "creators_daily_scorecard",
    "viewers_daily_scorecard",
    "platform_daily_scorecard",
    "advertisers_daily_scorecard",
    "guardrails_daily",
}


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
    # Every metric (all 57 of the catalogue and the components) answers through MetricFlow.
    assert [node["name"] for node in tree["nodes"] if node["value"] is None or node.get("error")] == []
    html = (tmp_path / "metric_tree.html").read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    for name in catalogue:
        assert name in html


def test_mf_query_answers_every_catalogue_metric(warehouse: Warehouse, tmp_path: Path) -> None:
    """The README's `mf query` answers all 57 catalogue metrics at once, and the north star adds up.

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
    # every week from the data's first to its last day, and none after: no metric, not even the month to
    # date, runs past the data
    with duckdb.connect(str(warehouse.duckdb_path), read_only=True) as connection:
        first, last = connection.execute(
            "select min(started_at)::date, max(ended_at)::date from marts.fct_live_streams"
        ).fetchone()
    monday = first - dt.timedelta(days=first.weekday())
    weeks = [monday + dt.timedelta(weeks=k) for k in range((last - monday).days // 7 + 1)]
    assert len(weeks) >= 9  # the demo holds nine complete weeks
    assert [row["metric_time__week"][:10] for row in rows] == [week.isoformat() for week in weeks]
    never_answered = [name for name in names if all(row[name] in ("", None) for row in rows)]
    assert never_answered == []
    with duckdb.connect(str(warehouse.duckdb_path), read_only=True) as connection:
        (expected,) = connection.execute("select sum(watch_minutes) from marts.fct_viewer_sessions").fetchone()
    assert sum(float(row["live_watch_minutes"] or 0) for row in rows) == pytest.approx(float(expected), abs=0.01)


@pytest.fixture(scope="module")
def materialized(warehouse: Warehouse) -> Warehouse:
    """The demo warehouse with `live-metrics materialize` run on it (every saved query)."""
    completed = run_cli(warehouse, "materialize")
    assert completed.returncode == 0, completed.stderr
    return warehouse


def manifest_needs(warehouse: Warehouse) -> dict[str, dict[str, object]]:
    """Metric → its meta needs_history / needs_future, read from the semantic manifest's JSON."""
    document = json.loads(warehouse.semantic_manifest.read_text(encoding="utf-8"))
    needs = {}
    for metric in document["metrics"]:
        meta = (metric.get("config") or {}).get("meta") or {}
        found = {key: meta[key] for key in ("needs_history", "needs_future") if key in meta}
        if found:
            needs[metric["name"]] = found
    return needs


def test_materialize_matches_metricflow(materialized: Warehouse) -> None:
    warehouse = materialized
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
            assert columns["is_complete"] == columns["period__is_complete"] == "BOOLEAN", table
            assert "HUGEINT" not in columns.values(), table
            # in time order as stored: a reader's `select *` without `order by` gets the days in order
            rows = connection.execute(f"select metric_time__day, period__is_complete from metrics.{table}").fetchall()
            assert [day for day, _ in rows] == sorted({day for day, _ in rows}), table
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


def test_metric_definitions_carry_the_needs_of_the_meta(materialized: Warehouse) -> None:
    needs = manifest_needs(materialized)
    with duckdb.connect(str(materialized.duckdb_path), read_only=True) as connection:
        rows = connection.execute(
            "select metric_name, needs_history, needs_future from metrics.metric_definitions"
        ).fetchall()
        types = dict(
            connection.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'metrics' and table_name = 'metric_definitions'"
            ).fetchall()
        )
    assert (types["needs_history"], types["needs_future"]) == ("VARCHAR", "INTEGER")
    assert len(rows) == len(json.loads(materialized.semantic_manifest.read_text())["metrics"])
    for name, history, future in rows:
        meta = needs.get(name, {})
        assert history == (str(meta["needs_history"]) if "needs_history" in meta else None), name
        assert future == meta.get("needs_future"), name
    # every metric that waits on more data says so (docs/contract/metrics.md: the first-ever counts, the offset
    # growth, the month to date, the retention rates and the counts they divide)
    assert {"new_viewers", "first_time_creators", "watch_minutes_wow_growth", "gift_revenue_mtd_usd"} <= {
        name for name, meta in needs.items() if "needs_history" in meta
    }
    assert {
        "viewer_d7_retention",
        "creator_d7_retention",
        "retained_viewer_days",
        "retention_eligible_viewer_days",
        "retained_creator_days",
        "retention_eligible_creator_days",
    } <= {name for name, meta in needs.items() if "needs_future" in meta}


def test_materialized_values_are_final_only_when_the_data_holds_what_they_need(materialized: Warehouse) -> None:
    """On the demo: the completeness columns against the data's first and last day (the sessions' first and
    last start day, where the north star has values) and each metric's meta, computed here."""
    needs = manifest_needs(materialized)
    document = json.loads(materialized.semantic_manifest.read_text(encoding="utf-8"))
    with duckdb.connect(str(materialized.duckdb_path), read_only=True) as connection:
        first_day, last_day = connection.execute(
            "select min(started_date), max(started_date) from marts.fct_viewer_sessions"
        ).fetchone()
        for query in document["saved_queries"]:
            table = query["name"]
            flagged = [name for name in query["query_params"]["metrics"] if name in needs]
            result = connection.execute(f"select * from metrics.{table}")
            names = [column[0] for column in result.description]
            flags = [name for name in names if name.endswith("is_complete")]
            assert flags == ["is_complete", "period__is_complete", *(f"{name}__is_complete" for name in flagged)]
            for row in result.fetchall():
                record = dict(zip(names, row, strict=True))
                day = record["metric_time__day"]
                complete = day < last_day
                assert record["period__is_complete"] == complete, (table, day)
                for name in flagged:
                    final = complete
                    history, future = needs[name].get("needs_history"), needs[name].get("needs_future")
                    if isinstance(history, int):
                        final = final and day - dt.timedelta(days=history) >= first_day
                    elif history == "month":  # month to date: the day's month starts on or after the first day
                        final = final and day.replace(day=1) >= first_day
                    if future is not None:
                        final = final and day + dt.timedelta(days=future) <= last_day
                    assert record[f"{name}__is_complete"] == final, (table, name, day)
                assert record["is_complete"] == all(record[flag] for flag in flags[1:]), (table, day)
        viewers = connection.execute(
            "select metric_time__day, new_viewers, new_viewers__is_complete, viewer_d7_retention__is_complete "
            "from metrics.viewers_daily_scorecard"
        ).fetchall()
        first_viewers = connection.execute(
            "select count(distinct viewer_id) from marts.fct_viewer_sessions where started_date = ?", [first_day]
        ).fetchone()[0]
    # the last 7 days wait for their 7 following days
    assert [day for day, _, _, final in viewers if not final] == [
        last_day - dt.timedelta(days=back) for back in range(6, -1, -1)
    ]
    # everyone is new on the data's first day: the first-ever count is not final there
    assert viewers[0][0] == first_day and viewers[0][1] == first_viewers and viewers[0][2] is False
    assert viewers[7][1] < viewers[0][1] / 5  # a week later only a few are new


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


def test_saved_queries_come_in_time_order(warehouse: Warehouse, tmp_path: Path) -> None:
    """Every saved query orders by its time group-by, so `mf query --saved-query` answers in time order.

    They share the mechanism (MetricFlow applies the saved query's `order_by`), so one is run."""
    document = json.loads(warehouse.semantic_manifest.read_text(encoding="utf-8"))
    queries = {query["name"]: query["query_params"] for query in document["saved_queries"]}
    assert set(queries) == SAVED_QUERIES
    for name, params in queries.items():
        times = [item for item in params["group_by"] if item.startswith("TimeDimension(")]
        assert times and params["order_by"][: len(times)] == times, f"{name}: order_by {params['order_by']}"
    project = shadow_project(warehouse, tmp_path)
    output = tmp_path / "guardrails_daily.csv"
    mf = str(Path(sys.executable).parent / "mf")
    command = [mf, "query", "--saved-query", "guardrails_daily", "--csv", str(output)]
    completed = run_against(warehouse, command, cwd=project, DBT_PROJECT_DIR=str(project))
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    with output.open(newline="") as handle:
        days = [row["metric_time__day"] for row in csv.DictReader(handle)]
    assert len(days) > 1 and days == sorted(set(days))


def test_readme_counts_match_the_manifest(warehouse: Warehouse) -> None:
    """The README's figures (metrics in the semantic layer, in the catalogue, components; the metrics flagged
    needs_history / needs_future, by name) are the semantic manifest's."""
    document = json.loads(warehouse.semantic_manifest.read_text(encoding="utf-8"))
    names = {metric["name"] for metric in document["metrics"]}
    catalogue = set(catalogue_names())
    assert catalogue <= names
    needs = manifest_needs(warehouse)
    history = {name for name, meta in needs.items() if "needs_history" in meta}
    future = {name for name, meta in needs.items() if "needs_future" in meta}
    text = " ".join((REPO_ROOT / "README.md").read_text(encoding="utf-8").split())
    layer = re.search(
        r"semantic layer of (\d+) metrics \(the (\d+) success metrics of the catalogue, tagged by stakeholder, "
        r"and (\d+) components",
        text,
    )
    assert layer, "the README's opening no longer counts the metrics"
    assert [int(count) for count in layer.groups()] == [len(names), len(catalogue), len(names - catalogue)]
    flags = re.search(r"(\d+) carry `needs_history`(.*?)(\d+) carry `needs_future`(.*?)At any grain", text)
    assert flags, "the README no longer lists the metrics that need history or the days after"
    assert int(flags.group(1)) == len(history)
    assert set(re.findall(r"`(\w+)`", flags.group(2))) & names == history
    assert int(flags.group(3)) == len(future)
    assert set(re.findall(r"`(\w+)`", flags.group(4))) & names == future


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


# --- the contract: docs/contract/events.md and docs/contract/metrics.md ------------------------------
# The contract lives in the repo; no test reads outside it, except the drift check against the product
# team's copy (../shared/product), which only warns and passes silently when that folder is absent.

CONTRACT = REPO_ROOT / "docs" / "contract"
EVENTS_CONTRACT = CONTRACT / "events.md"
METRICS_CONTRACT = CONTRACT / "metrics.md"
PRODUCT_SPEC = REPO_ROOT.parent / "shared" / "product"
CATALOGUE_HEADING = "catalogue"
GROWTH_HEADING = "growth stage"
METRIC_FIELDS = ("stakeholder", "tier", "parent", "direction", "threshold", "definition")
# the product team's METRICS.md: one table per tier, under these headings
SPEC_TIER_BY_HEADING = {
    "north star": "north_star",
    "core": "core",
    "supporting": "supporting",
    "guardrails": "guardrail",
}


class ContractDriftWarning(UserWarning):
    """The repo's contract and the product team's spec (../shared/product) no longer say the same."""


def markdown_tables(text: str) -> dict[str, list[dict[str, str]]]:
    """`## heading` (lower case) → the rows of the first table under it, cells stripped, as header → cell."""
    tables: dict[str, list[dict[str, str]]] = {}
    heading: str | None = None
    header: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("## "):
            heading, header = line[3:].strip().lower(), None
            continue
        if heading is None or not line.startswith("|"):
            if header is not None and heading in tables:
                heading = None  # the first table under a heading ends at its first non-table line
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
            tables[heading] = []
        elif not re.fullmatch(r"[-\s|:]+", line):
            tables[heading].append(dict(zip(header, cells, strict=True)))
    return tables


def table_under(tables: dict[str, list[dict[str, str]]], prefix: str) -> list[dict[str, str]]:
    """The one table whose heading starts with ``prefix``."""
    matches = [rows for heading, rows in tables.items() if heading.startswith(prefix)]
    assert len(matches) == 1, f"expected one table under a heading starting with {prefix!r}, found {len(matches)}"
    return matches[0]


def unquote(cell: str) -> str:
    return cell.strip().strip("`")


def normal_threshold(cell: str) -> str:
    """A threshold as the seed writes it: the spec's `none: tracked, not judged` is `none`."""
    return "none" if cell.startswith("none") else cell


def contract_metrics() -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(catalogue rows, growth-stage rows) of docs/contract/metrics.md, in seed columns, names unquoted."""
    tables = markdown_tables(METRICS_CONTRACT.read_text(encoding="utf-8"))

    def rows(prefix: str) -> list[dict[str, str]]:
        return [{**row, "metric_name": unquote(row["metric_name"])} for row in table_under(tables, prefix)]

    return rows(CATALOGUE_HEADING), rows(GROWTH_HEADING)


def change_dates(text: str) -> list[str]:
    """The dates of the `## Changes` list."""
    section = re.split(r"^## Changes\s*$", text, flags=re.M)[-1]
    return re.findall(r"^- (\d{4}-\d{2}-\d{2}):", section, flags=re.M)


def contract_by_metric() -> dict[str, dict[str, str]]:
    catalogue, growth = contract_metrics()
    return {
        row["metric_name"]: {
            **{field: row[field] for field in METRIC_FIELDS},
            "threshold": normal_threshold(row["threshold"]),
        }
        for row in catalogue + growth
    }


def spec_by_metric(text: str) -> dict[str, dict[str, str]]:
    """Metric → fields of the product team's METRICS.md: one table per tier, then the growth-stage table
    (whose rows give their tier); the north star table has no parent column, the tier tables no threshold."""
    metrics: dict[str, dict[str, str]] = {}
    for heading, rows in markdown_tables(text).items():
        tier = next((value for key, value in SPEC_TIER_BY_HEADING.items() if heading.startswith(key)), None)
        if tier is None and not heading.startswith(GROWTH_HEADING):
            continue
        for row in rows:
            name = unquote(row.get("metric", ""))
            metrics[name] = {
                "stakeholder": row.get("stakeholder", ""),
                "tier": tier or row.get("tier", ""),
                "parent": row.get("parent", ""),
                "direction": row.get("direction", ""),
                "threshold": normal_threshold(row.get("threshold", "")),
                "definition": row.get("definition", ""),
            }
    return metrics


def catalogue_drift(ours: dict[str, dict[str, str]], theirs: dict[str, dict[str, str]]) -> list[str]:
    """Every difference between two catalogues (metric → fields), one line each; empty when they agree."""
    problems = [f"{name}: in the product spec, not in docs/contract/metrics.md" for name in theirs if name not in ours]
    problems += [f"{name}: in docs/contract/metrics.md, not in the product spec" for name in ours if name not in theirs]
    for name in (name for name in ours if name in theirs):
        for field in METRIC_FIELDS:
            if ours[name][field] != theirs[name][field]:
                problems.append(f"{name}.{field}: contract {ours[name][field]!r}, spec {theirs[name][field]!r}")
    return problems


def test_catalogue_seed_matches_the_contract() -> None:
    """seeds/metric_catalogue.csv is the contract's catalogue table then its growth-stage table, row for row,
    column for column."""
    catalogue, growth = contract_metrics()
    with (REPO_ROOT / "seeds" / "metric_catalogue.csv").open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == COLUMNS == ("metric_name", *METRIC_FIELDS)
        seeded = list(reader)
    assert len(seeded) == CATALOGUE_METRICS == len(catalogue) + len(growth)
    assert [row["metric_name"] for row in seeded] == [row["metric_name"] for row in catalogue + growth]
    for seed_row, contract_row in zip(seeded, catalogue + growth, strict=True):
        assert seed_row == contract_row, seed_row["metric_name"]
    tiers = [row["tier"] for row in catalogue]
    assert {tier: tiers.count(tier) for tier in dict.fromkeys(tiers)} == {
        "north_star": 1,
        "core": 16,
        "supporting": 19,
        "guardrail": 10,
    }
    assert [row["metric_name"] for row in catalogue if not row["parent"]] == ["live_watch_minutes"]
    assert len(growth) == 11 and not {row["metric_name"] for row in growth} & {row["metric_name"] for row in catalogue}
    contract = contract_by_metric()
    assert all(row["parent"] in contract for row in catalogue + growth if row["parent"]), "a parent outside the tree"
    assert all(bool(row["threshold"]) == (row["tier"] == "guardrail") for row in catalogue + growth)
    assert change_dates(METRICS_CONTRACT.read_text(encoding="utf-8")), "the contract's dated list of changes"


def test_contract_tree_drawing_matches_the_parents() -> None:
    """The `## The tree` drawing of docs/contract/metrics.md puts every metric under its `parent`."""
    text = METRICS_CONTRACT.read_text(encoding="utf-8")
    drawing = re.search(r"^## The tree\n.*?```text\n(.*?)```", text, flags=re.S | re.M)
    assert drawing, "docs/contract/metrics.md has no tree drawing"
    contract = contract_by_metric()
    drawn: dict[str, str] = {}
    path: list[str] = []
    for line in drawing.group(1).splitlines():
        match = re.fullmatch(r"((?:[│ ]   )*)(?:[├└]── )?(\w+)  \[(\w+), (\w+)(, growth stage)?\]", line)
        assert match, f"unreadable tree line: {line!r}"
        depth = len(match.group(1)) // 4 + (1 if "── " in line else 0)
        name = match.group(2)
        del path[depth:]
        drawn[name] = path[-1] if path else ""
        path.append(name)
        assert (match.group(3), match.group(4)) == (contract[name]["tier"], contract[name]["stakeholder"]), name
    assert drawn == {name: fields["parent"] for name, fields in contract.items()}


def test_events_contract_lists_every_reason_code() -> None:
    """docs/contract/events.md's reason-code table is seeds/dq_reason_codes.csv: same codes, same outcomes."""
    rows = table_under(markdown_tables(EVENTS_CONTRACT.read_text(encoding="utf-8")), "every reason code")
    with (REPO_ROOT / "seeds" / "dq_reason_codes.csv").open(newline="", encoding="utf-8") as handle:
        seeded = {row["reason_code"]: row["outcome"] for row in csv.DictReader(handle)}
    assert {unquote(row["reason_code"]): row["outcome"] for row in rows} == seeded
    assert {row["origin"] for row in rows} == {"product spec", "project addition"}


def test_events_contract_lists_every_event_type() -> None:
    """The event-type table names the types, required properties and closed sets the raw reference uses."""
    import raw_reference as rr

    rows = table_under(markdown_tables(EVENTS_CONTRACT.read_text(encoding="utf-8")), "event types")
    by_type = {unquote(row["event_type"]): row["properties"] for row in rows}
    assert list(by_type) == list(rr.REQUIRED_PROPERTIES)
    for event_type, properties in rr.REQUIRED_PROPERTIES.items():
        written = set(re.findall(r"`(\w+)`", by_type[event_type]))
        closed_sets = {value for _, values in rr.ENUM_PROPERTIES.get(event_type, ()) for value in values}
        assert {*properties, *closed_sets} <= written, event_type


def test_contract_drift_from_the_product_spec_warns() -> None:
    """Against ../shared/product/METRICS.md when that folder exists: any difference in metric names,
    stakeholders, tiers, parents, directions, thresholds, definitions or dated changes is a warning (the
    repo's contract is what the project implements; the product team's copy may move ahead of it)."""
    spec = PRODUCT_SPEC / "METRICS.md"
    if not PRODUCT_SPEC.is_dir():
        return  # a clone without the product team's folder: nothing to compare
    if not spec.is_file():
        warnings.warn(f"{spec} is missing: cannot compare the contract with it", ContractDriftWarning, stacklevel=1)
        return
    text = spec.read_text(encoding="utf-8")
    problems = catalogue_drift(contract_by_metric(), spec_by_metric(text))
    ours, theirs = change_dates(METRICS_CONTRACT.read_text(encoding="utf-8")), change_dates(text)
    problems += [f"change of {date}: in the product spec, not in the contract" for date in theirs if date not in ours]
    if problems:
        shown = "\n  ".join(problems[:30]) + (f"\n  … and {len(problems) - 30} more" if len(problems) > 30 else "")
        warnings.warn(
            f"docs/contract/metrics.md drifts from {spec} ({len(problems)} differences):\n  {shown}",
            ContractDriftWarning,
            stacklevel=1,
        )


def test_catalogue_drift_names_each_difference() -> None:
    """The drift check's comparison, on a copy of the contract with one of everything changed."""
    ours = contract_by_metric()
    theirs = {name: dict(fields) for name, fields in ours.items()}
    theirs["ad_ctr"]["stakeholder"] = "platform"
    theirs["gift_refund_rate"]["threshold"] = "0.05"
    theirs["new_metric"] = dict(theirs.pop("likes"))
    assert catalogue_drift(ours, ours) == []
    assert catalogue_drift(ours, theirs) == [
        "new_metric: in the product spec, not in docs/contract/metrics.md",
        "likes: in docs/contract/metrics.md, not in the product spec",
        "ad_ctr.stakeholder: contract 'advertisers', spec 'platform'",
        "gift_refund_rate.threshold: contract '0.03', spec '0.05'",
    ]


def test_docs_site_shows_the_contract(warehouse: Warehouse) -> None:
    """The contract files are doc blocks: the raw log's description is the input contract, the catalogue
    seed's description carries the metric contract, and the overview links to both pages."""
    manifest = json.loads((warehouse.target_path / "manifest.json").read_text())
    docs = {doc["name"]: doc for doc in manifest["docs"].values() if doc["package_name"] == "live_streaming"}
    assert docs["raw_live_events"]["original_file_path"] == "docs/contract/events.md"
    assert docs["contract_metrics"]["original_file_path"] == "docs/contract/metrics.md"
    source = manifest["sources"]["source.live_streaming.live_raw.raw_live_events"]
    assert source["description"].strip() == docs["raw_live_events"]["block_contents"].strip()
    seed = manifest["nodes"]["seed.live_streaming.metric_catalogue"]
    assert docs["contract_metrics"]["block_contents"].strip() in seed["description"]
    links = re.findall(r"\]\(#!/(\w+)/([\w.]+)\)", docs["__overview__"]["block_contents"])
    assert {unique_id for _, unique_id in links} >= {source["unique_id"], seed["unique_id"]}
    resources = ("nodes", "sources", "exposures", "metrics", "semantic_models", "saved_queries", "macros")
    known = {unique_id for key in resources for unique_id in manifest.get(key, {})}
    for kind, unique_id in links:
        if unique_id.startswith(f"{kind}."):  # a link to a resource page: it must exist
            assert unique_id in known, f"the overview links to {unique_id}, which the manifest lacks"
