"""The metric-tree integrity rules. Each rule returns one ``RuleResult`` (PASS, FAIL or WARN + detail)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from live_metrics.errors import UserError
from live_metrics.tree.catalogue import CatalogueEntry
from live_metrics.tree.tree import DIRECTIONS, NO_THRESHOLD, STAKEHOLDERS, TIERS, MetricTree, parse_threshold

PASS = "PASS"
FAIL = "FAIL"
WARN = "WARN"

RULE_ONE_NORTH_STAR = "exactly one north star"
RULE_TAGS = "valid stakeholder/tier/direction/owner"
RULE_PARENTS = "every parent exists"
RULE_NO_CYCLES = "no cycles"
RULE_REACHABLE = "reachable from north star"
RULE_THRESHOLDS = "guardrail thresholds"
RULE_CATALOGUE = "catalogue metrics match"
RULE_LABELS = "labels and descriptions"
RULE_TARGETS = "targets and history needs"

RULE_NAMES = (
    RULE_ONE_NORTH_STAR,
    RULE_TAGS,
    RULE_PARENTS,
    RULE_NO_CYCLES,
    RULE_REACHABLE,
    RULE_THRESHOLDS,
    RULE_CATALOGUE,
    RULE_LABELS,
    RULE_TARGETS,
)


@dataclass(frozen=True)
class RuleResult:
    rule: str
    status: str
    detail: str

    @property
    def failed(self) -> bool:
        return self.status == FAIL


def summarize(items: Sequence[str], limit: int = 4, separator: str = "; ") -> str:
    """Join problem descriptions, listing at most ``limit`` and counting the rest."""
    text = separator.join(items[:limit])
    if len(items) > limit:
        text += f" (+{len(items) - limit} more)"
    return text


def check_one_north_star(tree: MetricTree, catalogue: Sequence[CatalogueEntry]) -> RuleResult:
    stars = tree.north_stars()
    if len(stars) == 1:
        return RuleResult(RULE_ONE_NORTH_STAR, PASS, stars[0])
    if not stars:
        return RuleResult(RULE_ONE_NORTH_STAR, FAIL, "no metric has tier north_star")
    return RuleResult(RULE_ONE_NORTH_STAR, FAIL, f"{len(stars)} metrics have tier north_star: {', '.join(stars)}")


def check_tags(tree: MetricTree, catalogue: Sequence[CatalogueEntry]) -> RuleResult:
    problems = [f"{node.name}: {', '.join(node.tag_problems())}" for node in tree if node.tag_problems()]
    if problems:
        return RuleResult(RULE_TAGS, FAIL, summarize(problems))
    return RuleResult(RULE_TAGS, PASS, f"{len(tree)} metrics tagged")


def check_parents(tree: MetricTree, catalogue: Sequence[CatalogueEntry]) -> RuleResult:
    problems: list[str] = []
    for node in tree:
        if node.tier == "north_star":
            if node.parent:
                problems.append(f"{node.name}: the north star has parent '{node.parent}'")
        elif not node.parent:
            problems.append(f"{node.name}: no parent")
        elif node.parent not in tree.nodes:
            problems.append(f"{node.name}: parent '{node.parent}' is not a metric")
    if problems:
        return RuleResult(RULE_PARENTS, FAIL, summarize(problems))
    return RuleResult(RULE_PARENTS, PASS, f"{len(tree.parent_edges())} parent links resolve")


def find_cycles(tree: MetricTree) -> list[list[str]]:
    """Cycles along parent links, each as the list of metrics in it (starting at its smallest name)."""
    cycles: list[list[str]] = []
    state: dict[str, str] = {}  # "active" while walking, "done" after
    for start in sorted(tree.nodes):
        path: list[str] = []
        current: str | None = start
        while current is not None and current in tree.nodes and state.get(current) is None:
            state[current] = "active"
            path.append(current)
            current = tree.nodes[current].parent
        if current is not None and state.get(current) == "active":
            cycle = path[path.index(current) :]
            pivot = cycle.index(min(cycle))
            cycles.append(cycle[pivot:] + cycle[:pivot])
        for name in path:
            state[name] = "done"
    return cycles


def check_no_cycles(tree: MetricTree, catalogue: Sequence[CatalogueEntry]) -> RuleResult:
    cycles = find_cycles(tree)
    if cycles:
        described = [" → ".join([*cycle, cycle[0]]) for cycle in cycles]
        return RuleResult(RULE_NO_CYCLES, FAIL, summarize(described))
    return RuleResult(RULE_NO_CYCLES, PASS, "parent links form a tree")


def check_reachable(tree: MetricTree, catalogue: Sequence[CatalogueEntry]) -> RuleResult:
    star = tree.north_star()
    if star is None:
        return RuleResult(RULE_REACHABLE, FAIL, "no single north star to reach")
    reached = {star}
    frontier = [star]
    while frontier:
        name = frontier.pop()
        for child in tree.children(name):
            if child not in reached:
                reached.add(child)
                frontier.append(child)
    unreachable = sorted(set(tree.nodes) - reached)
    if unreachable:
        return RuleResult(
            RULE_REACHABLE,
            FAIL,
            f"{len(unreachable)} not under {star} via parent links: " + summarize(unreachable, 6, ", "),
        )
    return RuleResult(RULE_REACHABLE, PASS, f"all {len(tree)} metrics roll up to {star}")


def check_thresholds(tree: MetricTree, catalogue: Sequence[CatalogueEntry]) -> RuleResult:
    problems: list[str] = []
    stray: list[str] = []
    guardrails = 0
    for node in tree:
        if node.is_guardrail:
            guardrails += 1
            if not node.has_threshold or node.threshold is None:
                problems.append(f"{node.name}: no threshold (give a number or `none`)")
            elif not node.threshold_is_valid:
                problems.append(f"{node.name}: threshold '{node.threshold}' is neither a number nor `none`")
            elif isinstance(node.threshold, float) and not math.isfinite(node.threshold):
                problems.append(f"{node.name}: threshold {node.threshold} is not finite")
        elif node.has_threshold and node.threshold is not None:
            stray.append(node.name)
    if problems:
        return RuleResult(RULE_THRESHOLDS, FAIL, summarize(problems))
    if stray:
        return RuleResult(RULE_THRESHOLDS, WARN, "threshold set on non-guardrail: " + summarize(stray, 6, ", "))
    return RuleResult(RULE_THRESHOLDS, PASS, f"{guardrails} guardrails have a threshold or `none`")


def _same_threshold(expected: str | None, actual: object) -> bool:
    wanted = parse_threshold(expected)
    if wanted is None or actual is None:
        return wanted is None and actual is None
    if isinstance(wanted, float) and isinstance(actual, float):
        return math.isclose(wanted, actual, rel_tol=1e-9, abs_tol=1e-12)
    return wanted == actual


def check_catalogue(tree: MetricTree, catalogue: Sequence[CatalogueEntry]) -> RuleResult:
    if not catalogue:
        return RuleResult(RULE_CATALOGUE, FAIL, "the metric catalogue is empty")
    missing: list[str] = []
    mismatched: list[str] = []
    for entry in catalogue:
        node = tree.nodes.get(entry.metric_name)
        if node is None:
            missing.append(entry.metric_name)
            continue
        diffs = [
            f"{key} {actual!r} (catalogue {expected!r})"
            for key, expected, actual in (
                ("stakeholder", entry.stakeholder, node.stakeholder),
                ("tier", entry.tier, node.tier),
                ("parent", entry.parent, node.parent),
                ("direction", entry.direction, node.direction),
            )
            if (expected or None) != (actual or None)
        ]
        if not _same_threshold(entry.threshold, node.threshold):
            diffs.append(f"threshold {node.threshold!r} (catalogue {entry.threshold!r})")
        if diffs:
            mismatched.append(f"{entry.metric_name}: {', '.join(diffs)}")
    problems = []
    if missing:
        problems.append(f"{len(missing)} missing from the manifest: {summarize(missing, 6, ', ')}")
    if mismatched:
        problems.append(summarize(mismatched, 3))
    if problems:
        return RuleResult(RULE_CATALOGUE, FAIL, "; ".join(problems))
    catalogue_names = {entry.metric_name for entry in catalogue}
    extra = len([name for name in tree.nodes if name not in catalogue_names])
    detail = f"{len(catalogue)} catalogue metrics present and matching"
    if extra:
        detail += f" ({extra} extra helper metrics in the manifest)"
    return RuleResult(RULE_CATALOGUE, PASS, detail)


def check_labels(tree: MetricTree, catalogue: Sequence[CatalogueEntry]) -> RuleResult:
    problems = []
    for node in tree:
        lacking = [
            what for what, value in (("label", node.label), ("description", node.description)) if not value.strip()
        ]
        if lacking:
            problems.append(f"{node.name}: no {' or '.join(lacking)}")
    if problems:
        return RuleResult(RULE_LABELS, FAIL, summarize(problems))
    return RuleResult(RULE_LABELS, PASS, f"{len(tree)} metrics have both")


def _covers(needs: int | str | None, input_needs: int | str | None) -> bool:
    """Whether a metric's need (days, or `month`) is at least that of a metric it is computed from."""
    if input_needs is None:
        return True
    if needs is None:
        return False
    if isinstance(needs, int) and isinstance(input_needs, int):
        return needs >= input_needs
    return True  # `month` and a number of days do not compare: either marks the value as not yet final


