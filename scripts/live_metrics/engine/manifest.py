"""Load dbt's ``target/semantic_manifest.json`` into small, typed dataclasses.

Only what the metric tree needs is kept: each metric's name, label, description, type, its
``config.meta`` and the inputs it is computed from, plus the saved queries. Problems a user can fix
(missing file, broken JSON, a metric whose meta is not a mapping) become one-line ``UserError``s.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from live_metrics.errors import UserError

HOW_TO_BUILD = "run `make build` (or `dbt parse` with DBT_PROFILES_DIR set to the repo root) to create it"

# Meta keys whose value must be text (or absent); anything else is malformed, not merely invalid.
_TEXT_META_KEYS = ("stakeholder", "tier", "parent", "direction", "owner")


@dataclass(frozen=True)
class MetricInput:
    """One input a metric is computed from.

    ``kind`` is ``metric`` or ``measure``; ``role`` says where it was found (numerator, denominator,
    metric, measure, base_measure, conversion_measure); ``offset`` describes an offset window.
    """

    name: str
    kind: str
    role: str
    offset: str | None = None
    alias: str | None = None
    filtered: bool = False


@dataclass(frozen=True)
class ManifestMetric:
    name: str
    label: str
    description: str
    type: str
    meta: Mapping[str, Any]
    inputs: tuple[MetricInput, ...] = ()
    measure: str | None = None  # the measure behind a simple metric
    expr: str | None = None  # a derived metric's expression over its inputs' names (or aliases)


@dataclass(frozen=True)
class SavedQuery:
    name: str
    label: str
    description: str
    metrics: tuple[str, ...]
    group_by: tuple[str, ...]


@dataclass(frozen=True)
class SemanticManifest:
    path: Path
    metrics: tuple[ManifestMetric, ...]
    saved_queries: tuple[SavedQuery, ...] = ()
    measure_aggs: Mapping[str, str] = field(default_factory=dict)  # measure -> agg (sum, count, ...)
    time_spine_relation: str | None = None  # e.g. "live"."marts"."metricflow_time_spine"

    @property
    def measures(self) -> frozenset[str]:
        return frozenset(self.measure_aggs)

    def is_additive(self, metric_name: str) -> bool:
        """A simple metric over a sum or count measure: its segments add up to its total."""
        metric = next((item for item in self.metrics if item.name == metric_name), None)
        return bool(
            metric and metric.type == "simple" and self.measure_aggs.get(metric.measure or "") in ("sum", "count")
        )


def load_manifest(path: Path) -> SemanticManifest:
    """Read and parse a semantic manifest file (see module docstring for the errors raised)."""
    if not path.exists():
        raise UserError(f"semantic manifest not found at {path}: {HOW_TO_BUILD}")
    if path.is_dir():
        raise UserError(f"semantic manifest path {path} is a directory, expected target/semantic_manifest.json")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"cannot read semantic manifest {path}: {error}") from error
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise UserError(
            f"semantic manifest {path} is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg}); "
            f"{HOW_TO_BUILD} again"
        ) from error
    return parse_manifest(document, path)


def parse_manifest(document: Any, path: Path) -> SemanticManifest:
    """Build a ``SemanticManifest`` from the decoded JSON document."""
    if not isinstance(document, dict) or not isinstance(document.get("metrics"), list):
        raise UserError(
            f"semantic manifest {path} has no `metrics` list: is it a dbt semantic_manifest.json? {HOW_TO_BUILD}"
        )
    measures: dict[str, str] = {}
    for model in _list(document.get("semantic_models")):
        if isinstance(model, dict):
            for measure in _list(model.get("measures")):
                if isinstance(measure, dict) and isinstance(measure.get("name"), str):
                    measures[measure["name"]] = str(measure.get("agg") or "").lower()
    metrics = tuple(_parse_metric(raw, index, path) for index, raw in enumerate(document["metrics"]))
    seen: set[str] = set()
    for metric in metrics:
        if metric.name in seen:
            raise UserError(f"semantic manifest {path} defines metric '{metric.name}' twice")
        seen.add(metric.name)
    saved_queries = tuple(
        _parse_saved_query(raw, index, path) for index, raw in enumerate(_list(document.get("saved_queries")))
    )
    return SemanticManifest(
        path=path,
        metrics=metrics,
        saved_queries=saved_queries,
        measure_aggs=measures,
        time_spine_relation=_time_spine_relation(document),
    )


def _time_spine_relation(document: dict[str, Any]) -> str | None:
    """The day-grain time spine's relation name (the first spine declared), if the manifest has one."""
    configuration = document.get("project_configuration")
    spines = _list(configuration.get("time_spines")) if isinstance(configuration, dict) else []
    for spine in spines:
        relation = spine.get("node_relation") if isinstance(spine, dict) else None
        if isinstance(relation, dict) and isinstance(relation.get("relation_name"), str):
            return str(relation["relation_name"])
    return None


