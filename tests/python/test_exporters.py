"""Exporters (JSON, Mermaid, Markdown, HTML), values from a (fake) MetricFlow, and one optional end-to-end
run against a tiny dbt-duckdb project built in a temporary directory."""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from conftest import HANG_GUARD_SECONDS
from live_metrics.engine.manifest import load_manifest
from live_metrics.engine.mf_engine import QueryResult
from live_metrics.errors import NoDataYet, UserError
from live_metrics.render.exporters import (
    EXPORT_FORMATS,
    build_document,
    mermaid_ids,
    render_html,
    render_json,
    render_markdown,
    render_mermaid,
    write_all,
)
from live_metrics.render.formatting import change_points, format_change, format_metric_change, guardrail_table
from live_metrics.report.explain import contribution_rows, render_text
from live_metrics.report.export import DESCRIPTION
from live_metrics.report.scorecard import build_scorecard, print_scorecard
from live_metrics.tree.drivers import build_explanation
from live_metrics.tree.measure import Measurement
from live_metrics.tree.snapshot import Snapshot, data_span, last_data_day, take_snapshot
from live_metrics.tree.tree import MetricTree, build_tree

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[2]
RUN_CLI = Path(__file__).resolve().parents[2] / "scripts" / "live-metrics"
GENERATED_AT = dt.datetime(2026, 3, 6, 8, 0, tzinfo=dt.UTC)

NODE_COUNT = 17
PARENT_EDGES = 16
COMPONENT_EDGES = 11


class FakeQuerier:
    """Answers like MetricFlowSession.query_metrics, from a table of per-period values."""

    def __init__(self, values: dict[str, dict[str, float]], broken: Sequence[str] = ()) -> None:
        self.values = values  # period start (ISO) → metric → value
        self.broken = set(broken)
        self.calls: list[tuple[tuple[str, ...], tuple[str, ...]]] = []

    def query_metrics(
        self,
        metrics: Sequence[str],
        group_by: Sequence[str] = (),
        start: dt.date | None = None,
        end: dt.date | None = None,
        order_by: Sequence[str] | None = None,
    ) -> QueryResult:
        self.calls.append((tuple(metrics), tuple(group_by)))
        if self.broken & set(metrics):
            raise UserError(f"MetricFlow query of {', '.join(metrics)} failed: boom")
        column = group_by[0]
        rows = tuple(
            (dt.datetime.fromisoformat(day), *(row.get(name) for name in metrics))
            for day, row in sorted(self.values.items())
        )
        return QueryResult(columns=(column, *metrics), rows=rows)


@pytest.fixture(scope="module")
def tree() -> MetricTree:
    return build_tree(load_manifest(FIXTURES / "manifest_good.json"))


def week_values(tree: MetricTree) -> dict[str, dict[str, float]]:
    current = {name: 10.0 for name in tree.nodes}
    previous = {name: 8.0 for name in tree.nodes}
    current.update(rebuffer_ratio=0.03, stream_crash_rate=0.01, moderation_actions=7)
    previous.update(rebuffer_ratio=0.01, stream_crash_rate=0.02, moderation_actions=5)
    return {"2026-02-16": previous, "2026-02-23": current}


@pytest.fixture(scope="module")
def snapshot(tree: MetricTree) -> Snapshot:
    querier = FakeQuerier(week_values(tree))
    return take_snapshot(querier, list(tree), "week", dt.date(2026, 3, 5))


@pytest.fixture(scope="module")
def document(tree: MetricTree, snapshot: Snapshot) -> dict[str, Any]:
    return build_document(tree, snapshot, {"live_viewers": "distinct viewers"}, generated_at=GENERATED_AT)


# --- values ------------------------------------------------------------------------------------------


def test_snapshot_uses_one_query_and_the_latest_complete_week(tree: MetricTree) -> None:
    querier = FakeQuerier(week_values(tree))
    snap = take_snapshot(querier, list(tree), "week", dt.date(2026, 3, 5))
    assert len(querier.calls) == 1 and querier.calls[0][1] == ("metric_time__week",)
    assert snap.period.start == dt.date(2026, 2, 23) and snap.previous.start == dt.date(2026, 2, 16)
    star = snap.values["live_watch_minutes"]
    assert (star.value, star.previous, star.change, star.trend, star.status) == (10.0, 8.0, 0.25, "better", None)
    assert snap.values["rebuffer_ratio"].status == "breached"
    assert snap.values["rebuffer_ratio"].trend == "worse"
    assert snap.values["stream_crash_rate"].status == "ok"
    assert snap.values["moderation_actions"].status == "tracked"


