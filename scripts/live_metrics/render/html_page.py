"""The metric tree as one self-contained HTML page a product manager can keep open.

Python renders what does not change while reading (the header, "why it moved", the guardrails table and the
controls); the inline script draws the tree as SVG from the embedded document, lays it out again whenever a
filter hides metrics, and fills the detail panel. Nothing is fetched: CSS, JS and SVG are inline.

Filters (stakeholder, tier, "show" and the search) hide what does not match. With "keep ancestors" on (the
default) the ancestors of every match stay visible, greyed, so each match keeps its path to the north star;
with it off, a match whose parent is hidden becomes the root of its own small tree. The state lives in the
URL hash (``#metric=NAME&stakeholder=viewers&tier=core&show=moved&q=gift&ancestors=0``; the query string
is read too), so a view can be bookmarked or shared.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from typing import Any

from live_metrics.render.formatting import (
    format_metric_change,
    format_node_change,
    format_share,
    format_signed,
    format_threshold,
    format_value,
    guardrail_table,
    is_number,
    material_residual,
    period_sentence,
)

MOVED = 0.05  # a metric "moved" when its relative change is at least this large (the "moved" filter)
TOP_SEGMENTS = 3
SHOW_OPTIONS = {
    "": "everything",
    "moved": f"only what moved (≥{MOVED:.0%})",
    "anomalies": "only anomalies",
    "breached": "only breached guardrails",
}


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _name(name: object) -> str:
    """A metric name in <code>, breakable after each underscore so narrow table cells wrap."""
    return "<code>" + _e(name).replace("_", "_<wbr>") + "</code>"


def _link(name: str, text: str) -> str:
    return f'<a href="#metric={_e(name)}" data-goto="{_e(name)}">{text}</a>'


def _bar(share: float | None) -> str:
    """A share as a small horizontal bar (red when negative) followed by its percentage."""
    if share is None or not is_number(share):
        return "—"
    width = min(abs(share), 1.0) * 100
    sign = " neg" if share < 0 else ""
    return f'<span class="bar{sign}"><span style="width:{width:.1f}%"></span></span> <span>{format_share(share)}</span>'


def _trend_class(node: Mapping[str, Any]) -> str:
    return str(node.get("trend") or "")


def _table(css_class: str, headers: Sequence[str], rows: Sequence[str]) -> str:
    """A table with escaped header cells and ready-made ``<tr>`` rows."""
    head = "".join(f"<th>{_e(header)}</th>" for header in headers)
    return f'<table class="{css_class}"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


# ---------------------------------------------------------------------------------------------------
# Header: the north star, why it moved, top segments and anomalies


def _north_star_card(
    document: Mapping[str, Any], by_name: Mapping[str, Any], guardrails: Sequence[Mapping[str, Any]]
) -> str:
    star = by_name.get(document.get("north_star") or "")
    if star is None:
        return ""
    name = star["name"]
    change = format_node_change(star)
    explain = document.get("explain") or {}
    delta = format_signed(explain.get("change_abs"), name) if explain.get("change_abs") is not None else change
    absolute = f" ({delta})" if delta != change else ""  # a rate's change in points is its delta already
    return (
        '<div class="card star"><div class="kicker">North star</div>'
        f"<div>{_link(name, _e(star['label']))}</div>"
        f'<div class="big">{_e(format_value(star.get("value"), name))}</div>'
        f'<div class="{_e(_trend_class(star))}">{_e(change)}{_e(absolute)}</div>'
        f'<div class="muted">vs {_e(format_value(star.get("previous"), name))} the period before</div>'
        f"{_guardrail_pills(guardrails)}</div>"
    )


def _guardrail_pills(guardrails: Sequence[Mapping[str, Any]]) -> str:
    statuses = [guardrail["status"] for guardrail in guardrails]
    breached = statuses.count("breached")
    pills = [
        (
            f'<a class="pill{" bad" if breached else ""}" href="#show=breached" data-show="breached">'
            f"{breached} guardrails breached</a>"
        ),
        f'<span class="pill">{statuses.count("ok")} ok</span>',
        f'<span class="pill">{statuses.count("tracked")} tracked</span>',
    ]
    return f'<div class="pills">{"".join(pills)}</div>'


def _driver_rows(node: Mapping[str, Any], star: str, depth: int) -> list[str]:
    """One row per contribution-tree child, and one level further down for the first level."""
    rows = []
    for child in node.get("children") or []:
        metric = str(child["metric"])
        indent = "↳ " if depth else ""
        change = format_metric_change(metric, child.get("value"), child.get("previous"), child.get("change"))
        rows.append(
            f'<tr class="depth{depth}"><td>{indent}{_link(metric, _e(child.get("label") or metric))}</td>'
            f'<td class="num">{_e(change)}</td>'
            f'<td class="num">{_e(format_signed(child.get("contribution"), star))}</td>'
            f"<td>{_bar(child.get('share'))}</td></tr>"
        )
        if depth == 0:
            rows += _driver_rows(child, star, 1)
    return rows


def _why_card(explain: Mapping[str, Any]) -> str:
    star = str(explain["metric"])
    tree = explain.get("tree") or {}
    rows = _driver_rows(tree, star, 0)
    relation = {"product": "a product", "sum": "a sum"}.get(str(tree.get("relation")), "")
    body = (
        _table("drivers", ["driver", "change", f"adds to {star}", "share of the change"], rows)
        if rows
        else '<p class="muted">No decomposition of the north star.</p>'
    )
    note = f"Split along the tree ({relation}); " if relation else ""
    residual = explain.get("residual")
    trust = ""
    if residual is not None:
        unexplained = material_residual(residual, explain.get("change_abs"))
        trust = (
            f"parts add up to the change (residual {_e(format_value(residual))})."
            if unexplained
            else ("parts add up to the change exactly.")
        )
    return (
        '<div class="card why"><div class="kicker">Why it moved</div>'
        f'{body}<div class="muted small">{_e(note)}{trust}</div></div>'
    )


def _segments_card(explain: Mapping[str, Any], by_name: Mapping[str, Any]) -> str:
    star = str(explain["metric"])
    items = [
        f"<li><b>{_e(s.get('dimension_label') or s.get('dimension'))} = {_e(s.get('segment'))}</b> "
        f"{_e(format_value(s.get('previous'), star))} → {_e(format_value(s.get('value'), star))} "
        f'<span class="num">({_e(format_signed(s.get("contribution"), star))}, '
        f"{_e(format_share(s.get('share')))})</span></li>"
        for s in (explain.get("segments") or [])[:TOP_SEGMENTS]
    ]
    segments = f'<ol class="segments">{"".join(items)}</ol>' if items else '<p class="muted">No segment split.</p>'
    flagged = [name for name in explain.get("anomalies") or [] if name in by_name]
    anomalies = (
        ", ".join(_link(name, _e(by_name[name]["label"])) for name in flagged)
        + ' <a class="small" href="#show=anomalies" data-show="anomalies">show only these</a>'
        if flagged
        else _e(explain.get("no_anomaly_text") or "none")
    )
    return (
        f'<div class="card segs"><div class="kicker">Top segments of the change</div>{segments}'
        f'<div class="kicker">Anomalies</div><div class="anomalies">{"⚠ " if flagged else ""}{anomalies}</div></div>'
    )


def _header_cards(
    document: Mapping[str, Any], by_name: Mapping[str, Any], guardrails: Sequence[Mapping[str, Any]]
) -> str:
    if not document.get("has_values"):
        return ""
    cards = [_north_star_card(document, by_name, guardrails)]
    explain = document.get("explain")
    if explain:
        cards += [_why_card(explain), _segments_card(explain, by_name)]
    return f'<div class="cards">{"".join(cards)}</div>'


# ---------------------------------------------------------------------------------------------------
# Side column: the guardrails table (shown until a metric is selected)


def _guardrail_row(guardrail: Mapping[str, Any], by_name: Mapping[str, Any], with_values: bool) -> str:
    name = guardrail["metric"]
    parent = guardrail["protects"]
    protects = _link(parent, _e(by_name[parent]["label"])) if parent in by_name else _name(parent or "")
    cells = [
        f"<td>{_link(name, _e(guardrail['label']))}"
        f'<div class="muted small">{_name(name)} · {_e(guardrail["stakeholder"])}</div></td>',
        f"<td>{protects}</td>",
        f'<td class="num">{_e(format_threshold(guardrail["threshold"], name))}</td>',
    ]
    if with_values:
        status = str(guardrail["status"] or "")
        cells += [
            (
                f'<td class="num">{_e(format_value(guardrail["value"], name))}'
                f'<div class="muted small">{_e(format_value(guardrail["previous"], name))}</div></td>'
            ),
            f'<td><span class="badge {_e(status.replace(" ", "-"))}">{_e(status)}</span></td>',
        ]
    return "<tr>" + "".join(cells) + "</tr>"


def _guardrails(
    document: Mapping[str, Any], by_name: Mapping[str, Any], guardrails: Sequence[Mapping[str, Any]]
) -> str:
    """The guardrails table: name and stakeholder, the metric it protects, threshold, value over previous, status."""
    with_values = bool(document.get("has_values"))
    if not guardrails:
        return '<p class="muted">No guardrails.</p>'
    headers = ["guardrail · stakeholder", "protects", "threshold"] + (
        ["value / previous", "status"] if with_values else []
    )
    return _table("list", headers, [_guardrail_row(g, by_name, with_values) for g in guardrails])


# ---------------------------------------------------------------------------------------------------
# Controls


def _options(values: Sequence[tuple[str, str]]) -> str:
    return "".join(f'<option value="{_e(value)}">{_e(text)}</option>' for value, text in values)


def _toolbar(document: Mapping[str, Any]) -> str:
    stakeholders = [("", "all")] + [(str(s), str(s)) for s in document["stakeholders"]]
    buttons = "".join(
        f'<button type="button" class="sh sh-{_e(value or "all")}" data-stakeholder="{_e(value)}">{_e(text)}</button>'
        for value, text in stakeholders
    )
    present = {str(n["tier"]) for n in document["nodes"]}
    tiers = [("", "all tiers")] + [(t, t.replace("_", " ")) for t in document["tiers"] if t in present]
    show = SHOW_OPTIONS if document.get("has_values") else {"": SHOW_OPTIONS[""]}
    periods = document.get("periods") or {}
    grains = [grain for grain, found in (periods.get("grains") or {}).items() if found["periods"]]
    picker = (
        '<span class="group" role="group" aria-label="period">'
        f'<select id="f-grain" aria-label="grain">{_options([(grain, grain) for grain in grains])}</select>'
        '<select id="f-period" aria-label="period"></select></span>'
        if grains
        else ""
    )
    return (
        '<div class="toolbar" role="toolbar" aria-label="filters and zoom">'
        f"{picker}"
        f'<span class="group" role="group" aria-label="stakeholder">{buttons}</span>'
        f'<select id="f-tier" aria-label="tier">{_options(tiers)}</select>'
        f'<select id="f-show" aria-label="show">{_options(list(show.items()))}</select>'
        '<input id="f-q" type="search" placeholder="search metrics…" aria-label="search metrics">'
        '<label class="check"><input id="f-ancestors" type="checkbox" checked> keep ancestors</label>'
        '<span id="count" class="muted" aria-live="polite"></span>'
        '<span class="group zoom" role="group" aria-label="zoom">'
        '<button type="button" data-zoom="out" aria-label="zoom out">−</button>'
        '<button type="button" data-zoom="fit">fit width</button>'
        '<button type="button" data-zoom="1">100%</button>'
        '<button type="button" data-zoom="in" aria-label="zoom in">+</button></span>'
        "</div>"
        '<p id="period-notice" class="notice" role="status" hidden></p>'
    )


def _legend() -> str:
    return (
        '<p class="legend">Boxes: coloured stripe = stakeholder; <b class="ns">orange</b> = north star; dashed = '
        'guardrail (<b class="bad">red</b> breached, <b class="good">green</b> ok, grey tracked); (!) anomaly; '
        "◎ target (green on track, red off track). Edges: thickness = the child's share of its parent's change "
        '(<b class="pos">blue</b> pushes the same way, <b class="bad">red</b> against); "offsetting" when the '
        "parts moved in opposite directions, so that no share of 0–100 % describes them (their contributions are "
        "in the metric's panel); thin dashed = context, not part of the parent's formula. Grey boxes are helpers, "
        "the numerator or denominator of the ratio above them: context, never judged good or bad. Change colour "
        "is judged in each metric's direction. Click or press Enter on a metric for its details.</p>"
    )


def _data_json(document: Mapping[str, Any]) -> str:
    """The document as JSON safe inside <script>: <, > and & written as \\u escapes."""
    text = json.dumps(document, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def without_periods(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document without the page's period-picker data (``periods``): one period, as JSON exports it."""
    return {key: value for key, value in document.items() if key != "periods"}


