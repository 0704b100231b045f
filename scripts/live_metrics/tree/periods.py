"""Every complete period of every grain, measured for the tree page's grain switch and period picker.

For each grain (day, week, month) the page offers every complete period whose period before lies inside
the data (so the north star has a baseline), each against the one before, with everything the page shows
for it: each metric's value, change, series, anomaly verdict and decomposition, why the north star moved,
the segments and the guardrails. They are measured by the same code as the latest period (``take_snapshot``,
``build_explanation``, ``build_document``), through ``SpanQuerier``: one MetricFlow query per metric set and
group-by over the whole data, cut to each period's dates, instead of one per period (a demo of nine weeks
has 64 days: 64 + 9 + 2 periods from 1 + 7 queries per grain).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from live_metrics.engine.manifest import SemanticManifest
from live_metrics.engine.mf_engine import QueryResult
from live_metrics.errors import UserError
from live_metrics.tree.anomaly import AnomalyRule
from live_metrics.tree.decompose import find_relations
from live_metrics.tree.drivers import DimensionQuerier, build_explanation
from live_metrics.tree.snapshot import (
    GRAINS,
    Period,
    as_date,
    last_complete_day,
    latest_complete_period,
    period_containing,
    previous_period,
    take_snapshot,
)
from live_metrics.tree.tree import MetricTree

TIME = "metric_time"
PERIODS_ENV = "LIVE_EXPORT_PERIODS"  # all (the default): every period in the page; latest: the latest only
PERIODS_CHOICES = ("all", "latest")


def page_periods(environ: Mapping[str, str]) -> str:
    """Which periods the exported page carries, from LIVE_EXPORT_PERIODS: ``all`` (default) or ``latest``
    (a page no person reads, such as a scripted or test run: every export on the demo about 5 s faster)."""
    choice = environ.get(PERIODS_ENV, "all").strip().lower() or "all"
    if choice not in PERIODS_CHOICES:
        raise UserError(f"{PERIODS_ENV}={choice!r}: use one of {', '.join(PERIODS_CHOICES)}")
    return choice


# The node fields that change with the period (the rest, meta and formula, do not).
PERIOD_FIELDS = (
    "value",
    "previous",
    "change",
    "change_points",
    "trend",
    "status",
    "error",
    "baseline",
    "baseline_note",
    "final",
    "target_status",
    "anomaly",
    "decomposition",
    "segments",
    "north_star_contribution",
)


class SpanQuerier:
    """A DimensionQuerier that asks MetricFlow once per (metrics, group-by) for the whole data and answers
    each later call with the rows of the dates asked for (the first group-by is the time column).

    A segment query (the time and one dimension) of metrics that are ``additive`` (a sum or a count: a
    week's value is the sum of its days') at week or month grain is rolled up from the same query by day
    rather than asked again: the segments of every period then cost one query per dimension, not three."""

    def __init__(self, session: DimensionQuerier, additive: Callable[[str], bool] = lambda _name: False) -> None:
        self._session = session
        self._additive = additive
        self._results: dict[tuple[tuple[str, ...], tuple[str, ...]], QueryResult | UserError] = {}

    def dimensions_for(self, metric: str) -> list[str]:
        return self._session.dimensions_for(metric)

    def query_metrics(
        self,
        metrics: Sequence[str],
        group_by: Sequence[str] = (),
        start: dt.date | None = None,
        end: dt.date | None = None,
        order_by: Sequence[str] | None = None,
    ) -> QueryResult:
        found = self._whole(tuple(metrics), tuple(group_by))
        if not group_by or (start is None and end is None):
            return found
        column = found.columns.index(group_by[0])

        def inside(row: tuple[Any, ...]) -> bool:
            day = as_date(row[column])
            return day is not None and (start is None or day >= start) and (end is None or day <= end)

        return QueryResult(columns=found.columns, rows=tuple(row for row in found.rows if inside(row)))

    def _whole(self, metrics: tuple[str, ...], group_by: tuple[str, ...]) -> QueryResult:
        key = (metrics, group_by)
        if key not in self._results:
            grain = group_by[0].removeprefix(f"{TIME}__") if group_by else ""
            try:
                if len(group_by) == 2 and grain in ("week", "month") and all(map(self._additive, metrics)):
                    self._results[key] = self._rolled_up(metrics, group_by, grain)
                else:
                    self._results[key] = self._session.query_metrics(metrics, group_by=group_by)
            except UserError as error:
                self._results[key] = error
        found = self._results[key]
        if isinstance(found, UserError):
            raise found
        return found

    def _rolled_up(self, metrics: tuple[str, ...], group_by: tuple[str, ...], grain: str) -> QueryResult:
        days = self._whole(metrics, (f"{TIME}__day", group_by[1]))
        time, dimension = days.columns.index(f"{TIME}__day"), days.columns.index(group_by[1])
        columns = [days.columns.index(name) for name in metrics]
        sums: dict[tuple[dt.date, Any], list[Any]] = {}
        for row in days.rows:
            day = as_date(row[time])
            if day is None:
                continue
            totals = sums.setdefault((period_containing(day, grain).start, row[dimension]), [None] * len(metrics))
            for index, column in enumerate(columns):
                value = row[column]
                if value is not None:
                    totals[index] = value if totals[index] is None else totals[index] + value
        rows = tuple(
            (dt.datetime.combine(start, dt.time()), segment, *totals) for (start, segment), totals in sums.items()
        )
        return QueryResult(columns=(group_by[0], group_by[1], *metrics), rows=rows)


def complete_periods(grain: str, first_day: dt.date, last_day: dt.date) -> list[Period]:
    """The complete periods of ``grain`` (ending before the data's last, partial day) whose period before
    starts on or after the data's first day, oldest first."""
    periods: list[Period] = []
    period = latest_complete_period(last_complete_day(last_day), grain)
    while previous_period(period).start >= first_day:
        periods.insert(0, period)
        period = previous_period(period)
    return periods


@dataclass(frozen=True)
class GrainPeriods:
    grain: str
    documents: list[dict[str, Any]]  # one exported document per period, oldest first


def measure_periods(
    querier: DimensionQuerier,
    manifest: SemanticManifest,
    tree: MetricTree,
    first_day: dt.date,
    last_day: dt.date,
    rule: AnomalyRule,
    document_of: Callable[..., dict[str, Any]],
    say: Callable[[str], None] = lambda _text: None,
) -> list[GrainPeriods]:
    """Every complete period of every grain, as documents (``document_of(snapshot, explanation)``)."""
    spans = SpanQuerier(querier, manifest.is_additive)
    relations = find_relations(manifest, tree)
    measured = []
    for grain in GRAINS:
        periods = complete_periods(grain, first_day, last_day)
        say(f"measuring {len(periods)} {grain} periods for the page's period picker")
        documents = []
        for period in periods:
            snapshot = take_snapshot(spans, list(tree), grain, last_day, first_day, rule, period=period)
            explanation = build_explanation(manifest, tree, snapshot, spans, relations)
            documents.append(document_of(snapshot, explanation))
        measured.append(GrainPeriods(grain, documents))
    return measured


SIGNIFICANT = 7  # digits kept of a number in the page's period data (the values shown have at most 6)


def compact(value: Any) -> Any:
    """``value`` with its floats cut to SIGNIFICANT digits (the period data of a page is megabytes)."""
    if isinstance(value, float):
        return float(f"{value:.{SIGNIFICANT}g}")
    if isinstance(value, dict):
        return {key: compact(item) for key, item in value.items()}
    if isinstance(value, list):
        return [compact(item) for item in value]
    return value


def period_payload(document: Mapping[str, Any], rendered: Mapping[str, str]) -> dict[str, Any]:
    """What the page swaps in for one period: each node's period fields (its series is the grain's, see
    ``grain_series``), the parent edges' weights, and the period's header and guardrails as rendered by
    Python (``rendered``)."""
    parents = [edge for edge in document["edges"] if edge["kind"] == "parent"]
    return {
        "key": document["period"]["start"],
        "label": document["period"]["label"],
        "previous_label": document["previous_period"]["label"],
        "nodes": {  # a field left out is null (the page resets every PERIOD_FIELD first)
            node["name"]: compact({field: node[field] for field in PERIOD_FIELDS if node.get(field) is not None})
            for node in document["nodes"]
        },
        "weights": {f"{edge['source']}>{edge['target']}": compact(edge["weight"]) for edge in parents},
        **rendered,
    }


def grain_series(documents: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Every metric's value per period start over the grain's documents (each node's ``series`` is the
    window of periods before its period): ``starts`` in order and ``values`` aligned with them; the page
    cuts each period's sparkline from it."""
    by_start: dict[str, dict[str, Any]] = {}
    for document in documents:
        for node in document["nodes"]:
            for point in node.get("series") or []:
                by_start.setdefault(point["start"], {})[node["name"]] = point["value"]
    starts = sorted(by_start)
    names = sorted({name for values in by_start.values() for name in values})
    return {
        "starts": starts,
        "values": {name: [compact(by_start[start].get(name)) for start in starts] for name in names},
    }