def test_snapshot_falls_back_to_one_query_per_metric_when_one_breaks(tree: MetricTree) -> None:
    querier = FakeQuerier(week_values(tree), broken=["notification_join_rate"])
    snap = take_snapshot(querier, list(tree), "week", dt.date(2026, 3, 5))
    assert len(querier.calls) == 1 + len(tree)
    assert snap.values["notification_join_rate"].error and snap.values["notification_join_rate"].value is None
    assert snap.values["live_viewers"].value == 10.0


@pytest.mark.parametrize(
    ("last_data_day", "week_start"),
    [("2026-03-02", "2026-02-23"), ("2026-03-01", "2026-02-16"), ("2026-03-05", "2026-02-23")],
)
def test_a_week_is_complete_once_the_data_runs_past_it(tree: MetricTree, last_data_day: str, week_start: str) -> None:
    snap = take_snapshot(FakeQuerier({}), list(tree), "week", dt.date.fromisoformat(last_data_day))
    assert snap.period.start.isoformat() == week_start


def test_last_data_day_ignores_empty_and_zero_days() -> None:
    querier = FakeQuerier({"2026-03-04": {"m": 3.0}, "2026-03-05": {"m": 2.0}, "2026-03-06": {"m": 0.0}})
    assert last_data_day(querier, "m") == dt.date(2026, 3, 5)
    querier = FakeQuerier({"2026-03-02": {"m": 0.0}, "2026-03-04": {"m": 3.0}, "2026-03-05": {"m": 2.0}})
    assert data_span(querier, "m") == (dt.date(2026, 3, 4), dt.date(2026, 3, 5))
    with pytest.raises(NoDataYet, match="no clean live event yet") as raised:
        last_data_day(FakeQuerier({}), "m")
    assert raised.value.exit_code == 0


# --- JSON ----------------------------------------------------------------------------------------------


def test_json_has_expected_nodes_and_edges(tmp_path: Path, document: dict[str, Any]) -> None:
    written = write_all(document, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "metric_tree.html",
        "metric_tree.json",
        "metric_tree.md",
        "metric_tree.mmd",
    ]
    data = json.loads(written["json"].read_text(encoding="utf-8"))
    assert len(data["nodes"]) == NODE_COUNT
    assert len(data["edges"]) == PARENT_EDGES + COMPONENT_EDGES
    assert sum(e["kind"] == "parent" for e in data["edges"]) == PARENT_EDGES
    assert {tuple(sorted(e)) for e in data["edges"]} == {("kind", "source", "target", "weight")}
    node = next(n for n in data["nodes"] if n["name"] == "rebuffer_ratio")
    for key in (
        "name",
        "label",
        "description",
        "type",
        "stakeholder",
        "tier",
        "parent",
        "direction",
        "owner",
        "threshold",
        "value",
        "previous",
        "change",
        "status",
    ):
        assert key in node
    assert (node["threshold"], node["value"], node["status"]) == (0.02, 0.03, "breached")
    assert data["period"]["start"] == "2026-02-23" and data["north_star"] == "live_watch_minutes"
    assert next(n for n in data["nodes"] if n["name"] == "live_viewers")["definition"] == "distinct viewers"


def test_json_without_values(tree: MetricTree) -> None:
    data = build_document(tree)
    assert data["has_values"] is False and data["period"] is None
    assert all(n["value"] is None and n["status"] is None for n in data["nodes"])


# --- Mermaid -------------------------------------------------------------------------------------------

NODE_LINE = re.compile(r'^\s*(\w+)\["([^"]*)"\]$')
EDGE_LINE = re.compile(r"^\s*(\w+) (-->|-\.->) (\w+)$")


def check_mermaid(text: str) -> tuple[set[str], list[tuple[str, str, str]]]:
    lines = text.splitlines()
    assert lines[0].startswith("flowchart ")
    declared: set[str] = set()
    edges: list[tuple[str, str, str]] = []
    depth = 0
    for line in lines[1:]:
        stripped = line.strip()
        if stripped.startswith("subgraph "):
            depth += 1
        elif stripped == "end":
            depth -= 1
            assert depth >= 0, "`end` without `subgraph`"
        elif stripped.startswith(("direction ", "classDef ", "class ")):
            continue
        elif match := NODE_LINE.match(line):
            assert re.fullmatch(r"m_[A-Za-z0-9_]+", match.group(1)), match.group(1)
            declared.add(match.group(1))
        elif match := EDGE_LINE.match(line):
            edges.append((match.group(1), match.group(2), match.group(3)))
        else:
            raise AssertionError(f"unexpected Mermaid line: {line!r}")
    assert depth == 0, "unbalanced subgraph/end"
    for source, _arrow, target in edges:
        assert source in declared and target in declared, (source, target)
    return declared, edges