def render_period_parts(document: Mapping[str, Any]) -> dict[str, str]:
    """The parts of the page Python renders for one period (the header with its cards, the guardrails
    table), for the period picker to swap in."""
    by_name = {n["name"]: n for n in document["nodes"]}
    guardrails = guardrail_table(document)
    return {
        "header_html": _page_header(document, by_name, guardrails),
        "guardrails_html": _guardrails(document, by_name, guardrails),
    }


def _head(document: Mapping[str, Any]) -> str:
    return f"""<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(document["title"])}</title>
<style>{_CSS}</style>
</head>"""


def _page_header(
    document: Mapping[str, Any], by_name: Mapping[str, Any], guardrails: Sequence[Mapping[str, Any]]
) -> str:
    """The title, the period sentence and the cards: north star, why it moved, top segments and anomalies."""
    return f"""<header>
<h1>{_e(document["title"])}</h1>
<p class="period">{_e(period_sentence(document))} {len(by_name)} metrics. Generated {_e(document["generated_at"])}.</p>
{_header_cards(document, by_name, guardrails)}
</header>"""


def _workspace(guardrails_html: str) -> str:
    """The tree (drawn by the script) beside the side column: the guardrails, then the detail panel."""
    return f"""<div class="workspace" id="app" data-moved="{MOVED}">
<div id="tree-wrap" tabindex="-1"><svg id="tree" role="group" aria-label="metric tree"></svg>
<p id="empty" class="empty" hidden>No metric matches these filters.</p>
<noscript><p class="empty">The tree is drawn by JavaScript; the guardrails table works without it.</p></noscript></div>
<aside id="side">
<section id="overview"><h2>Guardrails</h2>
<div id="guardrails">{guardrails_html}</div>{_legend()}</section>
<section id="panel" hidden aria-labelledby="panel-title"></section>
</aside>
</div>"""


def _scripts(document: Mapping[str, Any]) -> str:
    """The embedded document and the script that draws the page from it."""
    periods = document.get("periods")
    main = without_periods(document)
    extra = (
        f'<script type="application/json" id="metric-tree-periods">{_data_json(periods)}</script>\n' if periods else ""
    )
    return f"""<script type="application/json" id="metric-tree-data">{_data_json(main)}</script>
{extra}<script>{_JS}</script>"""


