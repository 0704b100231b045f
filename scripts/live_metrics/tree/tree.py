"""The metric tree: one node per metric (its meta and type) and two kinds of edges.

* ``parent`` edges come from ``config.meta.parent``: source = the parent, target = the child.
* ``component`` edges come from how a metric is computed: source = the composite metric, target = an
  input metric (ratio numerator/denominator, derived inputs, cumulative input metric, conversion base/
  conversion metric). Inputs that are measures (cumulative ``measure``, conversion base/conversion
  measures) are resolved to the simple metric built on that measure when there is one; otherwise they
  stay listed in the node's ``input_measures``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from live_metrics.engine.manifest import ManifestMetric, SemanticManifest

STAKEHOLDERS = ("creators", "viewers", "platform", "advertisers")
TIERS = ("north_star", "core", "supporting", "guardrail")
DIRECTIONS = ("increase", "decrease")
NO_THRESHOLD = "none"

Threshold = float | str | None


@dataclass(frozen=True)
class MetricNode:
    name: str
    label: str
    description: str
    type: str
    stakeholder: str | None
    tier: str | None
    parent: str | None
    direction: str | None
    owner: str | None
    threshold: Threshold  # a float, "none", None when absent, or the raw text when it is not valid
    has_threshold: bool = False  # whether meta carries a threshold key at all
    inputs: tuple[str, ...] = ()
    input_measures: tuple[str, ...] = ()
    target: float | None = None  # meta `target`: the value the owner aims for (judged in `direction`)
    target_text: str | None = None  # the raw meta `target` when it is not a number (the rules report it)
    needs_history: int | str | None = None  # meta `needs_history`: days of history, or "month" (to date)
    needs_future: int | str | None = None  # meta `needs_future`: days after each day of the period (retention)
    helper: bool = False  # meta `helper: true`: a numerator or denominator of its parent ratio, shown as context

    @property
    def is_guardrail(self) -> bool:
        return self.tier == "guardrail"

    @property
    def threshold_is_valid(self) -> bool:
        return isinstance(self.threshold, float) or self.threshold == NO_THRESHOLD

    def tag_problems(self) -> list[str]:
        """What is missing or invalid among stakeholder, tier, direction and owner."""
        problems: list[str] = []
        for key, allowed in (("stakeholder", STAKEHOLDERS), ("tier", TIERS), ("direction", DIRECTIONS)):
            value = getattr(self, key)
            if not value:
                problems.append(f"no {key}")
            elif value not in allowed:
                problems.append(f"{key} '{value}' is not one of {'/'.join(allowed)}")
        if not self.owner or not self.owner.strip():
            problems.append("no owner")
        return problems


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: str  # "parent" or "component"


@dataclass(frozen=True)
class MetricTree:
    nodes: dict[str, MetricNode]
    edges: tuple[Edge, ...]
    _children: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        children: dict[str, list[str]] = {}
        for edge in self.edges:
            if edge.kind == "parent":
                children.setdefault(edge.source, []).append(edge.target)
        for name, kids in children.items():
            self._children[name] = tuple(sorted(kids, key=self.sort_key))

    def __iter__(self) -> Iterator[MetricNode]:
        return iter(self.nodes.values())

    def __len__(self) -> int:
        return len(self.nodes)

    def sort_key(self, name: str) -> tuple[int, int, str]:
        node = self.nodes.get(name)
        tier_rank = TIERS.index(node.tier) if node and node.tier in TIERS else len(TIERS)
        stakeholder_rank = (
            STAKEHOLDERS.index(node.stakeholder) if node and node.stakeholder in STAKEHOLDERS else len(STAKEHOLDERS)
        )
        return (tier_rank, stakeholder_rank, name)

    def north_stars(self) -> list[str]:
        return [node.name for node in self if node.tier == "north_star"]

    def north_star(self) -> str | None:
        stars = self.north_stars()
        return stars[0] if len(stars) == 1 else None

    def children(self, name: str) -> tuple[str, ...]:
        return self._children.get(name, ())

    def parent_edges(self) -> list[Edge]:
        return [edge for edge in self.edges if edge.kind == "parent"]

    def component_edges(self) -> list[Edge]:
        return [edge for edge in self.edges if edge.kind == "component"]

    def ancestors(self, name: str) -> list[str]:
        """The chain of parents above ``name`` (nearest first), stopping at a cycle or a missing parent."""
        chain: list[str] = []
        seen = {name}
        current = self.nodes.get(name)
        while current is not None and current.parent and current.parent not in seen:
            chain.append(current.parent)
            seen.add(current.parent)
            current = self.nodes.get(current.parent)
        return chain

    def by_stakeholder_and_tier(self) -> dict[str, dict[str, list[MetricNode]]]:
        """Nodes grouped stakeholder → tier → nodes, in the canonical orders (unknown values last)."""
        grouped: dict[str, dict[str, list[MetricNode]]] = {}
        stakeholders = list(STAKEHOLDERS) + sorted(
            {node.stakeholder or "untagged" for node in self} - set(STAKEHOLDERS)
        )
        tiers = list(TIERS) + sorted({node.tier or "untagged" for node in self} - set(TIERS))
        for stakeholder in stakeholders:
            for tier in tiers:
                members = [
                    node
                    for node in self
                    if (node.stakeholder or "untagged") == stakeholder and (node.tier or "untagged") == tier
                ]
                if members:
                    grouped.setdefault(stakeholder, {})[tier] = sorted(members, key=lambda node: node.name)
        return grouped

    def subset(self, names: Iterable[str]) -> MetricTree:
        """The tree restricted to ``names`` and their ancestors (so the result stays connected)."""
        keep: set[str] = set()
        for name in names:
            keep.add(name)
            keep.update(self.ancestors(name))
        nodes = {name: node for name, node in self.nodes.items() if name in keep}
        edges = tuple(edge for edge in self.edges if edge.source in keep and edge.target in keep)
        return MetricTree(nodes=nodes, edges=edges)


def parse_threshold(raw: object) -> Threshold:
    """A threshold from meta: numbers (and numeric text) become floats, ``none`` stays ``"none"``.

    Anything else is returned as text so the rules can report it.
    """
    if raw is None:
        return None
    if isinstance(raw, bool):
        return str(raw).lower()
    if isinstance(raw, (int, float)):
        return float(raw)
    text = str(raw).strip()
    if text.lower() == NO_THRESHOLD:
        return NO_THRESHOLD
    try:
        return float(text)
    except ValueError:
        return text


def parse_target(raw: object) -> tuple[float | None, str | None]:
    """A target from meta: (number, None), or (None, the raw text) when it is not a finite number."""
    if raw is None:
        return None, None
    parsed = parse_threshold(raw)
    if isinstance(parsed, float) and math.isfinite(parsed):
        return parsed, None
    return None, str(raw)


def parse_needs_history(raw: object) -> int | str | None:
    """``needs_history`` from meta: a whole number of days, ``month`` (month to date), else the raw text."""
    if raw is None or isinstance(raw, bool):
        return None if raw is None else str(raw)
    if isinstance(raw, int):
        return raw
    text = str(raw).strip().lower()
    if text.isdigit():
        return int(text)
    return text


def _text(meta_value: object) -> str | None:
    if meta_value is None:
        return None
    text = str(meta_value).strip()
    return text or None


def node_from_metric(metric: ManifestMetric) -> MetricNode:
    meta = metric.meta
    target, target_text = parse_target(meta.get("target"))
    return MetricNode(
        name=metric.name,
        label=metric.label,
        description=metric.description,
        type=metric.type,
        stakeholder=_text(meta.get("stakeholder")),
        tier=_text(meta.get("tier")),
        parent=_text(meta.get("parent")),
        direction=_text(meta.get("direction")),
        owner=_text(meta.get("owner")),
        threshold=parse_threshold(meta.get("threshold")),
        has_threshold="threshold" in meta,
        inputs=tuple(dict.fromkeys(item.name for item in metric.inputs if item.kind == "metric")),
        input_measures=tuple(dict.fromkeys(item.name for item in metric.inputs if item.kind == "measure")),
        target=target,
        target_text=target_text,
        needs_history=parse_needs_history(meta.get("needs_history")),
        needs_future=parse_needs_history(meta.get("needs_future")),
        helper=meta.get("helper") is True,
    )


def build_tree(manifest: SemanticManifest) -> MetricTree:
    """Build the tree from a loaded manifest (no validation: that is the rules' job)."""
    nodes = {metric.name: node_from_metric(metric) for metric in manifest.metrics}
    metric_by_measure: dict[str, str] = {}
    for metric in sorted(manifest.metrics, key=lambda item: item.name):
        if metric.type == "simple" and metric.measure:
            # Prefer the simple metric named like its measure, else the first by name.
            if metric.measure not in metric_by_measure or metric.name == metric.measure:
                metric_by_measure[metric.measure] = metric.name
    edges: list[Edge] = []
    for node in nodes.values():
        # A parent that is not a metric gets no edge: the rules report it, the exporters never see it.
        if node.parent and node.parent in nodes:
            edges.append(Edge(source=node.parent, target=node.name, kind="parent"))
    for node in nodes.values():
        targets = [name for name in node.inputs if name in nodes and name != node.name]
        for measure in node.input_measures:
            metric_name = metric_by_measure.get(measure)
            if metric_name and metric_name != node.name:
                targets.append(metric_name)
        for target in dict.fromkeys(targets):
            edges.append(Edge(source=node.name, target=target, kind="component"))
    return MetricTree(nodes=nodes, edges=tuple(edges))