def test_mermaid_is_well_formed(document: dict[str, Any]) -> None:
    text = render_mermaid(document)
    declared, edges = check_mermaid(text)
    assert len(declared) == NODE_COUNT
    assert sum(arrow == "-->" for _, arrow, _ in edges) == PARENT_EDGES
    assert sum(arrow == "-.->" for _, arrow, _ in edges) == COMPONENT_EDGES
    assert text.count("subgraph ") == 3  # one per stakeholder present
    assert "classDef guardrail" in text and "class m_rebuffer_ratio breached" in text
    assert re.search(r"^\s*class [\w,]*m_stream_crash_rate[\w,]* guardrail$", text, re.M)


def test_mermaid_sanitizes_ids_and_labels(tree: MetricTree) -> None:
    data = build_document(tree)
    weird = dict(data["nodes"][0], name="weird-name.v2", label='A "quoted" <label> | x')
    clash = dict(data["nodes"][0], name="weird_name_v2", label="clash")
    data["nodes"] = data["nodes"] + [weird, clash]
    data["edges"] = data["edges"] + [{"source": "weird-name.v2", "target": "weird_name_v2", "kind": "parent"}]
    text = render_mermaid(data)
    declared, edges = check_mermaid(text)
    assert {"m_weird_name_v2", "m_weird_name_v2_2"} <= declared
    assert ("m_weird_name_v2", "-->", "m_weird_name_v2_2") in edges
    assert "#quot;quoted#quot;" in text and "#lt;label#gt;" in text
    assert mermaid_ids(["end", "a b"]) == {"end": "m_end", "a b": "m_a_b"}


# --- Markdown ------------------------------------------------------------------------------------------


def test_markdown_has_tables_per_stakeholder_and_tier(document: dict[str, Any]) -> None:
    text = render_markdown(document)
    assert text.startswith("# ")
    for heading in ("## Guardrails", "## Creators", "## Viewers", "## Platform", "### Core", "### Supporting"):
        assert heading in text
    assert "week 2026-02-23 – 2026-03-01" in text
    assert "| `rebuffer_ratio` |" in text and "**breached**" in text
    assert "```mermaid\nflowchart TB" in text
    header_lines = [line for line in text.splitlines() if line.startswith("| metric |")]
    assert header_lines and all("| value | previous | change |" in line for line in header_lines)


# --- HTML ----------------------------------------------------------------------------------------------


class _Collector(HTMLParser):
    VOID = {"meta", "br", "input", "link", "img", "hr", "wbr"}  # elements with no end tag

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.references: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "action", "data") and value:
                self.references.append(value)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> with open {self.stack[-3:]}")
        else:
            self.stack.pop()


def test_html_is_one_offline_self_contained_page(tmp_path: Path, document: dict[str, Any]) -> None:
    path = write_all(document, tmp_path)["html"]
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert "http://" not in text and "https://" not in text
    collector = _Collector()
    collector.feed(text)
    assert collector.errors == [] and collector.stack == []
    # no src=/href= but in-page anchors (#metric=NAME): nothing to fetch
    assert [ref for ref in collector.references if not ref.startswith("#")] == []
    assert "link" not in collector.tags and "iframe" not in collector.tags and "img" not in collector.tags
    assert "@import" not in text and "url(" not in text
    # the data is embedded and parses
    embedded = re.search(r'<script type="application/json" id="metric-tree-data">(.*?)</script>', text, re.S)
    assert embedded is not None
    data = json.loads(embedded.group(1))
    assert len(data["nodes"]) == NODE_COUNT and data["period"]["label"] == "week 2026-02-23 – 2026-03-01"
    # values, changes and guardrail status are on the page
    assert "breached" in text and "+25.0%" in text and "tracked" in text
    for stakeholder in ("creators", "viewers", "platform"):
        assert f'data-stakeholder="{stakeholder}"' in text  # the stakeholder filter buttons


def test_html_escapes_text_and_script_breakers(tree: MetricTree) -> None:
    data = build_document(tree)
    data["nodes"][0] = dict(data["nodes"][0], label="<script>alert(1)</script>", description='</script><b x="1">')
    text = render_html(data)
    assert "<script>alert(1)" not in text
    assert text.count("</script>") == 2  # the JSON block and the inline script
    embedded = re.search(r'id="metric-tree-data">(.*?)</script>', text, re.S)
    assert embedded and json.loads(embedded.group(1))["nodes"][0]["label"] == "<script>alert(1)</script>"


# --- the formats and the guardrail table -------------------------------------------------------------