def _parse_metric(raw: Any, index: int, path: Path) -> ManifestMetric:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"]:
        raise UserError(f"semantic manifest {path}: metric #{index + 1} has no name")
    name: str = raw["name"]
    metric_type = raw.get("type")
    if not isinstance(metric_type, str):
        raise UserError(f"metric '{name}' in {path} has no type")
    config = raw.get("config")
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise UserError(f"metric '{name}' has a malformed config: expected a mapping, got {type(config).__name__}")
    meta = config.get("meta")
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise UserError(
            f"metric '{name}' has malformed config.meta: expected a mapping of stakeholder/tier/parent/"
            f"direction/owner, got {type(meta).__name__}"
        )
    for key in _TEXT_META_KEYS:
        value = meta.get(key)
        if value is not None and not isinstance(value, str):
            raise UserError(
                f"metric '{name}' has malformed config.meta.{key}: expected text, got {type(value).__name__} {value!r}"
            )
    type_params = raw.get("type_params") or {}
    if not isinstance(type_params, dict):
        raise UserError(f"metric '{name}' has malformed type_params")
    inputs = _metric_inputs(type_params, metric_type)
    measure = _ref_name(type_params.get("measure")) if metric_type == "simple" else None
    return ManifestMetric(
        name=name,
        label=str(raw.get("label") or ""),
        description=str(raw.get("description") or ""),
        type=metric_type,
        meta=dict(meta),
        inputs=inputs,
        measure=measure,
        expr=type_params.get("expr") if isinstance(type_params.get("expr"), str) else None,
    )


def _list(value: Any) -> list[Any]:
    """A JSON list, or an empty list for anything else (null, a mapping, a number)."""
    return value if isinstance(value, list) else []


def _ref_name(ref: Any) -> str | None:
    if isinstance(ref, str):
        return ref
    if isinstance(ref, dict) and isinstance(ref.get("name"), str):
        return ref["name"]
    return None


def _offset_text(ref: Any) -> str | None:
    if not isinstance(ref, dict):
        return None
    window = ref.get("offset_window")
    if isinstance(window, dict) and window.get("count") is not None:
        return f"{window.get('count')} {window.get('granularity')}"
    if isinstance(window, str):
        return window
    grain = ref.get("offset_to_grain")
    if grain:
        return f"to {grain}"
    return None


def _metric_inputs(type_params: dict[str, Any], metric_type: str) -> tuple[MetricInput, ...]:
    inputs: list[MetricInput] = []

    def add(ref: Any, kind: str, role: str) -> None:
        name = _ref_name(ref)
        if name:
            alias = ref.get("alias") if isinstance(ref, dict) and isinstance(ref.get("alias"), str) else None
            filtered = isinstance(ref, dict) and bool(ref.get("filter"))
            inputs.append(
                MetricInput(name=name, kind=kind, role=role, offset=_offset_text(ref), alias=alias, filtered=filtered)
            )

    if metric_type != "simple":
        add(type_params.get("measure"), "measure", "measure")
    add(type_params.get("numerator"), "metric", "numerator")
    add(type_params.get("denominator"), "metric", "denominator")
    for ref in _list(type_params.get("metrics")):
        add(ref, "metric", "metric")
    cumulative = type_params.get("cumulative_type_params") or {}
    if isinstance(cumulative, dict):
        add(cumulative.get("metric"), "metric", "metric")
    conversion = type_params.get("conversion_type_params") or {}
    if isinstance(conversion, dict):
        add(conversion.get("base_measure"), "measure", "base_measure")
        add(conversion.get("conversion_measure"), "measure", "conversion_measure")
        add(conversion.get("base_metric"), "metric", "base_metric")
        add(conversion.get("conversion_metric"), "metric", "conversion_metric")
    return tuple(inputs)


def _parse_saved_query(raw: Any, index: int, path: Path) -> SavedQuery:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise UserError(f"semantic manifest {path}: saved query #{index + 1} has no name")
    params = raw.get("query_params")
    if not isinstance(params, dict):
        params = {}
    metrics = _list(params.get("metrics"))
    group_by = _list(params.get("group_by"))
    return SavedQuery(
        name=raw["name"],
        label=str(raw.get("label") or ""),
        description=str(raw.get("description") or ""),
        metrics=tuple(str(metric) for metric in metrics),
        group_by=tuple(str(item) for item in group_by),
    )