def inherited_needs_problems(tree: MetricTree) -> list[str]:
    """A metric computed from a metric that needs history (or the days after) needs it too: its value is no
    more final than its input's. Missing it, the metric would count as final on days its input is not."""
    problems = []
    for edge in tree.component_edges():
        node, source = tree.nodes.get(edge.source), tree.nodes.get(edge.target)
        if node is None or source is None:
            continue
        for key in ("needs_history", "needs_future"):
            if not _covers(getattr(node, key), getattr(source, key)):
                problems.append(
                    f"{node.name}: computed from {source.name} ({key} {getattr(source, key)}) "
                    f"but its {key} is {getattr(node, key) or 'missing'}"
                )
    return problems


def helper_problems(tree: MetricTree, catalogue: Sequence[CatalogueEntry]) -> list[str]:
    """A metric marked `helper: true` is a numerator or denominator its parent ratio divides: the parent uses
    it, and it is not a metric of the catalogue (those are success metrics in their own right)."""
    catalogued = {entry.metric_name for entry in catalogue}
    uses = {(edge.source, edge.target) for edge in tree.component_edges()}
    problems = []
    for node in tree:
        if not node.helper:
            continue
        if node.name in catalogued:
            problems.append(f"{node.name}: a catalogue metric cannot be a helper")
        if not node.parent or (node.parent, node.name) not in uses:
            problems.append(f"{node.name}: helper, but its parent {node.parent or '(none)'} does not use it")
    return problems


