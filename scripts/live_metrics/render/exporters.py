"""Render the metric tree (with values when available) as JSON, Mermaid, Markdown and one HTML page.

Everything is rendered from one JSON-able *document* (``build_document``), so the outputs always agree; the
HTML page embeds that document and needs nothing from the network. ``EXPORT_FORMATS`` is the one list of
formats (name → file, renderer, description): ``write_all`` and the ``export`` command's --format and help
read it, so a new format is one entry there.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from live_metrics.render.formatting import (
    format_node_change,
    format_node_value,
    format_share,
    format_signed,
    format_threshold,
    format_value,
    guardrail_rows,
    guardrail_table,
    period_sentence,
)
from live_metrics.render.html_page import render_html, render_period_parts, without_periods
from live_metrics.report.explain import contribution_rows, explanation_document, node_fields
from live_metrics.tree.drivers import Explanation
from live_metrics.tree.periods import PERIOD_FIELDS, GrainPeriods, grain_series, period_payload
from live_metrics.tree.snapshot import MetricValue, Snapshot, latest_complete_period
from live_metrics.tree.tree import STAKEHOLDERS, TIERS, Edge, MetricTree

TITLE = "Live-streaming metric tree"
TIER_TITLES = {
    "north_star": "North star",
    "core": "Core",
    "supporting": "Supporting",
    "guardrail": "Guardrails",
}


# ---------------------------------------------------------------------------------------------------
# The document


def build_document(
    tree: MetricTree,
    snapshot: Snapshot | None = None,
    definitions: Mapping[str, str] | None = None,
    generated_at: dt.datetime | None = None,
    explanation: Explanation | None = None,
) -> dict[str, Any]:
    """The tree as plain data: nodes (meta, values, series, decomposition, segments) and edges (parent |
    component, parent edges weighted by the child's share of the parent's change)."""
    definitions = definitions or {}
    contributions = explanation.north_star_contributions() if explanation else {}
    nodes = []
    for name in sorted(tree.nodes, key=tree.sort_key):
        node = tree.nodes[name]
        value = snapshot.values.get(name) if snapshot else None
        extra: dict[str, Any] = value.as_dict() if value else dict(_NO_VALUES)
        if node.helper and snapshot and node.parent in snapshot.values:
            extra.update(_as_context(snapshot.values[node.parent]))
        if explanation is not None:
            extra.update(node_fields(explanation, name, tree, contributions))
        else:
            extra.update(decomposition=None, segments=[], north_star_contribution=None)
        nodes.append(
            {
                "name": node.name,
                "label": node.label or node.name,
                "description": node.description,
                "definition": definitions.get(node.name, node.description),
                "type": node.type,
                "stakeholder": node.stakeholder,
                "tier": node.tier,
                "parent": node.parent,
                "direction": node.direction,
                "owner": node.owner,
                "threshold": node.threshold,
                "inputs": list(node.inputs),
                "input_measures": list(node.input_measures),
                "target": node.target,
                "helper": node.helper,
                **extra,
            }
        )
    edges = [
        {
            "source": edge.source,
            "target": edge.target,
            "kind": edge.kind,
            "weight": _edge_weight(tree, explanation, edge),
        }
        for edge in tree.edges
    ]
    stamp = (generated_at or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    return {
        "title": TITLE,
        "generated_at": stamp.isoformat(),
        "north_star": tree.north_star(),
        "has_values": snapshot is not None,
        "period": snapshot.period.as_dict() if snapshot else None,
        # a picked earlier period (the page's period picker) is not the latest complete one
        "period_is_latest": (
            snapshot.period == latest_complete_period(snapshot.last_complete_day, snapshot.period.grain)
            if snapshot
            else None
        ),
        "previous_period": snapshot.previous.as_dict() if snapshot else None,
        "last_data_day": snapshot.last_data_day.isoformat() if snapshot else None,
        "last_complete_day": snapshot.last_complete_day.isoformat() if snapshot else None,
        "stakeholders": [s for s in STAKEHOLDERS if any(n["stakeholder"] == s for n in nodes)]
        + sorted({str(n["stakeholder"]) for n in nodes} - set(STAKEHOLDERS)),
        "tiers": list(TIERS),
        "anomaly_rule": snapshot.rule.as_dict() if snapshot else None,
        "explain": explanation_document(tree, snapshot, explanation) if snapshot and explanation else None,
        "nodes": nodes,
        "edges": edges,
        "guardrails": guardrail_rows(nodes),
    }


_NO_VALUES: dict[str, Any] = {
    "value": None,
    "previous": None,
    "change": None,
    "change_points": None,
    "trend": None,
    "status": None,
    "error": None,
    "baseline": True,
    "baseline_note": None,
    "final": True,
    "target_status": None,
    "anomaly": None,
    "series": [],
}


def _as_context(parent: MetricValue) -> dict[str, Any]:
    """What a helper (a numerator or denominator, meta `helper`) shows under its ratio: its value and change,
    no good/bad judgement, and no baseline whenever the ratio has none."""
    fields: dict[str, Any] = {"trend": None, "status": None, "anomaly": None, "target_status": None}
    if not parent.baseline:
        fields.update(change=None, change_points=None, baseline=False, baseline_note=parent.baseline_note)
    return fields


def _edge_weight(tree: MetricTree, explanation: Explanation | None, edge: Edge) -> float | None:
    """A parent edge's weight: the child's share of the parent's change (None: context, a helper, or no
    split)."""
    if explanation is None or edge.kind != "parent" or tree.nodes[edge.target].helper:
        return None
    split = explanation.splits.get(edge.source)
    if split is None or edge.target not in split.relation.part_names:
        return None
    return split.share(edge.target)


def render_json(document: Mapping[str, Any]) -> str:
    """The document as JSON (the HTML page's period picker data, ``periods``, stays in the page)."""
    return json.dumps(without_periods(document), indent=2, ensure_ascii=False) + "\n"


FINER = {"month": ("week", "day"), "week": ("day",), "day": ()}


def attach_periods(document: dict[str, Any], measured: Sequence[GrainPeriods], grain: str, first_day: dt.date) -> None:
    """Give the page every measured period (``document["periods"]``) and its default: the document's own
    period when it is among them (it has the period before it), else the latest period of the next finer
    grain that has one, with a one-line notice saying so (the first weeks of data)."""
    grains = {
        found.grain: {
            "periods": [period_payload(doc, render_period_parts(doc)) for doc in found.documents],
            "series": grain_series(found.documents),
        }
        for found in measured
    }
    own = (document.get("period") or {}).get("start")
    default_grain, notice = grain, None
    if not any(period["key"] == own for period in grains.get(grain, {}).get("periods", [])):
        fallback = next((finer for finer in FINER[grain] if grains.get(finer, {}).get("periods")), None)
        if fallback is None:
            return
        default_grain, own = fallback, grains[fallback]["periods"][-1]["key"]
        label = grains[fallback]["periods"][-1]["label"]
        notice = (
            f"No complete {grain} with the {grain} before it in the data yet (it starts {first_day.isoformat()}): "
            f"showing the latest {fallback} that has one, {label}."
        )
    document["periods"] = {
        "default_grain": default_grain,
        "default_key": own,
        "notice": notice,
        "fields": list(PERIOD_FIELDS),
        "grains": grains,
    }


def _groups(document: Mapping[str, Any]) -> list[tuple[str, list[tuple[str, list[dict[str, Any]]]]]]:
    """Nodes grouped stakeholder → tier (canonical order, empty groups dropped)."""
    grouped = []
    tiers = list(TIERS) + sorted({str(n["tier"]) for n in document["nodes"]} - set(TIERS))
    for stakeholder in document["stakeholders"]:
        members = [n for n in document["nodes"] if str(n["stakeholder"]) == stakeholder]
        by_tier = [(tier, [n for n in members if str(n["tier"]) == tier]) for tier in tiers]
        grouped.append((stakeholder, [(tier, nodes) for tier, nodes in by_tier if nodes]))
    return grouped


def _value_text(node: Mapping[str, Any]) -> str:
    return format_node_value(node)


# ---------------------------------------------------------------------------------------------------
# Mermaid


def mermaid_ids(names: list[str]) -> dict[str, str]:
    """Safe, unique Mermaid node ids: ``m_`` + the name with anything but [A-Za-z0-9_] replaced."""
    ids: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        base = "m_" + re.sub(r"[^A-Za-z0-9_]", "_", name)
        candidate = base
        counter = 2
        while candidate in used:
            candidate = f"{base}_{counter}"
            counter += 1
        ids[name] = candidate
        used.add(candidate)
    return ids


def _mermaid_text(text: str) -> str:
    """Escape text for a quoted Mermaid label (entity codes, no raw quotes or angle brackets)."""
    return (
        text.replace("&", "#amp;")
        .replace('"', "#quot;")
        .replace("<", "#lt;")
        .replace(">", "#gt;")
        .replace("|", "#124;")
        .replace("\n", " ")
    )


def render_mermaid(document: Mapping[str, Any]) -> str:
    nodes = document["nodes"]
    ids = mermaid_ids([n["name"] for n in nodes])
    lines = ["flowchart TB"]
    for stakeholder, tiers in _groups(document):
        group_id = "sh_" + re.sub(r"[^A-Za-z0-9_]", "_", stakeholder)
        lines.append(f'  subgraph {group_id}["{_mermaid_text(stakeholder)}"]')
        lines.append("    direction TB")
        for _tier, members in tiers:
            for node in members:
                parts = [_mermaid_text(str(node["label"]))]
                if document.get("has_values"):
                    value_line = _value_text(node)
                    if node.get("change") is not None or not node.get("baseline", True):
                        value_line += f" ({change_text(node)})"
                    parts.append(_mermaid_text(value_line))
                if node.get("status"):
                    parts.append(_mermaid_text(str(node["status"])))
                lines.append(f'    {ids[node["name"]]}["{"<br/>".join(parts)}"]')
        lines.append("  end")
    for edge in document["edges"]:
        if edge["source"] in ids and edge["target"] in ids:
            arrow = "-->" if edge["kind"] == "parent" else "-.->"
            lines.append(f"  {ids[edge['source']]} {arrow} {ids[edge['target']]}")
    lines.extend(
        [
            "  classDef north_star fill:#fff3bf,stroke:#e67700,stroke-width:3px,color:#212529",
            "  classDef core fill:#e7f5ff,stroke:#1971c2,stroke-width:2px,color:#212529",
            "  classDef supporting fill:#f8f9fa,stroke:#868e96,color:#212529",
            "  classDef guardrail fill:#fff5f5,stroke:#c92a2a,stroke-width:2px,stroke-dasharray:5 3,color:#212529",
            "  classDef breached fill:#ffa8a8,stroke:#c92a2a,stroke-width:3px,color:#212529",
        ]
    )
    for tier in TIERS:
        tier_ids = [ids[n["name"]] for n in nodes if n["tier"] == tier]
        if tier_ids:
            lines.append(f"  class {','.join(tier_ids)} {tier}")
    breached = [ids[n["name"]] for n in nodes if n.get("status") == "breached"]
    if breached:
        lines.append(f"  class {','.join(breached)} breached")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------------
# Markdown


def _md_cell(value: object) -> str:
    return str(value if value is not None else "").replace("|", "\\|").replace("\n", " ")


def _md_table(headers: list[str], rows: list[list[object]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join("---" for _ in headers) + " |"]
    lines.extend("| " + " | ".join(_md_cell(cell) for cell in row) + " |" for row in rows)
    return lines


def _status_text(node: Mapping[str, Any]) -> str:
    status = node.get("status")
    if status is None:
        return ""
    if status == "breached":
        return "**breached**"
    return str(status)


def change_text(node: Mapping[str, Any]) -> str:
    """The node's change as people read it (percentage points for a rate, relative otherwise; "no baseline"
    when its history is not in the data), with the anomaly and target flags appended."""
    text = format_node_change(node)
    anomaly = node.get("anomaly")
    if isinstance(anomaly, Mapping) and anomaly.get("flagged"):
        text += " ⚠ anomaly"
    if node.get("target_status"):
        text += f" ({node['target_status']})"
    return text


def _markdown_why(explain: Mapping[str, Any]) -> list[str]:
    star = str(explain["metric"])
    lines = ["## Why it moved", ""]
    if explain.get("tree"):
        lines += [f"The change of `{star}` split along the tree (each level adds up to the one above):", ""]
        headers = ["metric", "previous", "value", "change", f"adds to {star}", "share"]
        lines += _md_table(headers, contribution_rows(explain["tree"], star, "&nbsp;&nbsp;", "`{}`")) + [""]
    segments = explain.get("segments") or []
    if segments:
        lines += ["Top moving segments:", ""]
        rows: list[list[object]] = [
            [
                s["dimension_label"],
                s["segment"],
                format_value(s["previous"], star),
                format_value(s["value"], star),
                format_signed(s["contribution"], star),
                format_share(s["share"]),
            ]
            for s in segments
        ]
        lines += _md_table(["dimension", "segment", "previous", "value", "contribution", "share"], rows) + [""]
    anomalies = explain.get("anomalies") or []
    verdict = ", ".join(f"`{name}`" for name in anomalies) if anomalies else explain.get("no_anomaly_text") or "none"
    lines += [f"Anomalies: {verdict}.", ""]
    return lines


def _markdown_guardrails(document: Mapping[str, Any], with_values: bool) -> list[str]:
    guardrails = guardrail_table(document)
    if not guardrails:
        return []
    headers = ["guardrail", "stakeholder", "protects", "threshold"]
    if with_values:
        headers += ["value", "previous", "status"]
    rows = []
    for guardrail in guardrails:
        name = guardrail["metric"]
        row: list[object] = [
            f"`{name}`",
            guardrail["stakeholder"],
            f"`{guardrail['protects']}`" if guardrail["protects"] else "",
            format_threshold(guardrail["threshold"], name),
        ]
        if with_values:
            row += [
                format_value(guardrail["value"], name),
                format_value(guardrail["previous"], name),
                _status_text(guardrail),
            ]
        rows.append(row)
    return ["## Guardrails", ""] + _md_table(headers, rows) + [""]


def _markdown_tier(members: list[dict[str, Any]], with_values: bool) -> list[str]:
    headers = ["metric", "label"]
    if with_values:
        headers += ["value", "previous", "change", "trend"]
    headers += ["parent", "direction", "owner", "definition"]
    rows = []
    for node in members:
        row: list[object] = [f"`{node['name']}`", node["label"]]
        if with_values:
            row += [
                _value_text(node) + (f" ({_status_text(node)})" if node.get("status") else ""),
                format_value(node.get("previous"), node["name"]),
                change_text(node),
                node.get("trend") or "",
            ]
        row += [
            f"`{node['parent']}`" if node["parent"] else "—",
            node["direction"],
            node["owner"],
            node.get("definition") or node["description"],
        ]
        rows.append(row)
    return _md_table(headers, rows) + [""]


def render_markdown(document: Mapping[str, Any]) -> str:
    by_name = {n["name"]: n for n in document["nodes"]}
    with_values = bool(document.get("has_values"))
    lines = [f"# {TITLE}", "", period_sentence(document), ""]
    star = by_name.get(document.get("north_star") or "")
    if star:
        summary = f"North star: **{star['label']}** (`{star['name']}`)"
        if with_values:
            summary += f": {_value_text(star)} ({format_node_change(star)} vs the period before)"
        lines += [summary, ""]
    if document.get("explain"):
        lines += _markdown_why(document["explain"])
    lines += _markdown_guardrails(document, with_values)
    for stakeholder, tiers in _groups(document):
        lines += [f"## {stakeholder.capitalize()}", ""]
        for tier, members in tiers:
            lines += [f"### {TIER_TITLES.get(tier, tier)}", ""] + _markdown_tier(members, with_values)
    lines += ["## Tree diagram", "", "```mermaid", render_mermaid(document).rstrip("\n"), "```", ""]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------
# The formats


@dataclass(frozen=True)
class ExportFormat:
    name: str  # what --format takes
    file_name: str  # written into the output directory
    render: Callable[[Mapping[str, Any]], str]  # document -> the file's text
    description: str  # one paragraph for `export --help`


EXPORT_FORMATS: dict[str, ExportFormat] = {
    export_format.name: export_format
    for export_format in (
        ExportFormat(
            "json",
            "metric_tree.json",
            render_json,
            "nodes (meta, value, previous, change, change_points, trend, status, baseline, target, anomaly, "
            "series, decomposition, segments), edges {source, target, kind, weight}, the guardrail table and "
            "the `explain` block",
        ),
        ExportFormat(
            "mermaid",
            "metric_tree.mmd",
            render_mermaid,
            "a Mermaid flowchart, one subgraph per stakeholder, guardrails styled",
        ),
        ExportFormat(
            "markdown",
            "metric_tree.md",
            render_markdown,
            "why it moved, the guardrails, then Markdown tables per stakeholder and tier, with values",
        ),
        ExportFormat(
            "html",
            "metric_tree.html",
            render_html,
            "one self-contained page (inline CSS/JS/SVG, opens offline): the tree drawn with a sparkline per "
            "metric and edges weighted by each driver's share of the change, filters, a detail panel per "
            "metric (#metric=NAME), why it moved, the guardrails",
        ),
    )
}


def write_all(document: Mapping[str, Any], out_dir: Path, formats: Iterable[str] | None = None) -> dict[str, Path]:
    """Write the document in ``formats`` (default: every one of ``EXPORT_FORMATS``) into ``out_dir`` (an
    existing directory); returns format name → path."""
    written: dict[str, Path] = {}
    for name in formats if formats is not None else EXPORT_FORMATS:
        export_format = EXPORT_FORMATS[name]
        path = out_dir / export_format.file_name
        path.write_text(export_format.render(document), encoding="utf-8")
        written[name] = path
    return written
