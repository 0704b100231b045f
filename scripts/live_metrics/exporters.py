"""Render the metric tree (with values when available) as JSON, Mermaid, Markdown and one HTML page.

Everything is rendered from one JSON-able *document* (``build_document``), so the four outputs always
agree; the HTML page embeds that document and needs nothing from the network.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from live_metrics.formatting import format_change, format_threshold, format_value
from live_metrics.snapshot import Snapshot
from live_metrics.tree import STAKEHOLDERS, TIERS, MetricTree

TITLE = "Live-streaming metric tree"
TIER_TITLES = {
    "north_star": "North star",
    "core": "Core",
    "supporting": "Supporting",
    "guardrail": "Guardrails",
}
FILE_NAMES = {
    "json": "metric_tree.json",
    "mermaid": "metric_tree.mmd",
    "markdown": "metric_tree.md",
    "html": "metric_tree.html",
}


# ---------------------------------------------------------------------------------------------------
# The document


def build_document(
    tree: MetricTree,
    snapshot: Snapshot | None = None,
    definitions: Mapping[str, str] | None = None,
    generated_at: dt.datetime | None = None,
) -> dict[str, Any]:
    """The tree as plain data: nodes (meta + values) and edges (parent | component)."""
    definitions = definitions or {}
    nodes = []
    for name in sorted(tree.nodes, key=tree.sort_key):
        node = tree.nodes[name]
        value = snapshot.values.get(name) if snapshot else None
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
                "value": value.value if value else None,
                "previous": value.previous if value else None,
                "change": value.change if value else None,
                "trend": value.trend if value else None,
                "status": value.status if value else None,
                "error": value.error if value else None,
            }
        )
    edges = [{"source": edge.source, "target": edge.target, "kind": edge.kind} for edge in tree.edges]
    stamp = (generated_at or dt.datetime.now(dt.timezone.utc)).replace(microsecond=0)
    return {
        "title": TITLE,
        "generated_at": stamp.isoformat(),
        "north_star": tree.north_star(),
        "has_values": snapshot is not None,
        "period": snapshot.period.as_dict() if snapshot else None,
        "previous_period": snapshot.previous.as_dict() if snapshot else None,
        "last_data_day": snapshot.last_data_day.isoformat() if snapshot else None,
        "last_complete_day": snapshot.last_complete_day.isoformat() if snapshot else None,
        "stakeholders": [s for s in STAKEHOLDERS if any(n["stakeholder"] == s for n in nodes)]
        + sorted({str(n["stakeholder"]) for n in nodes} - set(STAKEHOLDERS)),
        "tiers": list(TIERS),
        "nodes": nodes,
        "edges": edges,
    }


def render_json(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


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
    return format_value(node.get("value"), node["name"])


def _period_sentence(document: Mapping[str, Any]) -> str:
    if not document.get("has_values"):
        return "Tree only (exported without values)."
    period = document["period"]
    previous = document["previous_period"]
    return (
        f"Values for the latest complete {period['grain']}, {period['label']}, against {previous['label']} "
        f"(last complete day {document['last_complete_day']}; data through {document['last_data_day']})."
    )


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
                    if node.get("change") is not None:
                        value_line += f" ({format_change(node['change'])})"
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


def render_markdown(document: Mapping[str, Any]) -> str:
    nodes = document["nodes"]
    by_name = {n["name"]: n for n in nodes}
    with_values = bool(document.get("has_values"))
    lines = [f"# {TITLE}", "", _period_sentence(document), ""]
    star = by_name.get(document.get("north_star") or "")
    if star:
        summary = f"North star: **{star['label']}** (`{star['name']}`)"
        if with_values:
            summary += f": {_value_text(star)} ({format_change(star.get('change'))} vs the period before)"
        lines += [summary, ""]
    guardrails = [n for n in nodes if n["tier"] == "guardrail"]
    if guardrails:
        lines += ["## Guardrails", ""]
        headers = ["guardrail", "stakeholder", "protects", "threshold"]
        if with_values:
            headers += ["value", "previous", "status"]
        rows = []
        for node in guardrails:
            row: list[object] = [
                f"`{node['name']}`",
                node["stakeholder"],
                f"`{node['parent']}`" if node["parent"] else "",
                format_threshold(node["threshold"], node["name"]),
            ]
            if with_values:
                row += [_value_text(node), format_value(node.get("previous"), node["name"]), _status_text(node)]
            rows.append(row)
        lines += _md_table(headers, rows) + [""]
    for stakeholder, tiers in _groups(document):
        lines += [f"## {stakeholder.capitalize()}", ""]
        for tier, members in tiers:
            lines += [f"### {TIER_TITLES.get(tier, tier)}", ""]
            headers = ["metric", "label"]
            if with_values:
                headers += ["value", "previous", "change", "trend"]
            headers += ["parent", "direction", "owner", "definition"]
            rows = []
            for node in members:
                row = [f"`{node['name']}`", node["label"]]
                if with_values:
                    row += [
                        _value_text(node) + (f" ({_status_text(node)})" if node.get("status") else ""),
                        format_value(node.get("previous"), node["name"]),
                        format_change(node.get("change")),
                        node.get("trend") or "",
                    ]
                row += [
                    f"`{node['parent']}`" if node["parent"] else "—",
                    node["direction"],
                    node["owner"],
                    node.get("definition") or node["description"],
                ]
                rows.append(row)
            lines += _md_table(headers, rows) + [""]
    lines += ["## Tree diagram", "", "```mermaid", render_mermaid(document).rstrip("\n"), "```", ""]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------
# HTML (one self-contained page: inline CSS and JS, the data embedded as JSON)

_CSS = """
:root { --ink:#212529; --muted:#6c757d; --line:#dee2e6; --bg:#f8f9fa; --good:#2b8a3e; --bad:#c92a2a;
  --creators:#7048e8; --viewers:#1c7ed6; --platform:#e8590c; --advertisers:#0ca678; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
  margin: 0; background: var(--bg); }