def test_one_registry_names_every_format(tmp_path: Path, document: dict[str, Any]) -> None:
    assert list(EXPORT_FORMATS) == ["json", "mermaid", "markdown", "html"]
    assert len({f.file_name for f in EXPORT_FORMATS.values()}) == len(EXPORT_FORMATS)
    for export_format in EXPORT_FORMATS.values():
        assert export_format.file_name in DESCRIPTION  # `export --help` lists the files from the registry
        assert export_format.render(document).strip()
    assert EXPORT_FORMATS["json"].render is render_json and EXPORT_FORMATS["html"].render is render_html
    written = write_all(document, tmp_path, ["markdown", "json"])
    assert list(written) == ["markdown", "json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metric_tree.json", "metric_tree.md"]
    assert written["markdown"].read_text(encoding="utf-8") == render_markdown(document)


def test_the_guardrail_table_is_built_once_into_the_document(document: dict[str, Any]) -> None:
    rows = document["guardrails"]
    assert [row["metric"] for row in rows] == [n["name"] for n in document["nodes"] if n["tier"] == "guardrail"]
    rebuffer = next(row for row in rows if row["metric"] == "rebuffer_ratio")
    assert rebuffer == {
        "metric": "rebuffer_ratio",
        "label": rebuffer["label"],
        "stakeholder": "viewers",
        "protects": "watch_minutes_per_viewer",
        "threshold": 0.02,
        "value": 0.03,
        "previous": 0.01,
        "status": "breached",
    }
    assert json.loads(render_json(document))["guardrails"] == rows
    # Markdown and the page render the document's table, not their own copy of the nodes
    edited = copy.deepcopy(document)
    moderation = next(row for row in edited["guardrails"] if row["metric"] == "moderation_actions")
    assert moderation["status"] == "tracked"
    moderation.update(label="Relabelled guardrail", status="breached")
    page = re.sub(r'<script type="application/json".*?</script>', "", render_html(edited), flags=re.S)
    assert "Relabelled guardrail" in page and "2 guardrails breached" in page
    markdown_row = next(
        line for line in render_markdown(edited).splitlines() if line.startswith("| `moderation_actions` |")
    )
    assert markdown_row == "| `moderation_actions` | platform | `live_watch_minutes` | none | 7 | 5 | **breached** |"
    # a document exported before the table was part of it gets the same table
    older = {key: value for key, value in document.items() if key != "guardrails"}
    assert guardrail_table(older) == rows
    assert render_markdown(older) == render_markdown(document)


# --- changes of rates: percentage points ----------------------------------------------------------------


def rate_week_values(tree: MetricTree) -> dict[str, dict[str, float]]:
    """Two weeks with real-looking numbers: a tiny crash rate that jumps (0.01% → 0.54%), counts that grow."""
    previous = {name: 8.0 for name in tree.nodes}
    current = {name: 10.0 for name in tree.nodes}
    previous.update(live_watch_minutes=116_262.3, live_viewers=1388, watch_minutes_per_viewer=116_262.3 / 1388)
    current.update(live_watch_minutes=148_668.3, live_viewers=1420, watch_minutes_per_viewer=148_668.3 / 1420)
    previous.update(stream_crash_rate=0.0001, rebuffer_ratio=0.0150, viewer_interaction_rate=0.6078)
    current.update(stream_crash_rate=0.0054, rebuffer_ratio=0.0125, viewer_interaction_rate=0.6178)
    previous.update(watch_minutes_wow_growth=0.05)
    current.update(watch_minutes_wow_growth=0.279)
    return {"2026-02-16": previous, "2026-02-23": current}


@pytest.fixture(scope="module")
def rate_measurement(tree: MetricTree) -> Measurement:
    snapshot = take_snapshot(FakeQuerier(rate_week_values(tree)), list(tree), "week", dt.date(2026, 3, 5))
    manifest = load_manifest(FIXTURES / "manifest_good.json")
    return Measurement(snapshot, build_explanation(manifest, tree, snapshot))


def test_a_rate_changes_in_percentage_points_a_count_relatively() -> None:
    # 0.01% → 0.54%: the relative change is +5300%, which says nothing; the rate rose by 0.53 points
    assert format_change(53.0) == "+5300.0%"
    assert format_metric_change("stream_crash_rate", 0.0054, 0.0001, 53.0) == "+0.53 pp"
    assert change_points("stream_crash_rate", 0.0054, 0.0001) == pytest.approx(0.53)
    assert format_metric_change("rebuffer_ratio", 0.0125, 0.0150, -1 / 6) == "-0.25 pp"
    assert format_metric_change("whale_revenue_share", 0.9788, 0.9852, -0.0065) == "-0.64 pp"
    assert format_metric_change("creator_burnout_rate", 0.0385, 0.0, None) == "+3.85 pp"  # no relative change from 0
    assert format_metric_change("live_viewers", 1420, 1388, 32 / 1388) == "+2.3%"
    assert format_metric_change("gift_revenue_usd", 41_765.14, 48_699.61, -0.1424) == "-14.2%"
    assert change_points("live_viewers", 1420, 1388) is None
    assert format_metric_change("stream_crash_rate", 0.0054, 0.0001, None, baseline=False) == "no baseline"
    assert format_metric_change("stream_crash_rate", None, 0.0001, None) == "—"


