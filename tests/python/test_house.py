"""The house: `make help` lists every target, the docs site documents every metrics.* table,
and each exposure links to the tree page filtered to what it stands for."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]


def makefile_targets() -> list[str]:
    text = (REPO_ROOT / "Makefile").read_text()
    return [name for name in re.findall(r"^([a-z][a-z-]*):", text, flags=re.MULTILINE)]


def test_make_help_lists_every_target() -> None:
    targets = makefile_targets()
    assert {"run", "test", "docs", "lint", "install"} <= set(targets)
    help_text = subprocess.run(["make", "-s", "help"], cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout
    listed = set(re.findall(r"^make ([a-z-]+)", help_text, flags=re.MULTILINE))
    assert listed == set(targets) - {"help"}


def test_make_docs_takes_a_port() -> None:
    dry_run = subprocess.run(
        ["make", "-n", "docs", "PORT=9123"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "docs serve --port 9123" in dry_run


def scorecards() -> dict:
    return yaml.safe_load((REPO_ROOT / "models" / "marts" / "_live__scorecards.yml").read_text())


def test_docs_site_documents_every_metrics_table() -> None:
    page = (REPO_ROOT / "docs" / "overview_page.md").read_text()
    names = [query["name"] for query in scorecards()["saved_queries"]]
    assert len(names) == 5
    for name in [*names, "metric_definitions"]:
        assert f"`metrics.{name}`" in page, name
    assert page.index("{% docs __overview__ %}") < page.index("## The `metrics.*` tables") < page.index("{% enddocs %}")


def test_each_exposure_links_to_the_tree_page_it_stands_for() -> None:
    exposures = scorecards()["exposures"]
    assert len(exposures) == 5
    for exposure in exposures:
        url = exposure["url"]
        assert url.startswith("{{ var('metric_tree_url', 'metric_tree/metric_tree.html') }}#"), exposure["name"]
        fragment = url.split("#", 1)[1]
        stakeholder = exposure["name"].split("_", 1)[0]
        expected = "tier=guardrail" if stakeholder == "guardrails" else f"stakeholder={stakeholder}"
        assert fragment == expected


def metrics_needing_more_data() -> set[str]:
    """The metrics whose meta has needs_history or needs_future, read from the metrics YAML."""
    names = set()
    for path in sorted((REPO_ROOT / "models" / "marts").glob("**/_*__metrics.yml")):
        for metric in yaml.safe_load(path.read_text()).get("metrics") or []:
            meta = (metric.get("config") or {}).get("meta") or {}
            if "needs_history" in meta or "needs_future" in meta:
                names.add(metric["name"])
    return names


def test_docs_site_lists_each_tables_completeness_columns() -> None:
    """The overview page names, per metrics.* table, the `<metric>__is_complete` columns materialize adds."""
    needing = metrics_needing_more_data()
    assert {"new_viewers", "viewer_d7_retention", "gift_revenue_mtd_usd"} <= needing
    rows = {
        match.group(1): line
        for line in (REPO_ROOT / "docs" / "overview_page.md").read_text().splitlines()
        if (match := re.match(r"\| `metrics\.(\w+)` \|", line))
    }
    for query in scorecards()["saved_queries"]:
        flagged = {name for name in query["query_params"]["metrics"] if name in needing}
        listed = set(re.findall(r"`(\w+)__is_complete`", rows[query["name"]])) - {"period"}
        assert listed == flagged, query["name"]


def package_imports() -> dict[str, set[str]]:
    """Each module of the package → the package modules it imports when it runs (at the top or inside a
    function; an import only for type checkers, under ``if TYPE_CHECKING:``, is not one)."""
    import ast

    package = REPO_ROOT / "scripts" / "live_metrics"
    graph: dict[str, set[str]] = {}
    for path in sorted(package.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        type_only = {
            id(node)
            for block in ast.walk(tree)
            if isinstance(block, ast.If) and getattr(block.test, "id", None) == "TYPE_CHECKING"
            for node in ast.walk(block)
        }
        graph[path.stem] = {
            node.module.split(".")[1]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
            and (node.module or "").startswith("live_metrics.")
            and id(node) not in type_only
        }
    return graph


def test_the_package_has_no_import_cycle() -> None:
    """No module reaches itself through the modules it imports (a cycle hidden by an import inside a function
    counts too), and no private name crosses a module boundary."""
    graph = package_imports()
    assert {"mf_engine", "spark_client", "creator", "creator_html", "profile"} <= set(graph)

    def reaches(start: str) -> set[str]:
        seen, todo = set(), list(graph[start])
        while todo:
            module = todo.pop()
            if module not in seen and module in graph:
                seen.add(module)
                todo += graph[module]
        return seen

    assert [module for module in graph if module in reaches(module)] == []
    assert "profile" in graph["spark_client"] and "mf_engine" not in graph["spark_client"]
    import ast

    private = [
        (path.name, alias.name)
        for path in (REPO_ROOT / "scripts" / "live_metrics").glob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("live_metrics.")
        for alias in node.names
        if alias.name.startswith("_")
    ]
    assert private == []