header { background: #fff; border-bottom: 1px solid var(--line); padding: 16px 24px; }
h1 { margin: 0 0 4px; font-size: 22px; } h2 { font-size: 17px; margin: 24px 0 8px; }
.period { color: var(--muted); margin: 0; }
main { padding: 0 24px 32px; }
.summary { display: flex; gap: 12px; flex-wrap: wrap; margin-top: 12px; }
.pill { border: 1px solid var(--line); border-radius: 999px; padding: 2px 10px; background: #fff; }
.pill.bad { border-color: var(--bad); color: var(--bad); font-weight: 600; }
.filters { margin-top: 12px; display: flex; gap: 6px; flex-wrap: wrap; align-items: center; }
.filters button { border: 1px solid var(--line); background: #fff; border-radius: 6px; padding: 4px 10px;
  cursor: pointer; font: inherit; }
.filters button.active { background: var(--ink); color: #fff; border-color: var(--ink); }
.filters input { border: 1px solid var(--line); border-radius: 6px; padding: 4px 8px; font: inherit; }
.card { background: #fff; border: 1px solid var(--line); border-left: 4px solid var(--muted); border-radius: 6px;
  padding: 6px 10px; margin: 4px 0; min-width: 210px; cursor: pointer; }
.card.sh-creators { border-left-color: var(--creators); } .card.sh-viewers { border-left-color: var(--viewers); }
.card.sh-platform { border-left-color: var(--platform); } .card.sh-advertisers { border-left-color: var(--advertisers); }
.card.tier-north_star { border-width: 2px 2px 2px 6px; border-color: #e67700; }
.card.tier-guardrail { border-style: dashed; border-left-style: solid; }
.card.status-breached { background: #fff0f0; border-color: var(--bad); }
.card .head { display: flex; justify-content: space-between; gap: 8px; font-weight: 600; }
.card .value { font-size: 18px; font-weight: 600; }
.card .change { font-size: 12px; } .better { color: var(--good); } .worse { color: var(--bad); }
.card .sub { color: var(--muted); font-size: 12px; }
.badge { font-size: 11px; font-weight: 600; border-radius: 4px; padding: 0 6px; background: var(--bg);
  color: var(--muted); white-space: nowrap; }
.badge.breached { background: var(--bad); color: #fff; } .badge.ok { background: #d3f9d8; color: var(--good); }
.badge.tracked, .badge.no-data { background: #e9ecef; color: var(--muted); }
.card.dim { opacity: .25; } .card.hl { outline: 3px solid #fab005; }
.hidden { display: none !important; }
ul.tree, ul.tree ul { list-style: none; margin: 0; padding-left: 22px; border-left: 1px dashed var(--line); }
ul.tree { padding-left: 0; border-left: 0; }
ul.tree li { margin: 2px 0; }
ul.tree summary { list-style: none; cursor: pointer; } ul.tree summary::-webkit-details-marker { display: none; }
ul.tree .card { display: inline-block; vertical-align: top; }
.kids { color: var(--muted); font-size: 12px; margin-left: 6px; }
table.grid { border-collapse: collapse; width: 100%; background: #fff; }
table.grid th, table.grid td { border: 1px solid var(--line); padding: 6px; vertical-align: top; text-align: left; }
table.grid thead th { background: var(--bg); text-transform: capitalize; }
table.list { border-collapse: collapse; background: #fff; }
table.list th, table.list td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.legend { color: var(--muted); font-size: 12px; margin-top: 8px; }
"""

_JS = """
(function () {
  var data = JSON.parse(document.getElementById('metric-tree-data').textContent);
  var parentOf = {};
  data.nodes.forEach(function (n) { parentOf[n.name] = n.parent; });
  var cards = Array.prototype.slice.call(document.querySelectorAll('.card'));
  var filter = 'all', query = '';
  function apply() {
    cards.forEach(function (c) {
      var okStakeholder = filter === 'all' || c.getAttribute('data-stakeholder') === filter;
      var text = (c.getAttribute('data-metric') + ' ' + c.textContent).toLowerCase();
      var okQuery = !query || text.indexOf(query) >= 0;
      c.classList.toggle('dim', !(okStakeholder && okQuery));
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll('.filters button'), function (b) {
    b.addEventListener('click', function () {
      filter = b.getAttribute('data-filter');
      Array.prototype.forEach.call(document.querySelectorAll('.filters button'), function (o) {
        o.classList.toggle('active', o === b);
      });
      apply();
    });
  });
  var search = document.getElementById('search');
  if (search) { search.addEventListener('input', function () { query = search.value.trim().toLowerCase(); apply(); }); }
  cards.forEach(function (c) {
    c.addEventListener('click', function (event) {
      event.preventDefault();
      var chain = {}, name = c.getAttribute('data-metric'), guard = 0;
      while (name && !chain[name] && guard++ < 100) { chain[name] = true; name = parentOf[name]; }
      cards.forEach(function (o) { o.classList.toggle('hl', !!chain[o.getAttribute('data-metric')]); });
    });
  });
})();
"""


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _card(node: Mapping[str, Any], with_values: bool) -> str:
    classes = [
        "card",
        f"sh-{node['stakeholder']}",
        f"tier-{node['tier']}",
    ]
    if node.get("status"):
        classes.append(f"status-{str(node['status']).replace(' ', '-')}")
    parts = [
        f'<div class="{_e(" ".join(classes))}" data-metric="{_e(node["name"])}" '
        f'data-stakeholder="{_e(node["stakeholder"])}" title="{_e(node.get("definition") or node["description"])}">',
        f'<div class="head"><span>{_e(node["label"])}</span><span class="badge">{_e(node["tier"])}</span></div>',
    ]
    if with_values:
        parts.append(f'<div class="value">{_e(_value_text(node))}</div>')
        trend_class = node.get("trend") or ""
        previous = format_value(node.get("previous"), node["name"])
        parts.append(
            f'<div class="change {_e(trend_class)}">{_e(format_change(node.get("change")))} '
            f'<span class="sub">vs {_e(previous)}</span></div>'
        )
        if node.get("error"):
            parts.append(f'<div class="sub">error: {_e(node["error"])}</div>')
    if node["tier"] == "guardrail":
        threshold = format_threshold(node["threshold"], node["name"])
        status = node.get("status")
        badge = (
            f'<span class="badge {_e(str(status).replace(" ", "-"))}">{_e(status)}</span> ' if status else ""
        )
        limit = "no threshold (tracked)" if node["threshold"] == "none" else f"threshold {threshold}"
        parts.append(f'<div class="sub">{badge}{_e(limit)}</div>')
    arrow = "↓ lower is better" if node["direction"] == "decrease" else "↑ higher is better"
    parts.append(
        f'<div class="sub"><code>{_e(node["name"])}</code> · {_e(node["type"])} · {_e(arrow)} · {_e(node["owner"])}</div>'
    )
    parts.append("</div>")
    return "".join(parts)


def _tree_items(name: str, children: Mapping[str, list[str]], by_name: Mapping[str, Any], with_values: bool,
                seen: set[str]) -> str:
    seen.add(name)
    card = _card(by_name[name], with_values)
    kids = [kid for kid in children.get(name, []) if kid not in seen]
    if not kids:
        return f"<li>{card}</li>"
    inner = "".join(_tree_items(kid, children, by_name, with_values, seen) for kid in kids)
    return (
        f'<li><details open><summary>{card}<span class="kids">{len(kids)} below</span></summary>'
        f"<ul>{inner}</ul></details></li>"
    )


def _html_table(css_class: str, headers: Sequence[str], rows: Sequence[str]) -> str:
    """A table with escaped header cells and ready-made ``<tr>`` rows."""
    head = "".join(f"<th>{_e(header)}</th>" for header in headers)
    return f'<table class="{css_class}"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def render_html(document: Mapping[str, Any]) -> str:
    nodes = document["nodes"]
    by_name = {n["name"]: n for n in nodes}
    with_values = bool(document.get("has_values"))
    order = {n["name"]: index for index, n in enumerate(nodes)}
    children: dict[str, list[str]] = {}
    for edge in document["edges"]:
        if edge["kind"] == "parent" and edge["source"] in by_name and edge["target"] in by_name:
            children.setdefault(edge["source"], []).append(edge["target"])
    for kids in children.values():
        kids.sort(key=lambda kid: order[kid])

    seen: set[str] = set()
    tree_html = ""
    star = document.get("north_star")
    if isinstance(star, str) and star in by_name:
        tree_html = f'<ul class="tree">{_tree_items(star, children, by_name, with_values, seen)}</ul>'
    orphans = [n["name"] for n in nodes if n["name"] not in seen]
    if orphans:
        orphan_items = "".join(_tree_items(name, children, by_name, with_values, seen) for name in orphans
                               if name not in seen)
        tree_html += f'<h3>Not connected to the north star</h3><ul class="tree">{orphan_items}</ul>'

    stakeholders = document["stakeholders"]
    tiers = [t for t in document["tiers"] if any(n["tier"] == t for n in nodes)]
    tiers += sorted({str(n["tier"]) for n in nodes} - set(tiers))
    grid_rows = []
    for tier in tiers:
        cells = []
        for stakeholder in stakeholders:
            members = [n for n in nodes if n["tier"] == tier and n["stakeholder"] == stakeholder]
            cells.append("<td>" + "".join(_card(n, with_values) for n in members) + "</td>")
        grid_rows.append(f"<tr><th>{_e(TIER_TITLES.get(tier, tier))}</th>{''.join(cells)}</tr>")
    grid_html = _html_table("grid", ["tier", *stakeholders], grid_rows)

    guardrails = [n for n in nodes if n["tier"] == "guardrail"]
    guardrail_rows = []
    for node in guardrails:
        cells = [
            f"<td><code>{_e(node['name'])}</code></td>",
            f"<td>{_e(node['stakeholder'])}</td>",
            f"<td><code>{_e(node['parent'])}</code></td>",
            f"<td class=\"num\">{_e(format_threshold(node['threshold'], node['name']))}</td>",
        ]
        if with_values:
            status = node.get("status") or ""
            cells += [
                f"<td class=\"num\">{_e(_value_text(node))}</td>",
                f"<td class=\"num\">{_e(format_value(node.get('previous'), node['name']))}</td>",
                f"<td><span class=\"badge {_e(status.replace(' ', '-'))}\">{_e(status)}</span></td>",
            ]
        guardrail_rows.append("<tr>" + "".join(cells) + "</tr>")
    guardrail_headers = ["guardrail", "stakeholder", "protects", "threshold"] + (
        ["value", "previous", "status"] if with_values else []
    )
    guardrail_html = _html_table("list", guardrail_headers, guardrail_rows)

    pills = [f'<span class="pill">{len(nodes)} metrics</span>']
    if with_values:
        statuses = [n.get("status") for n in guardrails]
        breached = statuses.count("breached")
        pills.append(f'<span class="pill{" bad" if breached else ""}">{breached} guardrails breached</span>')
        pills.append(f'<span class="pill">{statuses.count("ok")} ok</span>')
        pills.append(f'<span class="pill">{statuses.count("tracked")} tracked</span>')
        if star in by_name:
            star_node = by_name[star]
            pills.insert(
                0,
                f'<span class="pill">North star {_e(star_node["label"])}: <b>{_e(_value_text(star_node))}</b> '
                f'({_e(format_change(star_node.get("change")))})</span>',
            )
    buttons = ['<button type="button" class="active" data-filter="all">all</button>'] + [
        f'<button type="button" data-filter="{_e(s)}">{_e(s)}</button>' for s in stakeholders
    ]
    # Inside <script>, "<" must never start a tag: JSON allows \u003c for it (and for > and &).
    data_json = (
        json.dumps(document, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(TITLE)}</title>
<style>{_CSS}</style>
</head>
<body>
<header>
<h1>{_e(TITLE)}</h1>
<p class="period">{_e(_period_sentence(document))} Generated {_e(document['generated_at'])}.</p>
<div class="summary">{''.join(pills)}</div>
<div class="filters">{''.join(buttons)}<input id="search" type="search" placeholder="filter metrics…"
 aria-label="filter metrics"></div>
<p class="legend">Solid cards: core and supporting metrics; dashed: guardrails (red when breached). Change and colour are
judged in each metric's own direction. Click a card to highlight its path to the north star.</p>
</header>
<main>
<section id="tree"><h2>The tree (parent links)</h2>{tree_html}</section>
<section id="grid"><h2>By stakeholder and tier</h2>{grid_html}</section>
<section id="guardrails"><h2>Guardrails</h2>{guardrail_html}</section>
</main>
<script type="application/json" id="metric-tree-data">{data_json}</script>
<script>{_JS}</script>
</body>
</html>
"""


def write_all(document: Mapping[str, Any], out_dir: Path) -> dict[str, Path]:
    """Write the four files into ``out_dir`` (an existing directory); returns format → path."""
    renderers = {
        "json": render_json,
        "mermaid": render_mermaid,
        "markdown": render_markdown,
        "html": render_html,
    }
    written: dict[str, Path] = {}
    for kind, render in renderers.items():
        path = out_dir / FILE_NAMES[kind]
        path.write_text(render(document), encoding="utf-8")
        written[kind] = path
    return written