def test_the_snapshot_json_keeps_the_relative_change_and_adds_points(rate_measurement: Measurement) -> None:
    crash = rate_measurement.snapshot.values["stream_crash_rate"].as_dict()
    assert crash["change"] == pytest.approx(53.0) and crash["change_points"] == pytest.approx(0.53)
    viewers = rate_measurement.snapshot.values["live_viewers"].as_dict()
    assert viewers["change"] == pytest.approx(32 / 1388) and viewers["change_points"] is None


def scorecard_row(text: str, metric: str) -> list[str]:
    """The first table row of ``metric`` (the metrics table comes before the guardrails), cut into cells."""
    line = next(line for line in text.splitlines() if line.startswith(metric + " "))
    return re.split(r"\s{2,}", line.strip())


def test_scorecard_shows_rate_changes_in_points(
    tree: MetricTree, rate_measurement: Measurement, capsys: pytest.CaptureFixture[str]
) -> None:
    card = build_scorecard(tree, rate_measurement, ["stream_crash_rate", "rebuffer_ratio"])
    print_scorecard(card, "week")
    text = capsys.readouterr().out
    assert scorecard_row(text, "stream_crash_rate")[3:7] == ["0.54%", "0.01%", "+0.53 pp", "worse"]
    assert scorecard_row(text, "rebuffer_ratio")[3:7] == ["1.25%", "1.50%", "-0.25 pp", "better"]
    assert scorecard_row(text, "viewer_interaction_rate")[3:6] == ["61.78%", "60.78%", "+1.00 pp"]
    assert scorecard_row(text, "live_viewers")[3:6] == ["1,420", "1,388", "+2.3%"]
    assert scorecard_row(text, "live_watch_minutes")[3:6] == ["148,668.3", "116,262.3", "+27.9%"]
    assert "5300.0%" not in text
    as_json = json.loads(json.dumps(card.as_dict(), default=str))  # what `scorecard --json` prints
    crash = next(m for m in as_json["metrics"] if m["metric"] == "stream_crash_rate")
    assert crash["change"] == pytest.approx(53.0) and crash["change_points"] == pytest.approx(0.53)


def test_explain_shows_rate_changes_in_points(tree: MetricTree, rate_measurement: Measurement) -> None:
    text = render_text(tree, rate_measurement, 3)
    context = next(line for line in text.splitlines() if line.startswith("watch_minutes_wow_growth "))
    assert re.split(r"\s{2,}", context.strip()) == ["watch_minutes_wow_growth", "5.00%", "27.90%", "+22.90 pp"]
    viewers = next(line for line in text.splitlines() if line.startswith("· live_viewers "))
    assert re.split(r"\s{2,}", viewers.strip()) == ["· live_viewers", "1,388", "1,420", "+2.3%", "+3,004.2", "9.3%"]
    node = {"metric": "gifter_conversion_rate", "previous": 0.0367, "value": 0.0401, "change": 0.0926}
    rows = contribution_rows(node | {"contribution": 1_234.5, "share": 0.25, "children": []}, "gift_revenue_usd", "· ")
    assert rows == [["gifter_conversion_rate", "3.67%", "4.01%", "+0.34 pp", "+$1,234.50", "25.0%"]]


def test_exports_show_rate_changes_in_points(tree: MetricTree, rate_measurement: Measurement) -> None:
    snapshot, explanation = rate_measurement.snapshot, rate_measurement.explanation
    document = build_document(tree, snapshot, explanation=explanation, generated_at=GENERATED_AT)
    nodes = {n["name"]: n for n in json.loads(render_json(document))["nodes"]}
    assert nodes["stream_crash_rate"]["change"] == pytest.approx(53.0)  # the raw relative change stays
    assert nodes["stream_crash_rate"]["change_points"] == pytest.approx(0.53)
    assert nodes["live_viewers"]["change_points"] is None
    markdown = render_markdown(document)
    crash = next(line for line in markdown.splitlines() if line.startswith("| `stream_crash_rate` | Stream"))
    assert "| 0.54% (ok) | 0.01% | +0.53 pp | worse |" in crash
    viewers = next(line for line in markdown.splitlines() if line.startswith("| `live_viewers` |"))
    assert "| 1,420 | 1,388 | +2.3% | better |" in viewers
    assert "North star: **" in markdown and "148,668.3 (+27.9% vs the period before)" in markdown
    assert "5300.0%" not in markdown
    assert "0.54% (+0.53 pp)" in render_mermaid(document)
    assert "5300.0%" not in render_html(document)


