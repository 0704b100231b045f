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


PACKAGE = REPO_ROOT / "scripts" / "live_metrics"


def package_modules(package: Path) -> dict[str, Path]:
    """Every module of the package, subpackages included, by dotted name (a package by its ``__init__``)."""
    modules = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def imported_names(path: Path, name: str, is_package: bool) -> list[tuple[str, str | None]]:
    """(module, imported name or None) of each import in ``path`` that runs (at the top or inside a function;
    one only for type checkers, under ``if TYPE_CHECKING:``, is not one). Relative imports are resolved."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and getattr(block.test, "id", None) == "TYPE_CHECKING"
        for node in ast.walk(block)
    }
    here = name.split(".") if is_package else name.split(".")[:-1]
    found: list[tuple[str, str | None]] = []
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            found += [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = ".".join([*here[: len(here) - node.level + 1], *([node.module] if node.module else [])])
            module = base if node.level else node.module or ""
            found += [(module, alias.name) for alias in node.names]
    return found


def package_imports(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Each module of the package → the package modules it imports when it runs. ``from a.b import c`` imports
    ``a.b.c`` when that is a module, else ``a.b``; importing a module runs its packages' ``__init__`` too."""
    modules = package_modules(package)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for module, imported in imported_names(path, name, path.name == "__init__.py"):
            target = f"{module}.{imported}" if f"{module}.{imported}" in modules else module
            parts = target.split(".")
            targets |= {".".join(parts[:n]) for n in range(1, len(parts) + 1)} & set(modules)
        graph[name] = targets - {name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[str]:
    """The modules that reach themselves through the modules they import."""

    def reaches(start: str) -> set[str]:
        seen, todo = set(), list(graph[start])
        while todo:
            module = todo.pop()
            if module not in seen and module in graph:
                seen.add(module)
                todo += graph[module]
        return seen

    return [module for module in graph if module in reaches(module)]


def private_imports(package: Path = PACKAGE) -> list[tuple[str, str]]:
    """(file, name) of each private name (a leading underscore; not a dunder such as ``__version__``) imported
    from a module of the package."""
    modules = package_modules(package)
    return [
        (str(path.relative_to(package)), imported)
        for name, path in modules.items()
        for module, imported in imported_names(path, name, path.name == "__init__.py")
        if module.split(".")[0] == package.name
        and imported
        and imported.startswith("_")
        and not imported.endswith("__")
    ]


def test_the_package_has_no_import_cycle() -> None:
    """No module reaches itself through the modules it imports (a cycle hidden by an import inside a function
    counts too), and no private name crosses a module boundary."""
    graph = package_imports()
    assert {
        "live_metrics.cli",
        "live_metrics.engine.mf_engine",
        "live_metrics.engine.spark_client",
        "live_metrics.engine.profile",
        "live_metrics.creator.creator",
        "live_metrics.render.creator_html",
    } <= set(graph)
    assert len(graph) > 40  # every module, the subpackages' included
    assert cycles(graph) == []
    assert "live_metrics.engine.profile" in graph["live_metrics.engine.spark_client"]
    assert "live_metrics.engine.mf_engine" not in graph["live_metrics.engine.spark_client"]
    assert private_imports() == []


def test_the_cycle_check_sees_what_it_must(tmp_path: Path) -> None:
    """A cycle through an import inside a function, through ``from package import module`` or a relative import
    is found; one only for type checkers is not; a private name imported across modules is found."""
    package = tmp_path / "live_metrics"
    (package / "room").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "room" / "__init__.py").write_text("")
    (package / "room" / "a.py").write_text("def f():\n    from live_metrics.room import b\n")
    (package / "room" / "b.py").write_text("from .a import _hidden\n")
    (package / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from live_metrics import d\n"
    )
    (package / "d.py").write_text("import live_metrics.c\n")
    graph = package_imports(package)
    assert graph["live_metrics.room.a"] == {"live_metrics", "live_metrics.room", "live_metrics.room.b"}
    assert sorted(cycles(graph)) == ["live_metrics.room.a", "live_metrics.room.b"]
    assert private_imports(package) == [("room/b.py", "_hidden")]
