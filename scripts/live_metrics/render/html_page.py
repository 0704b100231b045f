"""The metric tree as one self-contained HTML page a product manager can keep open.

Python renders what does not change while reading (the header, "why it moved", the guardrails table and the
controls); the inline script draws the tree as SVG from the embedded document, lays it out again whenever a
filter hides metrics, and fills the detail panel. Nothing is fetched: CSS, JS and SVG are inline (the CSS and
the script are kept as files beside this module: ``assets/tree.css``, ``assets/tree.js``).

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
from importlib.resources import files
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
# The page's style sheet and script: files of the package (render/assets/), inlined into every page.
ASSETS = files("live_metrics.render") / "assets"
CSS = (ASSETS / "tree.css").read_text(encoding="utf-8")
JS = (ASSETS / "tree.js").read_text(encoding="utf-8")
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
<style>
{CSS}</style>
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
{extra}<script>
{JS}</script>"""


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