def render_html(document: Mapping[str, Any]) -> str:
    """One offline page: header and why-it-moved, the drawn tree with filters, a detail panel, guardrails.
    The header and the guardrails are the parts the period picker swaps (``render_period_parts``)."""
    period_parts = render_period_parts(document)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        _head(document),
        "<body>",
        period_parts["header_html"],
        _toolbar(document),
        _workspace(period_parts["guardrails_html"]),
        _scripts(document),
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(parts)


_CSS = """
:root { --ink:#212529; --muted:#6c757d; --line:#dee2e6; --bg:#f1f3f5; --good:#2b8a3e; --bad:#c92a2a;
  --pos:#4dabf7; --ns:#e67700; --creators:#7048e8; --viewers:#1c7ed6; --platform:#e8590c; --advertisers:#0ca678; }
* { box-sizing: border-box; }
html, body { height: 100%; }
body { font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); margin: 0;
  background: var(--bg); display: flex; flex-direction: column; }
a { color: #1864ab; text-decoration: none; } a:hover { text-decoration: underline; }
code { font-size: 11.5px; }
header { background: #fff; border-bottom: 1px solid var(--line); padding: 10px 16px; }
h1 { margin: 0; font-size: 19px; } h2 { font-size: 15px; margin: 4px 0 8px; }
h3 { font-size: 13px; margin: 14px 0 4px; }
.period { color: var(--muted); margin: 2px 0 0; }
.muted { color: var(--muted); } .small { font-size: 11.5px; }
.cards { display: grid; grid-template-columns: minmax(210px, 1fr) minmax(380px, 2fr) minmax(300px, 1.5fr); gap: 10px;
  margin-top: 8px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; background: #fff; min-width: 0; }
.card.star { border-color: var(--ns); background: #fff9db; }
.kicker { font-size: 11px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); font-weight: 600; }
.big { font-size: 26px; font-weight: 700; line-height: 1.15; }
.better { color: var(--good); } .worse { color: var(--bad); }
.pills { display: flex; gap: 4px; flex-wrap: wrap; margin-top: 6px; }
.pill { border: 1px solid var(--line); border-radius: 999px; padding: 0 8px; background: #fff; font-size: 12px;
  color: var(--ink); }
.pill.bad { border-color: var(--bad); color: var(--bad); font-weight: 600; }
table.drivers { border-collapse: collapse; width: 100%; }
table.drivers th { font-size: 11px; color: var(--muted); font-weight: 600; text-align: left; padding: 1px 6px; }
table.drivers td { padding: 1px 6px; border-top: 1px solid #f1f3f5; white-space: nowrap; }
table.drivers tr.depth1 td:first-child { padding-left: 20px; }
table.drivers td:last-child { white-space: normal; min-width: 7.5em; }
.card.why { overflow-x: auto; }
.bar { display: inline-block; width: 80px; height: 8px; background: #e9ecef; border-radius: 4px; vertical-align: middle;
  overflow: hidden; }
.bar > span { display: block; height: 100%; background: var(--pos); }
.bar.neg > span { background: var(--bad); }
ol.segments { margin: 2px 0 6px; padding-left: 20px; } ol.segments li { margin: 1px 0; }
.toolbar { display: flex; gap: 8px; flex-wrap: wrap; align-items: center; padding: 6px 16px; background: #fff;
  border-bottom: 1px solid var(--line); }
.toolbar .group { display: inline-flex; }
.toolbar button { border: 1px solid var(--line); background: #fff; padding: 3px 9px; cursor: pointer; font: inherit;
  margin-left: -1px; }
.toolbar .group button:first-child { border-radius: 6px 0 0 6px; }
.toolbar .group button:last-child { border-radius: 0 6px 6px 0; }
.toolbar button.active { background: var(--ink); color: #fff; border-color: var(--ink); }
.toolbar button.sh::before { content: ""; display: inline-block; width: 8px; height: 8px; border-radius: 50%;
  margin-right: 5px; background: var(--muted); }
.toolbar button.sh-all::before { display: none; }
.sh-creators::before { background: var(--creators) !important; }
.sh-viewers::before { background: var(--viewers) !important; }
.sh-platform::before { background: var(--platform) !important; }
.sh-advertisers::before { background: var(--advertisers) !important; }
.toolbar select, .toolbar input[type=search] { border: 1px solid var(--line); border-radius: 6px; padding: 3px 6px;
  font: inherit; background: #fff; }
.toolbar .zoom { margin-left: auto; }
.check { white-space: nowrap; } #f-q { width: 150px; }
.workspace { display: flex; flex: 1; min-height: 0; }
#tree-wrap { flex: 1; overflow: auto; min-width: 0; position: relative; outline: none; }
#tree { display: block; }
.empty { padding: 24px; color: var(--muted); font-size: 15px; }
#side { width: 440px; flex: none; overflow: auto; background: #fff; border-left: 1px solid var(--line);
  padding: 10px 14px; }
table.list, table.kv, table.parts { border-collapse: collapse; width: 100%; font-size: 12px; }
table.list th, table.list td, table.parts th, table.parts td { border-bottom: 1px solid var(--line); padding: 3px 5px;
  text-align: left; vertical-align: top; }
table.list th, table.parts th { font-size: 11px; color: var(--muted); }
table.kv th { text-align: left; color: var(--muted); font-weight: 500; padding: 2px 8px 2px 0; width: 110px;
  vertical-align: top; }
table.kv td { padding: 2px 0; }
td.num, th.num, span.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.badge { font-size: 11px; font-weight: 600; border-radius: 4px; padding: 0 6px; background: #e9ecef;
  color: var(--muted); white-space: nowrap; }
.badge.breached, .badge.off-track, .badge.flagged { background: var(--bad); color: #fff; }
.badge.ok, .badge.on-track { background: #d3f9d8; color: var(--good); }
.legend { color: var(--muted); font-size: 11.5px; margin-top: 12px; }
.legend .ns { color: var(--ns); } .legend .bad { color: var(--bad); } .legend .good { color: var(--good); }
.legend .pos { color: #1c7ed6; }
#panel h2 { font-size: 18px; margin: 0; outline: none; }
.panel-head { display: flex; justify-content: space-between; align-items: start; gap: 8px; }
.panel-head button { border: 1px solid var(--line); background: #fff; border-radius: 6px; cursor: pointer;
  font: inherit; padding: 2px 9px; }
.chips { display: flex; gap: 4px; flex-wrap: wrap; margin: 6px 0; }
.chip { border: 1px solid var(--line); border-radius: 4px; padding: 0 6px; font-size: 11.5px; }
.note { background: #fff9db; border: 1px solid #ffe066; border-radius: 6px; padding: 4px 8px; margin: 6px 0; }
.formula { font-family: ui-monospace, monospace; font-size: 12px; background: #f8f9fa; border-radius: 6px;
  padding: 4px 8px; overflow-wrap: anywhere; }
.bigspark { display: block; margin: 4px 0; width: 100%; height: auto; }
/* the tree */
svg text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
.node { cursor: pointer; }
.node .box { fill: #fff; stroke: #adb5bd; stroke-width: 1; }
.node.tier-north_star .box { fill: #fff9db; stroke: var(--ns); stroke-width: 2.5; }
.node.tier-guardrail .box { stroke-dasharray: 5 3; stroke-width: 1.6; }
.node.st-breached .box { fill: #ffe3e3; stroke: var(--bad); stroke-width: 2.2; }
.node.st-ok .box { fill: #ebfbee; stroke: var(--good); }
.node.st-tracked .box { fill: #f1f3f5; stroke: #868e96; }
.node .stripe { fill: #868e96; }
.node.sh-creators .stripe { fill: var(--creators); } .node.sh-viewers .stripe { fill: var(--viewers); }
.node.sh-platform .stripe { fill: var(--platform); } .node.sh-advertisers .stripe { fill: var(--advertisers); }
.node .label { font-size: 12.5px; font-weight: 600; fill: var(--ink); }
.node .value { font-size: 15px; font-weight: 700; fill: var(--ink); }
.node .delta { font-size: 11px; fill: var(--muted); }
.node .delta.better { fill: var(--good); } .node .delta.worse { fill: var(--bad); }
.node .delta.nobase { font-style: italic; }
.node .sub { font-size: 10.5px; fill: var(--muted); }
.node.helper .box { fill: #f8f9fa; stroke: #dee2e6; } .node.helper .stripe { fill: #ced4da; }
.node.helper .value { font-size: 13px; font-weight: 600; fill: var(--muted); }
.node.kept .box { fill: #f8f9fa; stroke: #ced4da; stroke-dasharray: 2 2; }
.node.kept text { fill: #868e96; } .node.kept .spark { stroke: #ced4da; }
.node.on-path .box { stroke: #1c7ed6; stroke-width: 2; }
.node:focus { outline: none; }
.node:focus .box, .node.selected .box { stroke: #1c7ed6; stroke-width: 3.5; }
.spark { fill: none; stroke: #495057; stroke-width: 1.3; stroke-linejoin: round; }
.spark-dot { fill: #495057; }
.band { fill: #ffec99; opacity: .55; }
.target-line { stroke: var(--good); stroke-dasharray: 4 3; stroke-width: 1.2; }
.target-line.off { stroke: var(--bad); }
.axis { font-size: 10px; fill: var(--muted); }
.marker-anomaly { fill: #f59f00; } .marker-anomaly-text { fill: #fff; font-size: 10px; font-weight: 700; }
.marker-target { fill: #fff; stroke-width: 2.2; } .marker-target.on { stroke: var(--good); }
.marker-target.off { stroke: var(--bad); }
.edge { fill: none; stroke-linecap: round; opacity: .8; }
.edge.pos { stroke: var(--pos); } .edge.neg { stroke: var(--bad); }
.edge.context { stroke: #adb5bd; stroke-dasharray: 4 3; }
.edge-label { font-size: 10.5px; fill: #1864ab; font-weight: 600; paint-order: stroke; stroke: var(--bg);
  stroke-width: 3px; stroke-linejoin: round; }
.edge-label.neg { fill: var(--bad); }
.notice { margin: 0; padding: 4px 16px; background: #fff3bf; color: #5c3c00; font-size: 12.5px; }
@media (max-width: 1100px) { .cards { grid-template-columns: 1fr; } #side { width: 380px; } }
"""

