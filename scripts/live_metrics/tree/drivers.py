"""Why did it move: the latest complete period against the one before, along the tree and the dimensions.

* **Along the tree.** Each metric with a relation (``decompose.find_relations``) has its change split
  exactly among the relation's parts. From the north star down, a part is expanded in turn when its own
  relation's parts are all new to the tree drawn so far (so no metric appears twice and nothing cycles);
  every node's children add up to it, and the top level adds up to the north star's change.
* **Along the dimensions.** Each additive core metric (a sum or a count) is queried per segment of the
  dimensions in ``SEGMENT_DIMENSIONS`` (the first one MetricFlow offers for the metric, preferring the
  metric's own event over the stream, the viewer and the creator); a segment's contribution is its change,
  and the segments of one dimension add up to the metric's change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from live_metrics.engine.manifest import SemanticManifest
from live_metrics.errors import UserError
from live_metrics.tree.decompose import Relation, Split, find_relations, split_change
from live_metrics.tree.snapshot import MetricQuerier, Snapshot, as_date, as_number, relative_change
from live_metrics.tree.tree import MetricTree

# element name -> the label shown to people
SEGMENT_DIMENSIONS: dict[str, str] = {
    "platform": "platform",
    "country": "country",
    "category": "category",
    "traffic_source": "join source",
    "age_band": "age band",
    "gift_name": "gift",
    "advertiser_name": "advertiser",
}
# which entity a dimension is reached through, best first: the metric's own event, then these
_ENTITY_PREFERENCE = ("stream", "viewer", "creator")
TOP_SEGMENTS = 10
UNKNOWN_SEGMENT = "(unknown)"


class DimensionQuerier(MetricQuerier, Protocol):
    def dimensions_for(self, metric: str) -> list[str]:
        """The metric's categorical group-by names (e.g. ``session__platform``)."""
        ...


@dataclass(frozen=True)
class Contribution:
    metric: str
    value: float | None
    previous: float | None
    contribution: float  # in the north star's units
    share: float | None  # of the north star's change
    relation: str | None = None
    children: tuple[Contribution, ...] = ()

    @property
    def change(self) -> float | None:
        return relative_change(self.value, self.previous)

    def as_dict(self, labels: Mapping[str, str]) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "label": labels.get(self.metric, self.metric),
            "value": self.value,
            "previous": self.previous,
            "change": self.change,
            "contribution": self.contribution,
            "share": self.share,
            "relation": self.relation,
            "children": [child.as_dict(labels) for child in self.children],
        }

    def walk(self) -> list[Contribution]:
        found = [self]
        for child in self.children:
            found.extend(child.walk())
        return found


@dataclass(frozen=True)
class Segment:
    dimension: str
    dimension_label: str
    segment: str
    previous: float
    value: float
    contribution: float
    share: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Explanation:
    north_star: str
    relations: Mapping[str, Relation]
    splits: Mapping[str, Split]
    tree: Contribution | None
    segments: Mapping[str, Mapping[str, tuple[Segment, ...]]] = field(default_factory=dict)  # metric -> dim -> all

    def top_segments(self, metric: str, limit: int = TOP_SEGMENTS) -> list[Segment]:
        every = [segment for segments in self.segments.get(metric, {}).values() for segment in segments]
        return sorted(every, key=lambda segment: -abs(segment.contribution))[:limit]

    def north_star_contributions(self) -> dict[str, float]:
        if self.tree is None:
            return {}
        return {node.metric: node.contribution for node in self.tree.walk()}

    def residual(self) -> float:
        """The largest |sum of children − parent| anywhere in the contribution tree."""
        if self.tree is None:
            return 0.0
        gaps = [
            abs(sum(child.contribution for child in node.children) - node.contribution)
            for node in self.tree.walk()
            if node.children
        ]
        return max(gaps, default=0.0)


def build_explanation(
    manifest: SemanticManifest,
    tree: MetricTree,
    snapshot: Snapshot,
    querier: DimensionQuerier | None = None,
    relations: Mapping[str, Relation] | None = None,
) -> Explanation:
    """Why the north star moved in ``snapshot``; ``relations`` (``find_relations``, the same for every period)
    are found here unless given."""
    star = tree.north_star()
    if star is None:
        raise UserError("the metric tree needs exactly one north star to explain its change")
    relations = dict(relations) if relations is not None else find_relations(manifest, tree)
    values = {name: _number(value.value) for name, value in snapshot.values.items()}
    previous = {name: _number(value.previous) for name, value in snapshot.values.items()}
    splits: dict[str, Split] = {}
    for name, relation in relations.items():
        if not all(snapshot.values[part].baseline for part in (name, *relation.part_names) if part in snapshot.values):
            continue
        split = split_change(relation, values, previous)
        if split is not None:
            splits[name] = split
    contribution_tree = _contribution_tree(star, values, previous, splits)
    segments: dict[str, dict[str, tuple[Segment, ...]]] = {}
    if querier is not None:
        additive = [
            node.name
            for node in tree
            if node.tier in ("north_star", "core") and manifest.is_additive(node.name) and node.name in snapshot.values
        ]
        segments = segment_changes(querier, additive, snapshot)
    return Explanation(star, relations, splits, contribution_tree, segments)