def check_targets(tree: MetricTree, catalogue: Sequence[CatalogueEntry]) -> RuleResult:
    """meta `target` is a finite number; meta `needs_history` is a whole number of days or `month`; meta
    `needs_future` is a whole number of days; a metric computed from one that needs either needs it too; a
    `helper` is used by its parent and is not in the catalogue."""
    problems = []
    for node in tree:
        if node.target_text is not None:
            problems.append(f"{node.name}: target '{node.target_text}' is not a number")
        needs = node.needs_history
        if needs is not None and not ((isinstance(needs, int) and needs > 0) or needs == "month"):
            problems.append(f"{node.name}: needs_history '{needs}' is neither a number of days nor `month`")
        future = node.needs_future
        if future is not None and not (isinstance(future, int) and future > 0):
            problems.append(f"{node.name}: needs_future '{future}' is not a number of days")
    problems += inherited_needs_problems(tree) + helper_problems(tree, catalogue)
    if problems:
        return RuleResult(RULE_TARGETS, FAIL, summarize(problems))
    targets = sum(node.target is not None for node in tree)
    history = sum(node.needs_history is not None for node in tree)
    future = sum(node.needs_future is not None for node in tree)
    helpers = sum(node.helper for node in tree)
    return RuleResult(
        RULE_TARGETS,
        PASS,
        f"{targets} metrics with a target, {history} needing history, {future} needing the days after, "
        f"{helpers} helpers",
    )


Rule = Callable[[MetricTree, Sequence[CatalogueEntry]], RuleResult]

RULES: tuple[Rule, ...] = (
    check_one_north_star,
    check_tags,
    check_parents,
    check_no_cycles,
    check_reachable,
    check_thresholds,
    check_catalogue,
    check_labels,
    check_targets,
)


def run_rules(tree: MetricTree, catalogue: Sequence[CatalogueEntry]) -> list[RuleResult]:
    return [rule(tree, catalogue) for rule in RULES]


def require_valid_tags(tree: MetricTree) -> None:
    """Refuse (one-line ``UserError``) a tree whose metrics lack usable meta: exporters need it."""
    for node in tree:
        problems = node.tag_problems()
        if node.tier != "north_star" and not node.parent:
            problems.append("no parent")
        if node.is_guardrail and not node.threshold_is_valid:
            problems.append(
                "no threshold"
                if node.threshold is None
                else f"threshold '{node.threshold}' is neither a number nor `none`"
            )
        if problems:
            raise UserError(
                f"metric '{node.name}' has missing or malformed config.meta ({'; '.join(problems)}): "
                f"fix it in models/marts (expected stakeholder {'/'.join(STAKEHOLDERS)}, tier {'/'.join(TIERS)}, "
                f"direction {'/'.join(DIRECTIONS)}, owner, parent); "
                "`live-metrics check --no-warehouse` lists every problem"
            )
    if tree.north_star() is None:
        stars = tree.north_stars()
        raise UserError(
            "the metric tree needs exactly one north star (tier north_star), found "
            + (", ".join(stars) if stars else "none")
        )


__all__ = [
    "FAIL",
    "NO_THRESHOLD",
    "PASS",
    "RULES",
    "RULE_NAMES",
    "RuleResult",
    "WARN",
    "find_cycles",
    "require_valid_tags",
    "run_rules",
]