_JS = r"""
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('metric-tree-data').textContent);
  var svg = document.getElementById('tree');
  var SVG_NS = svg.namespaceURI;
  var wrap = document.getElementById('tree-wrap');
  var panel = document.getElementById('panel');
  var overview = document.getElementById('overview');
  var MOVED = parseFloat(document.getElementById('app').getAttribute('data-moved'));
  var withValues = !!data.has_values;
  var BOX_W = 200, BOX_H = withValues ? 62 : 40, GAP_X = 44, GAP_Y = 10, PAD = 14;
  var SPARK = {x: 136, y: 25, w: 56, h: 28};
  var LABEL_PX = 12.5, LABEL_MIN_PX = 9;
  var PERCENT = /(_rate|_ratio|_share|_growth|_ctr|_retention)$/;

  var byName = {}, order = {}, kids = {}, parentOf = {}, weightOf = {};
  data.nodes.forEach(function (n, i) { byName[n.name] = n; order[n.name] = i; });
  data.edges.forEach(function (e) {
    if (e.kind !== 'parent' || !byName[e.source] || !byName[e.target]) { return; }
    (kids[e.source] = kids[e.source] || []).push(e.target);
    parentOf[e.target] = e.source;
    weightOf[e.target] = isNum(e.weight) ? e.weight : null;
  });
  Object.keys(kids).forEach(function (name) { kids[name].sort(byDriver); });

  var state = {stakeholder: '', tier: '', show: '', q: '', ancestors: true, metric: '', grain: '', period: ''};

  // ---- the period picker: every complete period of every grain, measured by the export --------------
  var periodsEl = document.getElementById('metric-tree-periods');
  var PERIODS = periodsEl ? JSON.parse(periodsEl.textContent) : null;
  var applied = '';
  function periodList(grain) {
    return PERIODS && PERIODS.grains[grain] ? PERIODS.grains[grain].periods : [];
  }
  function findPeriod(grain, key) {
    return periodList(grain).filter(function (p) { return p.key === key; })[0] || null;
  }
  function chosenPeriod() {
    if (!PERIODS) { return null; }
    var grain = periodList(state.grain).length ? state.grain : PERIODS.default_grain;
    var list = periodList(grain);
    if (!list.length) { return null; }
    var fallback = grain === PERIODS.default_grain ? findPeriod(grain, PERIODS.default_key) : null;
    return {grain: grain, period: findPeriod(grain, state.period) || fallback || list[list.length - 1]};
  }
  // a node's sparkline: the grain's values over the window of periods up to this one (snapshot.py's series)
  function seriesOf(grain, name, key) {
    var all = PERIODS.grains[grain].series, end = all.starts.indexOf(key), first = end - data.anomaly_rule.window;
    var values = all.values[name] || [];
    var points = [];
    for (var i = first; i <= end; i++) {
      var value = i >= 0 && values[i] !== undefined ? values[i] : null;
      points.push({start: i >= 0 ? all.starts[i] : '', value: value});
    }
    return points;
  }
  function applyPeriod(grain, p) {
    data.nodes.forEach(function (n) {
      var fields = p.nodes[n.name] || {};
      PERIODS.fields.forEach(function (k) { n[k] = fields[k] === undefined ? null : fields[k]; });
      n.series = seriesOf(grain, n.name, p.key);
    });
    Object.keys(weightOf).forEach(function (name) {
      var w = p.weights[parentOf[name] + '>' + name];
      weightOf[name] = isNum(w) ? w : null;
    });
    Object.keys(kids).forEach(function (name) { kids[name].sort(byDriver); });
    var header = document.querySelector('body > header');
    if (header) { header.outerHTML = p.header_html; }
    document.getElementById('guardrails').innerHTML = p.guardrails_html;
  }
  function syncPeriod() {
    var chosen = chosenPeriod();
    if (!chosen) { return; }
    var key = chosen.grain + '/' + chosen.period.key;
    if (applied !== key) { applyPeriod(chosen.grain, chosen.period); applied = key; }
    var grainSelect = document.getElementById('f-grain'), periodSelect = document.getElementById('f-period');
    grainSelect.value = chosen.grain;
    periodSelect.innerHTML = '';
    periodList(chosen.grain).slice().reverse().forEach(function (p) {
      var option = document.createElement('option');
      option.value = p.key;
      option.textContent = p.label + ' vs ' + p.previous_label;
      periodSelect.appendChild(option);
    });
    periodSelect.value = chosen.period.key;
    var notice = document.getElementById('period-notice');
    notice.textContent = PERIODS.notice || '';
    notice.hidden = !PERIODS.notice || !!(state.grain || state.period);
  }
  var zoom = {mode: 'fit', scale: 1};
  var size = {w: 0, h: 0};

  // ---- formatting (mirrors live_metrics.render.formatting) ----------------------------------------------
  function isNum(v) { return typeof v === 'number' && isFinite(v); }
  function group(text) {
    var parts = text.split('.');
    parts[0] = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    return parts.join('.');
  }
  function fmt(v, name) {
    if (v === null || v === undefined) { return '—'; }
    if (!isNum(v)) { return String(v); }
    if (PERCENT.test(name || '')) { return (v * 100).toFixed(2) + '%'; }
    if (/_usd$/.test(name || '')) { return '$' + group(v.toFixed(2)); }
    if (v === Math.round(v) && Math.abs(v) < 1e15) { return group(String(v)); }
    if (Math.abs(v) >= 100) { return group(v.toFixed(1)); }
    if (Math.abs(v) >= 1) { return group(v.toFixed(2)); }
    return String(Number(v.toPrecision(4)));
  }
  function fmtChange(c) { return isNum(c) ? (c >= 0 ? '+' : '') + (c * 100).toFixed(1) + '%' : '—'; }
  // a rate's change in percentage points, any other metric's relative (formatting.format_metric_change)
  function fmtMetricChange(n) {
    return PERCENT.test(n.name || '') && isNum(n.value) && isNum(n.previous) ?
      fmtSigned(n.value - n.previous, n.name) : fmtChange(n.change);
  }
  function fmtSigned(v, name) {
    if (!isNum(v)) { return '—'; }
    var sign = v < 0 ? '-' : '+';
    return PERCENT.test(name || '') ? sign + (Math.abs(v) * 100).toFixed(2) + ' pp' : sign + fmt(Math.abs(v), name);
  }
  // formatting.format_share: a share outside 0-100 % is an offsetting part, said in words
  function fmtShare(s) {
    if (!isNum(s)) { return '—'; }
    if (s > 1 + 1e-9) { return 'more than all (offsetting)'; }
    if (s < -1e-9) { return 'against (offsetting)'; }
    return (Math.min(Math.max(s, 0), 1) * 100).toFixed(1) + '%';
  }
  function edgeText(w) {
    if (w > 1 + 1e-9 || w < -1e-9) { return 'offsetting'; }
    return w < 0.095 ? fmtShare(w) : Math.round(w * 100) + '%';
  }
  function changeText(n) {
    if (n.final === false) { return 'not final yet'; }
    return n.baseline === false ? 'no baseline' : fmtMetricChange(n);
  }
  function slug(text) { return String(text).replace(/[^A-Za-z0-9_-]+/g, '-'); }

  function byDriver(a, b) {
    var wa = weightOf[a], wb = weightOf[b];
    if ((wa === null) !== (wb === null)) { return wa === null ? 1 : -1; }
    if (wa !== null && Math.abs(wb) !== Math.abs(wa)) { return Math.abs(wb) - Math.abs(wa); }
    return order[a] - order[b];
  }

  // ---- DOM helpers: text always goes in as text nodes, never as markup ----------------------------
  function fill(node, attrs, children) {
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value !== null && value !== undefined && value !== false) { node.setAttribute(key, value); }
    });
    (children || []).forEach(function add(child) {
      if (child === null || child === undefined || child === false) { return; }
      if (Array.isArray(child)) { child.forEach(add); return; }
      node.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
    });
    return node;
  }
  function s(tag, attrs, children) { return fill(document.createElementNS(SVG_NS, tag), attrs, children); }
  function h(tag, attrs, children) { return fill(document.createElement(tag), attrs, children); }
  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }

  // ---- filters -------------------------------------------------------------------------------------
  function moved(n) { return n.baseline !== false && isNum(n.change) && Math.abs(n.change) >= MOVED; }
  function flagged(n) { return !!(n.anomaly && n.anomaly.flagged); }
  function haystack(n) {
    return [n.name, n.label, n.description, n.definition, n.owner, n.stakeholder, n.tier].join(' ').toLowerCase();
  }
  function matches(n) {
    if (state.stakeholder && n.stakeholder !== state.stakeholder) { return false; }
    if (state.tier && n.tier !== state.tier) { return false; }
    if (state.show === 'moved' && !moved(n)) { return false; }
    if (state.show === 'anomalies' && !flagged(n)) { return false; }
    if (state.show === 'breached' && n.status !== 'breached') { return false; }
    return !state.q || haystack(n).indexOf(state.q.toLowerCase()) >= 0;
  }
  function visibility() {
    var shown = {}, kept = {}, count = 0;
    data.nodes.forEach(function (n) { if (matches(n)) { shown[n.name] = true; count += 1; } });
    if (state.ancestors) {
      Object.keys(shown).forEach(function (name) {
        var up = parentOf[name], guard = 0;
        while (up && !shown[up] && guard++ < data.nodes.length) { kept[up] = true; up = parentOf[up]; }
      });
    }
    return {shown: shown, kept: kept, count: count};
  }

  // ---- layout: a tidy tree, left to right --------------------------------------------------------
  // Leaves take consecutive rows and a parent sits level with its first child (its biggest driver: children
  // are sorted by |weight|), so boxes in one column never overlap and the north star stays top left.
  // Visible nodes whose parent is hidden (or absent) start their own tree below.
  function layout(visible) {
    var pos = {}, row = 0, depthMax = 0;
    function place(name, depth) {
      pos[name] = null;
      var children = (kids[name] || []).filter(function (k) { return visible[k] && !(k in pos); });
      var x = PAD + depth * (BOX_W + GAP_X);
      depthMax = Math.max(depthMax, depth);
      children.forEach(function (k) { place(k, depth + 1); });
      if (!children.length) {
        pos[name] = {x: x, y: PAD + row * (BOX_H + GAP_Y)};
        row += 1;
      } else {
        pos[name] = {x: x, y: pos[children[0]].y};
      }
    }
    var roots = data.nodes.filter(function (n) { return visible[n.name] && !visible[parentOf[n.name]]; });
    roots.sort(function (a, b) { return (a.tier === 'north_star' ? -1 : 0) - (b.tier === 'north_star' ? -1 : 0); });
    roots.concat(data.nodes).forEach(function (n) {
      if (visible[n.name] && !(n.name in pos)) { if (row) { row += 0.5; } place(n.name, 0); }
    });
    var w = 2 * PAD + (depthMax + 1) * BOX_W + depthMax * GAP_X;
    return {pos: pos, w: w, h: 2 * PAD + row * (BOX_H + GAP_Y) - GAP_Y};
  }

  // ---- drawing -------------------------------------------------------------------------------------
  function sparkPoints(series, box) {
    var values = series.map(function (p) { return p.value; }).filter(isNum).concat(box.extra || []);
    var lo = Math.min.apply(null, values), hi = Math.max.apply(null, values);
    var span = hi - lo || Math.abs(hi) || 1, step = series.length > 1 ? box.w / (series.length - 1) : 0;
    function y(v) { return box.y + box.h - (v - lo) / span * box.h; }
    var points = series.map(function (p, i) {
      return isNum(p.value) ? {x: box.x + i * step, y: y(p.value), p: p} : null;
    });
    return {points: points, y: y, lo: lo, hi: hi};
  }
  function sparkPaths(points) {
    var runs = [], run = [];
    points.forEach(function (pt) {
      if (pt) { run.push(pt.x.toFixed(1) + ',' + pt.y.toFixed(1)); } else if (run.length) { runs.push(run); run = []; }
    });
    if (run.length) { runs.push(run); }
    return runs.map(function (r) { return s('polyline', {class: 'spark', points: r.join(' ')}); });
  }
  function sparkline(n) {
    var series = n.series || [];
    if (series.filter(function (p) { return isNum(p.value); }).length < 2) { return null; }
    var sp = sparkPoints(series, SPARK), last = sp.points[sp.points.length - 1];
    return s('g', {'aria-hidden': 'true'}, [sparkPaths(sp.points),
      last ? s('circle', {class: 'spark-dot', cx: last.x, cy: last.y, r: 2.2}) : null]);
  }
  function markers(n) {
    var out = [], x = BOX_W - 12;
    if (flagged(n)) {
      out.push(s('g', {class: 'marker'}, [s('title', {}, ['anomaly: outside the normal range']),
        s('circle', {class: 'marker-anomaly', cx: x, cy: 12, r: 7}),
        s('text', {class: 'marker-anomaly-text', x: x, y: 15.5, 'text-anchor': 'middle'}, ['!'])]));
      x -= 18;
    }
    if (n.target_status) {
      var on = n.target_status === 'on track';
      out.push(s('g', {class: 'marker'}, [s('title', {}, ['target ' + fmt(n.target, n.name) + ': ' + n.target_status]),
        s('circle', {class: 'marker-target ' + (on ? 'on' : 'off'), cx: x, cy: 12, r: 5.5}),
        s('circle', {class: 'marker-target ' + (on ? 'on' : 'off'), cx: x, cy: 12, r: 1.5})]));
      x -= 18;
    }
    return {els: out, room: x + 8 - 12};
  }
  function deltaLine(n) {
    var text = changeText(n), cls = 'delta';
    if (n.error) { return s('text', {class: 'delta worse', x: 12, y: 54}, ['error']); }
    if (n.baseline === false) { cls += ' nobase'; } else if (n.trend && !n.helper) { cls += ' ' + n.trend; }
    if (n.tier === 'guardrail' && n.threshold !== null && n.threshold !== undefined) {
      var bound = n.direction === 'decrease' ? 'max ' : 'min ';
      var limit = n.threshold === 'none' ? 'tracked' : bound + fmt(n.threshold, n.name);
      return s('text', {class: cls, x: 12, y: 54}, [text, s('tspan', {class: 'sub'}, ['  · ' + limit])]);
    }
    return s('text', {class: cls, x: 12, y: 54}, [text]);
  }
  function nodeClasses(n, kept) {
    var cls = ['node', 'tier-' + slug(n.tier), 'sh-' + slug(n.stakeholder)];
    if (n.helper) { cls.push('helper'); }
    if (n.tier === 'guardrail') { cls.push('st-' + slug(n.status || 'tracked')); }
    if (kept) { cls.push('kept'); }
    if (n.name === state.metric) { cls.push('selected'); }
    return cls.join(' ');
  }
  function ariaLabel(n, kept) {
    var parts = [n.label, n.tier];
    if (withValues) { parts.push(fmt(n.value, n.name), changeText(n)); }
    if (n.status) { parts.push(n.status); }
    if (flagged(n)) { parts.push('anomaly'); }
    if (kept) { parts.push('(ancestor of a match)'); }
    return parts.join(', ');
  }
  function drawNode(n, p, kept) {
    var mark = markers(n);
    var g = s('g', {class: nodeClasses(n, kept), transform: 'translate(' + p.x + ',' + p.y + ')', tabindex: 0,
      role: 'button', 'data-metric': n.name, 'aria-label': ariaLabel(n, kept)}, [
      s('title', {}, [n.label + ' (' + n.name + ')\n' + (n.definition || n.description || '')]),
      s('rect', {class: 'box', width: BOX_W, height: BOX_H, rx: 6}),
      s('rect', {class: 'stripe', x: 1, y: 1, width: 5, height: BOX_H - 2, rx: 2}),
      s('text', {class: 'label', x: 12, y: 17, 'data-room': mark.room}, [n.label])
    ]);
    if (withValues) {
      fill(g, {}, [s('text', {class: 'value', x: 12, y: 37}, [n.final === false ? '—' : fmt(n.value, n.name)]),
        deltaLine(n), sparkline(n)]);
    } else {
      fill(g, {}, [s('text', {class: 'sub', x: 12, y: 32}, [n.name])]);
    }
    return fill(g, {}, mark.els);
  }
  function drawEdge(pos, up, name) {
    var from = pos[up], to = pos[name], w = weightOf[name];
    var x1 = from.x + BOX_W, y1 = from.y + BOX_H / 2, x2 = to.x, y2 = to.y + BOX_H / 2, mx = (x1 + x2) / 2;
    var d = 'M' + x1 + ',' + y1 + ' C' + mx + ',' + y1 + ' ' + mx + ',' + y2 + ' ' + x2 + ',' + y2;
    var cls = w === null ? 'edge context' : (w < 0 ? 'edge neg' : 'edge pos');
    var width = w === null ? 1.2 : 1.5 + 9 * Math.min(Math.abs(w), 1);
    var path = s('path', {class: cls, d: d, 'stroke-width': width.toFixed(2)});
    if (w === null) { return {path: path, label: null}; }
    var offsetting = w > 1 + 1e-9 || w < -1e-9;
    var tip = s('title', {}, [offsetting ?
      byName[name].label + (w < 0 ? ' moved against' : ' moved with, and by more than all of,') + ' the change of ' +
        byName[up].label + ': its other parts moved the other way (offsetting)' :
      byName[name].label + ': ' + fmtShare(w) + ' of the change of ' + byName[up].label]);
    var label = s('text', {class: 'edge-label' + (w < 0 ? ' neg' : ''), x: x2 - 4, y: y2 - 4 - width / 2,
      'text-anchor': 'end'}, [tip, edgeText(w)]);
    return {path: path, label: label};
  }
  // a long label gets a smaller font, never a cut: every word of it stays readable in its box
  function fitLabels() {
    Array.prototype.forEach.call(svg.querySelectorAll('.node .label'), function (t) {
      var room = parseFloat(t.getAttribute('data-room')), size = LABEL_PX;
      t.style.fontSize = '';
      while (size > LABEL_MIN_PX && t.getComputedTextLength() > room) {
        size -= 0.5;
        t.style.fontSize = size + 'px';
      }
      if (t.getComputedTextLength() > room) {
        t.setAttribute('textLength', room);
        t.setAttribute('lengthAdjust', 'spacingAndGlyphs');
      }
    });
  }
  function pathTo(name) {
    var on = {}, up = parentOf[name], guard = 0;
    while (up && guard++ < data.nodes.length) { on[up] = true; up = parentOf[up]; }
    return on;
  }
  function draw() {
    var vis = visibility(), visible = {};
    Object.keys(vis.shown).concat(Object.keys(vis.kept)).forEach(function (k) { visible[k] = true; });
    var lay = layout(visible), onPath = state.metric ? pathTo(state.metric) : {};
    clear(svg);
    var edges = s('g', {class: 'edges'}), boxes = s('g', {class: 'nodes'}), labels = s('g', {class: 'edge-labels'});
    Object.keys(lay.pos).forEach(function (name) {
      var up = parentOf[name];
      if (up && lay.pos[up]) {
        var edge = drawEdge(lay.pos, up, name);
        fill(edges, {}, [edge.path]);
        fill(labels, {}, [edge.label]);
      }
      var g = drawNode(byName[name], lay.pos[name], !!vis.kept[name]);
      if (onPath[name]) { g.classList.add('on-path'); }
      boxes.appendChild(g);
    });
    fill(svg, {viewBox: '0 0 ' + lay.w + ' ' + Math.max(lay.h, 1)}, [edges, boxes, labels]);
    size = {w: lay.w, h: Math.max(lay.h, 1)};
    fitLabels();
    applyZoom();
    document.getElementById('empty').hidden = vis.count > 0;
    var extra = Object.keys(vis.kept).length;
    document.getElementById('count').textContent = vis.count + ' of ' + data.nodes.length + ' metrics' +
      (extra ? ' (+' + extra + ' ancestors)' : '');
  }

  // ---- zoom ----------------------------------------------------------------------------------------
  function applyZoom() {
    var scale = zoom.mode === 'fit' ? Math.min(1, Math.max(0.5, (wrap.clientWidth - 4) / size.w)) : zoom.scale;
    zoom.scale = scale;
    svg.setAttribute('width', Math.round(size.w * scale));
    svg.setAttribute('height', Math.round(size.h * scale));
  }
  function setZoom(how) {
    if (how === 'fit') { zoom.mode = 'fit'; } else {
      zoom.mode = 'manual';
      zoom.scale = how === 'in' ? Math.min(2, zoom.scale * 1.2) : how === 'out' ? Math.max(0.3, zoom.scale / 1.2) : 1;
    }
    applyZoom();
    syncControls();
  }

  // ---- the detail panel ------------------------------------------------------------------------------
  function link(name) {
    var n = byName[name];
    if (!n) { return h('code', {}, [name]); }
    return h('a', {href: '#metric=' + encodeURIComponent(name), 'data-goto': name}, [n.label]);
  }
  function section(title, body) { return body ? [h('h3', {}, [title]), body] : null; }
  function kv(rows) {
    var shown = rows.filter(function (r) { return r[1] !== null && r[1] !== undefined && r[1] !== ''; });
    return h('table', {class: 'kv'}, shown.map(function (r) {
      return h('tr', {}, [h('th', {}, [r[0]]), h('td', {}, [r[1]])]);
    }));
  }
  function table(headers, numeric, rows) {
    return h('table', {class: 'parts'}, [h('thead', {}, [h('tr', {}, headers.map(function (x, i) {
      return h('th', {class: numeric[i] ? 'num' : null}, [x]);
    }))]), h('tbody', {}, rows.map(function (r) {
      return h('tr', {}, r.map(function (c, i) { return h('td', {class: numeric[i] ? 'num' : null}, [c]); }));
    }))]);
  }
  function badge(text) { return text ? h('span', {class: 'badge ' + slug(text)}, [text]) : null; }
  function bigSpark(n) {
    var series = n.series || [];
    if (series.filter(function (p) { return isNum(p.value); }).length < 2) { return null; }
    var a = n.anomaly, extra = [], W = 410, H = 130;
    if (a && isNum(a.low)) { extra.push(a.low, a.high); }
    if (isNum(n.target)) { extra.push(n.target); }
    var sp = sparkPoints(series, {x: 8, y: 10, w: W - 16, h: H - 34, extra: extra});
    var out = [];
    if (a && isNum(a.low)) {
      var top = sp.y(a.high), height = Math.max(1, sp.y(a.low) - top);
      out.push(s('rect', {class: 'band', x: 8, width: W - 16, y: top, height: height},
        [s('title', {}, ['normal range ' + fmt(a.low, n.name) + ' – ' + fmt(a.high, n.name)])]));
    }
    if (isNum(n.target)) {
      out.push(s('line', {class: 'target-line' + (n.target_status === 'off track' ? ' off' : ''), x1: 8, x2: W - 8,
        y1: sp.y(n.target), y2: sp.y(n.target)}, [s('title', {}, ['target ' + fmt(n.target, n.name)])]));
    }
    out.push(sparkPaths(sp.points));
    sp.points.forEach(function (pt) {
      if (!pt) { return; }
      var tip = s('title', {}, [pt.p.start + ': ' + fmt(pt.p.value, n.name)]);
      out.push(s('circle', {class: 'spark-dot', cx: pt.x, cy: pt.y, r: 3}, [tip]));
    });
    out.push(s('text', {class: 'axis', x: 8, y: H - 6}, [series[0].start]),
      s('text', {class: 'axis', x: W - 8, y: H - 6, 'text-anchor': 'end'}, [series[series.length - 1].start]),
      s('text', {class: 'axis', x: W / 2, y: H - 6, 'text-anchor': 'middle'},
        ['min ' + fmt(sp.lo, n.name) + ' · max ' + fmt(sp.hi, n.name)]));
    return s('svg', {class: 'bigspark', width: W, height: H, viewBox: '0 0 ' + W + ' ' + H, role: 'img',
      'aria-label': 'trend of ' + n.label}, out);
  }
  function formula(n) {
    var dec = n.decomposition;
    if (dec && dec.identity) { return h('div', {class: 'formula'}, [dec.identity]); }
    var inputs = (n.inputs || []).map(link), measures = (n.input_measures || []).join(', ');
    if (!inputs.length && !measures) { return h('div', {class: 'muted'}, [n.type + ' metric (no metric inputs)']); }
    var list = [];
    inputs.forEach(function (a, i) { list.push(i ? ', ' : '', a); });
    var measureText = measures ? (inputs.length ? '; measures ' : 'measures ') + measures : '';
    return h('div', {}, [n.type + ' of ', list, measureText]);
  }
  function partsTable(n) {
    var dec = n.decomposition;
    if (!dec || !(dec.parts || []).length) { return null; }
    var rows = dec.parts.map(function (p) {
      return [link(p.metric), fmtSigned(p.contribution, n.name), fmtShare(p.share)];
    });
    var context = (dec.context || []).length ? h('p', {class: 'muted small'}, ['Context (not in the identity): ',
      dec.context.map(function (c, i) { return [i ? ', ' : '', link(c)]; })]) : null;
    return [table(['metric', 'contribution', 'share'], [false, true, true], rows), context];
  }
  function segmentsTable(n) {
    if (!(n.segments || []).length) { return null; }
    var headers = ['dimension', 'segment', 'previous', 'value', 'contribution', 'share'];
    return table(headers, [false, false, true, true, true, true], n.segments.map(function (r) {
        return [r.dimension_label || r.dimension, r.segment, fmt(r.previous, n.name), fmt(r.value, n.name),
          fmtSigned(r.contribution, n.name), fmtShare(r.share)];
      }));
  }
  function anomalyText(n) {
    var a = n.anomaly;
    if (!a) { return withValues ? (n.helper ? 'judged on its ratio' : 'not evaluated: not enough history') : null; }
    return [badge(a.flagged ? 'flagged' : 'normal'), ' normal range ' + fmt(a.low, n.name) + ' – ' +
      fmt(a.high, n.name) + ' (mean ' + fmt(a.mean, n.name) + ' ± ' + a.sigma + 'σ over ' + a.window + ' periods)'];
  }
  function valueRows(n) {
    if (!withValues) { return []; }
    var star = data.north_star;
    var value = n.final === false ? [fmt(n.value, n.name), h('span', {class: 'muted'}, [' so far: not final yet'])] :
      fmt(n.value, n.name);
    return [['value', value], ['previous', fmt(n.previous, n.name)],
      ['change', n.baseline === false ? h('span', {class: 'muted'}, ['no baseline']) :
        h('span', {class: n.trend || ''}, [fmtMetricChange(n) + (n.trend ? ' (' + n.trend + ')' : '')])],
      ['baseline', n.baseline === false ?
        h('div', {class: 'note'}, ['No baseline: ' + (n.baseline_note || 'not enough history')]) : null],
      ['target', isNum(n.target) ? [fmt(n.target, n.name), ' ', badge(n.target_status)] : null],
      ['anomaly', anomalyText(n)],
      ['adds to ' + star, isNum(n.north_star_contribution) && n.name !== star ?
        fmtSigned(n.north_star_contribution, star) : null],
      ['error', n.error]];
  }
  function guardrailRows(n) {
    if (n.tier !== 'guardrail') { return []; }
    var limit = n.threshold === 'none' ? 'none (tracked)' : fmt(n.threshold, n.name);
    return [['threshold', limit], ['status', badge(n.status)]];
  }
  function panelBody(n) {
    var children = (kids[n.name] || []).map(function (k, i) { return [i ? ', ' : '', link(k)]; });
    var dir = n.direction === 'decrease' ? '↓ lower is better' : '↑ higher is better';
    return [
      h('div', {class: 'panel-head'}, [
        h('div', {}, [h('h2', {id: 'panel-title', tabindex: -1}, [n.label]), h('code', {}, [n.name])]),
        h('button', {type: 'button', 'data-close': '1', 'aria-label': 'close details'}, ['× close'])]),
      h('div', {class: 'chips'}, [n.stakeholder, n.tier, n.type, dir, 'owner ' + n.owner].map(function (c) {
        return h('span', {class: 'chip'}, [c]);
      })),
      h('p', {}, [n.definition || n.description]),
      n.definition && n.description && n.definition !== n.description ?
        h('p', {class: 'muted small'}, [n.description]) : null,
      bigSpark(n),
      kv(valueRows(n).concat(guardrailRows(n))),
      section('Formula', formula(n)),
      section('What moved it', partsTable(n)),
      section('Top moving segments', segmentsTable(n)),
      section('In the tree', kv([['parent', parentOf[n.name] ? link(parentOf[n.name]) : 'none (a root)'],
        ['children', children.length ? children : 'none']]))
    ];
  }
  function showPanel(focus) {
    var n = byName[state.metric];
    panel.hidden = !n;
    overview.hidden = !!n;
    clear(panel);
    if (!n) { return; }
    fill(panel, {}, panelBody(n));
    document.getElementById('side').scrollTop = 0;
    if (focus) { document.getElementById('panel-title').focus(); }
  }
  function revealSelected() {
    var g = svg.querySelector('.node.selected');
    if (!g) { return; }
    var box = g.getBoundingClientRect(), view = wrap.getBoundingClientRect();
    if (box.top < view.top || box.bottom > view.bottom) { wrap.scrollTop += box.top - view.top - view.height / 3; }
    if (box.left < view.left || box.right > view.right) { wrap.scrollLeft += box.left - view.left - 40; }
  }
  function select(name, focus) {
    state.metric = byName[name] ? name : '';
    draw();
    showPanel(focus);
    revealSelected();
    writeHash();
  }

  // ---- URL state and controls --------------------------------------------------------------------
  function readParams(params) {
    ['metric', 'stakeholder', 'tier', 'show', 'q', 'grain', 'period'].forEach(function (key) {
      if (params.has(key)) { state[key] = params.get(key); }
    });
    if (params.has('ancestors')) { state.ancestors = params.get('ancestors') !== '0'; }
  }
  function writeHash() {
    var params = new URLSearchParams();
    ['metric', 'stakeholder', 'tier', 'show', 'q', 'grain', 'period'].forEach(function (key) {
      if (state[key]) { params.set(key, state[key]); }
    });
    if (!state.ancestors) { params.set('ancestors', '0'); }
    var hash = params.toString();
    if (location.hash.slice(1) !== hash) {
      try {
        history.replaceState(null, '', hash ? '#' + hash : location.pathname + location.search);
      } catch (err) { /* some browsers refuse history changes on file: pages; the URL then just does not follow */ }
    }
  }
  function syncControls() {
    Array.prototype.forEach.call(document.querySelectorAll('[data-stakeholder]'), function (b) {
      b.classList.toggle('active', b.getAttribute('data-stakeholder') === state.stakeholder);
      b.setAttribute('aria-pressed', String(b.getAttribute('data-stakeholder') === state.stakeholder));
    });
    Array.prototype.forEach.call(document.querySelectorAll('[data-zoom]'), function (b) {
      var how = b.getAttribute('data-zoom');
      var actual = zoom.mode !== 'fit' && zoom.scale === 1;
      b.classList.toggle('active', (how === 'fit' && zoom.mode === 'fit') || (how === '1' && actual));
    });
    document.getElementById('f-tier').value = state.tier;
    document.getElementById('f-show').value = state.show;
    if (document.getElementById('f-show').value !== state.show) { state.show = ''; }
    document.getElementById('f-q').value = state.q;
    document.getElementById('f-ancestors').checked = state.ancestors;
  }
  function update() { syncControls(); draw(); writeHash(); }
  function periodChanged() { syncPeriod(); syncControls(); draw(); showPanel(false); writeHash(); }
  function on(id, event, handler) { document.getElementById(id).addEventListener(event, handler); }

  function wire() {
    Array.prototype.forEach.call(document.querySelectorAll('[data-stakeholder]'), function (b) {
      b.addEventListener('click', function () { state.stakeholder = b.getAttribute('data-stakeholder'); update(); });
    });
    Array.prototype.forEach.call(document.querySelectorAll('[data-zoom]'), function (b) {
      b.addEventListener('click', function () { setZoom(b.getAttribute('data-zoom')); });
    });
    on('f-tier', 'change', function (e) { state.tier = e.target.value; update(); });
    on('f-show', 'change', function (e) { state.show = e.target.value; update(); });
    on('f-q', 'input', function (e) { state.q = e.target.value.trim(); draw(); writeHash(); });
    on('f-ancestors', 'change', function (e) { state.ancestors = e.target.checked; update(); });
    if (PERIODS && document.getElementById('f-grain')) {
      on('f-grain', 'change', function (e) { state.grain = e.target.value; state.period = ''; periodChanged(); });
      on('f-period', 'change', function (e) {
        state.grain = document.getElementById('f-grain').value;
        state.period = e.target.value;
        periodChanged();
      });
    }
    svg.addEventListener('click', function (e) {
      var g = e.target.closest('.node');
      if (g) { select(g.getAttribute('data-metric'), false); }
    });
    svg.addEventListener('keydown', function (e) {
      var g = e.target.closest('.node');
      if (!g || (e.key !== 'Enter' && e.key !== ' ')) { return; }
      e.preventDefault();
      select(g.getAttribute('data-metric'), true);
    });
    document.addEventListener('click', function (e) {
      var a = e.target.closest('[data-goto], [data-show], [data-close]');
      if (!a) { return; }
      e.preventDefault();
      if (a.hasAttribute('data-show')) { state.show = a.getAttribute('data-show'); update(); return; }
      select(a.getAttribute('data-goto') || '', a.hasAttribute('data-goto'));
    });
    document.addEventListener('keydown', function (e) {
      if (e.key !== 'Escape' || !state.metric) { return; }
      var name = state.metric;
      select('', false);
      var g = svg.querySelector('.node[data-metric="' + CSS.escape(name) + '"]');
      if (g) { g.focus(); }
    });
    window.addEventListener('hashchange', function () {
      state = {stakeholder: '', tier: '', show: '', q: '', ancestors: true, metric: '', grain: '', period: ''};
      readParams(new URLSearchParams(location.hash.slice(1)));
      syncPeriod(); syncControls(); draw(); showPanel(false); revealSelected();
    });
    window.addEventListener('resize', function () { if (zoom.mode === 'fit') { applyZoom(); } });
  }

  readParams(new URLSearchParams(location.search.slice(1)));
  readParams(new URLSearchParams(location.hash.slice(1)));
  if (state.metric && !byName[state.metric]) { state.metric = ''; }
  wire();
  syncPeriod();
  syncControls();
  draw();
  showPanel(false);
  revealSelected();
})();
"""