def _number(value: object) -> float | None:
    number = as_number(value)
    return None if number is None else float(number)


def _contribution_tree(
    star: str, values: Mapping[str, float | None], previous: Mapping[str, float | None], splits: Mapping[str, Split]
) -> Contribution | None:
    now, before = values.get(star), previous.get(star)
    if now is None or before is None:
        return None
    total = now - before
    seen = {star}

    def expand(name: str, amount: float) -> tuple[Contribution, ...]:
        split = splits.get(name)
        if split is None:
            return ()
        parts = [part for part, _ in split.contributions]
        if any(part in seen for part in parts):
            return ()
        seen.update(parts)
        children = [
            (part, amount * value / split.change if split.change else 0.0) for part, value in split.contributions
        ]
        return tuple(
            Contribution(
                metric=part,
                value=values.get(part),
                previous=previous.get(part),
                contribution=part_amount,
                share=part_amount / total if total else None,
                relation=splits[part].relation.kind if part in splits else None,
                children=expand(part, part_amount),
            )
            for part, part_amount in children
        )

    return Contribution(
        metric=star,
        value=now,
        previous=before,
        contribution=total,
        share=1.0 if total else None,
        relation=splits[star].relation.kind if star in splits else None,
        children=expand(star, total),
    )


# ---------------------------------------------------------------------------------------------------
# Segments


def pick_dimensions(available: Sequence[str]) -> dict[str, str]:
    """For each wanted element name, the group-by name to use (see ``_ENTITY_PREFERENCE``)."""
    chosen: dict[str, str] = {}
    for element in SEGMENT_DIMENSIONS:
        candidates = [name for name in available if name.split("__")[-1] == element and name.count("__") == 1]
        if not candidates:
            continue

        def rank(name: str) -> tuple[int, str]:
            entity = name.split("__")[0]
            order = _ENTITY_PREFERENCE.index(entity) + 1 if entity in _ENTITY_PREFERENCE else 0
            return order, name

        chosen[element] = min(candidates, key=rank)
    return chosen


def segment_changes(
    querier: DimensionQuerier, metrics: Sequence[str], snapshot: Snapshot
) -> dict[str, dict[str, tuple[Segment, ...]]]:
    """metric -> dimension -> every segment's change, for the snapshot's period against the one before."""
    by_dimension: dict[str, list[str]] = {}
    for metric in metrics:
        for group_by in pick_dimensions(querier.dimensions_for(metric)).values():
            by_dimension.setdefault(group_by, []).append(metric)
    time_column = f"metric_time__{snapshot.period.grain}"
    start, end = snapshot.previous.start, snapshot.period.end + dt.timedelta(days=1)
    result: dict[str, dict[str, tuple[Segment, ...]]] = {}
    for group_by, members in by_dimension.items():
        rows = querier.query_metrics(members, group_by=[time_column, group_by], start=start, end=end).records()
        for metric in members:
            segments = _segments_of(rows, metric, group_by, time_column, snapshot)
            if segments:
                result.setdefault(metric, {})[group_by] = segments
    return result


def _segments_of(
    rows: Sequence[Mapping[str, Any]], metric: str, group_by: str, time_column: str, snapshot: Snapshot
) -> tuple[Segment, ...]:
    now: dict[str, float] = {}
    before: dict[str, float] = {}
    for row in rows:
        value = _number(row.get(metric))
        if value is None:
            continue
        segment = UNKNOWN_SEGMENT if row.get(group_by) is None else str(row.get(group_by))
        period = as_date(row.get(time_column))
        if period == snapshot.period.start:
            now[segment] = now.get(segment, 0.0) + value
        elif period == snapshot.previous.start:
            before[segment] = before.get(segment, 0.0) + value
    total = sum(now.values()) - sum(before.values())
    element = group_by.split("__")[-1]
    segments = [
        Segment(
            dimension=group_by,
            dimension_label=SEGMENT_DIMENSIONS.get(element, element),
            segment=name,
            previous=before.get(name, 0.0),
            value=now.get(name, 0.0),
            contribution=now.get(name, 0.0) - before.get(name, 0.0),
            share=(now.get(name, 0.0) - before.get(name, 0.0)) / total if total else None,
        )
        for name in sorted(set(now) | set(before))
    ]
    return tuple(sorted(segments, key=lambda segment: (-abs(segment.contribution), segment.segment)))