# --- end to end against a tiny dbt-duckdb project (optional: skipped without dbt) -----------------------

VENV_BIN = Path(sys.executable).parent


def toy_week_watch_minutes(monday: dt.date) -> float:
    """The toy sessions' watch minutes in one week, from the formula in toy_project/models/marts/fct_sessions.sql."""
    first = dt.datetime(2026, 1, 5)
    return sum(
        (i % 13) + 1.5
        for i in range(1838)
        if monday <= (first + dt.timedelta(minutes=47 * i)).date() < monday + dt.timedelta(days=7)
    )


def _copy_toy_project(destination: Path) -> None:
    source = FIXTURES / "toy_project"
    for path in source.rglob("*.txt"):
        target = destination / path.relative_to(source).with_suffix("")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=HANG_GUARD_SECONDS, check=False
    )


@pytest.mark.skipif(not (VENV_BIN / "dbt").exists(), reason="dbt is not installed next to this Python")
def test_end_to_end_on_a_tiny_warehouse(tmp_path: Path) -> None:
    project = tmp_path / "toy"
    _copy_toy_project(project)
    env = dict(os.environ, DBT_PROFILES_DIR=str(project), LIVE_DUCKDB_PATH=str(tmp_path / "toy.duckdb"))
    env.pop("DBT_PROJECT_DIR", None)
    built = _run([str(VENV_BIN / "dbt"), "build", "--quiet"], project, env)
    assert built.returncode == 0, built.stdout + built.stderr
    cli = [sys.executable, str(RUN_CLI)]
    common = ["--project-dir", str(project)]

    exported = _run(cli + ["export", *common, "--out", str(tmp_path / "out"), "--json"], tmp_path, env)
    assert exported.returncode == 0, exported.stderr
    tree_json = json.loads((tmp_path / "out" / "metric_tree.json").read_text(encoding="utf-8"))
    star = next(n for n in tree_json["nodes"] if n["name"] == "live_watch_minutes")
    assert tree_json["period"]["start"] == "2026-02-23"
    assert star["value"] == pytest.approx(toy_week_watch_minutes(dt.date(2026, 2, 23)))
    assert star["previous"] == pytest.approx(toy_week_watch_minutes(dt.date(2026, 2, 16)))
    conversion = next(n for n in tree_json["nodes"] if n["name"] == "notification_join_rate")
    cumulative = next(n for n in tree_json["nodes"] if n["name"] == "watch_minutes_mtd")
    offset = next(n for n in tree_json["nodes"] if n["name"] == "watch_minutes_wow_growth")
    assert conversion["value"] is not None and cumulative["value"] is not None and offset["value"] is not None
    assert not [n["name"] for n in tree_json["nodes"] if n["error"]]

    materialized = _run(cli + ["materialize", *common, "--json"], tmp_path, env)
    assert materialized.returncode == 0, materialized.stderr
    tables = {t["saved_query"]: t["rows"] for t in json.loads(materialized.stdout)["tables"] if t["saved_query"]}
    assert set(tables) == {"platform_daily", "viewers_daily", "guardrails_daily"} and all(tables.values())
    import duckdb

    with duckdb.connect(str(tmp_path / "toy.duckdb"), read_only=True) as connection:
        count = connection.execute("select count(*) from metrics.guardrails_daily").fetchall()
    assert count == [(tables["guardrails_daily"],)]

    scorecard = _run(cli + ["scorecard", *common, "--json"], tmp_path, env)
    assert scorecard.returncode == 0, scorecard.stderr
    card = json.loads(scorecard.stdout)
    assert card["metrics"][0]["metric"] == "live_watch_minutes"
    assert set(card["breached"]) == {"rebuffer_ratio", "stream_crash_rate"}

    # a day-grain snapshot over a sub-day time dimension (notifications.sent_at is at second grain) counts the
    # whole last complete day, not just its midnight
    daily = _run(
        cli + ["scorecard", *common, "--grain", "day", "--metric", "notifications_sent", "--json"], tmp_path, env
    )
    assert daily.returncode == 0, daily.stderr
    day_card = json.loads(daily.stdout)
    assert day_card["period"]["start"] == "2026-03-04" and day_card["last_data_day"] == "2026-03-05"
    sent = next(m for m in day_card["metrics"] if m["metric"] == "notifications_sent")
    with duckdb.connect(str(tmp_path / "toy.duckdb"), read_only=True) as connection:
        expected = connection.execute(
            "select count(*) from fct_notifications where cast(sent_at as date) = date '2026-03-04'"
        ).fetchall()[0][0]
    assert expected > 0 and sent["value"] == expected

    checked = _run(
        cli + ["check", *common, "--catalogue", str(FIXTURES / "catalogue_good.csv"), "--skip-validate", "--json"],
        tmp_path,
        env,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    rows = {r["rule"]: r["status"] for r in json.loads(checked.stdout)["results"]}
    assert rows["guardrail rebuffer_ratio (week)"] == "WARN" and rows["guardrail moderation_actions (day)"] == "PASS"
    breach_fails = _run(
        cli
        + [
            "check",
            *common,
            "--catalogue",
            str(FIXTURES / "catalogue_good.csv"),
            "--skip-validate",
            "--fail-on-breach",
        ],
        tmp_path,
        env,
    )
    assert breach_fails.returncode == 1 and "breached" in breach_fails.stdout


# --- shares a person can read, helpers as context, verdicts that say what was evaluated -------------


def test_shares_outside_0_to_100_percent_are_said_in_words() -> None:
    from live_metrics.render.formatting import format_share, material_residual

    # gift revenue -14.2 %: revenue per gifter pushed it down by 1.72 x the change, conversion up by 0.72 x
    assert [format_share(s) for s in (0.907, 0.0, 1.0, 1.72, -0.58, None)] == [
        "90.7%",
        "0.0%",
        "100.0%",
        "more than all (offsetting)",
        "against (offsetting)",
        "—",
    ]
    assert format_share(1 + 1e-12) == "100.0%" and format_share(-1e-12) == "0.0%"  # rounding, not offsetting
    # a residual is printed only when it is more than 1e-6 of the change
    assert not material_residual(3.638e-12, 32_406.0) and material_residual(0.5, 32_406.0)
    assert not material_residual(None, 1.0) and material_residual(1e-3, 0.0)


def helper_manifest() -> Any:
    from live_metrics.engine.manifest import parse_manifest

    document = json.loads((FIXTURES / "manifest_good.json").read_text(encoding="utf-8"))
    for metric in document["metrics"]:
        if metric["name"] in ("rebuffer_ms_total", "played_plus_rebuffer_total"):
            metric["config"]["meta"]["helper"] = True
        if metric["name"] == "rebuffer_ratio":
            metric["config"]["meta"]["needs_history"] = 14  # the ratio has no baseline in the second week
    return parse_manifest(document, FIXTURES / "manifest_good.json")


def test_helpers_are_context_that_follow_their_ratios_baseline() -> None:
    manifest = helper_manifest()
    tree = build_tree(manifest)
    values = week_values(tree)
    values["2026-02-23"]["rebuffer_ms_total"] = 40.0  # +400 %: a helper's change is shown, never judged
    snapshot = take_snapshot(FakeQuerier(values), list(tree), "week", dt.date(2026, 3, 5), dt.date(2026, 2, 16))
    explanation = build_explanation(manifest, tree, snapshot)
    document = build_document(tree, snapshot, generated_at=GENERATED_AT, explanation=explanation)
    nodes = {node["name"]: node for node in document["nodes"]}
    ratio, helper = nodes["rebuffer_ratio"], nodes["rebuffer_ms_total"]
    assert ratio["baseline"] is False and ratio["baseline_note"].startswith("no baseline: needs 14 days")
    assert helper["helper"] is True and nodes["rebuffer_ratio"]["helper"] is False
    assert (helper["baseline"], helper["change"], helper["trend"], helper["anomaly"]) == (False, None, None, None)
    assert helper["baseline_note"] == ratio["baseline_note"] and helper["value"] == 40.0
    weights = {(e["source"], e["target"]): e["weight"] for e in document["edges"] if e["kind"] == "parent"}
    assert weights[("rebuffer_ratio", "rebuffer_ms_total")] is None  # no share of a ratio's change on its parts
    assert "rebuffer_ms_total" not in snapshot.anomalies()


def test_anomalies_say_not_evaluated_until_there_is_history(tree: MetricTree) -> None:
    two_weeks = take_snapshot(FakeQuerier(week_values(tree)), list(tree), "week", dt.date(2026, 3, 5))
    assert two_weeks.anomalies_evaluated() == 0
    assert two_weeks.no_anomaly_text() == "not evaluated: needs 8 earlier periods of history"
    explanation = build_explanation(load_manifest(FIXTURES / "manifest_good.json"), tree, two_weeks)
    explained = build_document(tree, two_weeks, generated_at=GENERATED_AT, explanation=explanation)
    assert "Anomalies: not evaluated: needs 8 earlier periods of history." in render_markdown(explained)
    page = render_html(explained)
    anomalies = page[page.index('<div class="kicker">Anomalies</div>') :].split("</div>")[1]
    assert anomalies == '<div class="anomalies">not evaluated: needs 8 earlier periods of history'
    assert "Anomalies (" in render_text(tree, Measurement(two_weeks, explanation), 2)
    assert "not evaluated" in render_text(tree, Measurement(two_weeks, explanation), 2)

    flat = {
        (dt.date(2026, 1, 5) + dt.timedelta(weeks=k)).isoformat(): {name: 10.0 for name in tree.nodes}
        for k in range(10)
    }
    ten_weeks = take_snapshot(FakeQuerier(flat), list(tree), "week", dt.date(2026, 3, 19))
    assert ten_weeks.anomalies_evaluated() > 0 and ten_weeks.anomalies() == []
    assert ten_weeks.no_anomaly_text() == "none"


def test_scorecard_says_when_no_complete_period_has_data(tree: MetricTree, capsys: pytest.CaptureFixture[str]) -> None:
    """Data from 2026-03-02 to 03-05: the latest complete month, February, ends before the data starts."""
    values = {"2026-03-02": {name: 10.0 for name in tree.nodes}}
    snapshot = take_snapshot(FakeQuerier(values), list(tree), "month", dt.date(2026, 3, 5), dt.date(2026, 3, 2))
    manifest = load_manifest(FIXTURES / "manifest_good.json")
    print_scorecard(
        build_scorecard(tree, Measurement(snapshot, build_explanation(manifest, tree, snapshot)), []), "month"
    )
    text = capsys.readouterr().out
    assert snapshot.period.label == "month 2026-02"
    assert "note: the data starts on 2026-03-02, after month 2026-02 ends: there is no complete month" in text


def test_the_page_falls_back_to_a_finer_grain_with_a_notice_in_the_first_weeks(tree: MetricTree) -> None:
    """Two weeks of data from 2026-02-16: the latest week has no complete week before it inside the data, so
    the page opens on the latest day that has its day before, and says why in one line."""
    from live_metrics.render.exporters import attach_periods
    from live_metrics.tree.periods import GrainPeriods, complete_periods

    days = {
        (dt.date(2026, 2, 16) + dt.timedelta(days=k)).isoformat(): {name: 10.0 + k for name in tree.nodes}
        for k in range(14)
    }
    first, last = dt.date(2026, 2, 16), dt.date(2026, 3, 1)
    assert complete_periods("week", first, last) == []  # week 02-16 has no week before it in the data
    day_periods = complete_periods("day", first, last)
    assert [p.start for p in day_periods] == [first + dt.timedelta(days=k) for k in range(1, 13)]
    querier = FakeQuerier(days)
    week = build_document(tree, take_snapshot(querier, list(tree), "week", last, first), generated_at=GENERATED_AT)
    documents = [
        build_document(
            tree, take_snapshot(querier, list(tree), "day", last, first, period=p), generated_at=GENERATED_AT
        )
        for p in day_periods
    ]
    attach_periods(week, [GrainPeriods("week", []), GrainPeriods("day", documents)], "week", first)
    periods = week["periods"]
    assert (periods["default_grain"], periods["default_key"]) == ("day", "2026-02-28")
    assert periods["notice"] == (
        "No complete week with the week before it in the data yet (it starts 2026-02-16): "
        "showing the latest day that has one, day 2026-02-28."
    )
    latest = periods["grains"]["day"]["periods"][-1]
    assert latest["nodes"]["live_viewers"]["value"] == 22.0 and latest["nodes"]["live_viewers"]["previous"] == 21.0
    series = periods["grains"]["day"]["series"]
    assert series["values"]["live_viewers"][series["starts"].index("2026-02-28")] == 22.0
    assert "periods" not in json.loads(render_json(week))  # the JSON export stays one period
    assert 'id="metric-tree-periods"' in render_html(week) and 'id="f-grain"' in render_html(week)


def test_the_page_periods_setting_is_all_or_latest() -> None:
    from live_metrics.tree.periods import page_periods

    assert page_periods({}) == "all" and page_periods({"LIVE_EXPORT_PERIODS": " Latest "}) == "latest"
    with pytest.raises(UserError) as raised:
        page_periods({"LIVE_EXPORT_PERIODS": "some"})
    assert str(raised.value) == "LIVE_EXPORT_PERIODS='some': use one of all, latest"
