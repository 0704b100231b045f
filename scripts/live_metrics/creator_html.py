"""The creator report (`live-metrics creator --html FILE`) as one self-contained page.

Everything is inline (CSS and SVG, no script, nothing fetched), so the file opens offline and can be mailed.
Each stream gets a card with its figures and an SVG step chart of its concurrent viewers from its start to
its end. Every piece of text from the warehouse (titles may contain anything) is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from live_metrics.creator import (
    STREAM_HEADERS,
    TOP_SOURCES,
    CreatorReport,
    StreamFacts,
    format_sources,
    headline,
    printable,
    shown_sentence,
    stream_rows,
    week_rows,
)

CHART_WIDTH = 640
CHART_HEIGHT = 130
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 40, 12, 12, 24


def _e(value: object) -> str:
    """Escaped text, with control characters and bidi overrides made visible (as in the text report)."""
    return html.escape(printable("" if value is None else str(value)), quote=True)


def concurrency_svg(stream: StreamFacts) -> str:
    """The stream's concurrent viewers as a step line from its start (0 min) to its end (inline SVG)."""
    total = max(stream.minutes_live, 1e-9)
    steps = list(stream.curve) or [(0.0, 0)]
    top = max(max(level for _, level in steps), 1)
    plot_width = CHART_WIDTH - PAD_LEFT - PAD_RIGHT
    plot_height = CHART_HEIGHT - PAD_TOP - PAD_BOTTOM

    def x(minute: float) -> str:
        return f"{PAD_LEFT + min(max(minute, 0.0), total) / total * plot_width:.1f}"

    def y(level: int) -> str:
        return f"{PAD_TOP + plot_height - level / top * plot_height:.1f}"

    line = f"M{x(0)},{y(0)} V{y(steps[0][1])}"
    for minute, level in steps[1:]:
        line += f" H{x(minute)} V{y(level)}"
    line += f" H{x(total)}"
    area = f"{line} V{y(0)} Z"
    peak = stream.peak_concurrent_viewers
    label = (
        f"Concurrent viewers of stream {stream.stream_id} over its {stream.minutes_live:.0f} minutes (peak {peak:,})"
    )
    base = PAD_TOP + plot_height
    start_clock = stream.started_at.strftime("%H:%M")
    end_clock = stream.ended_at.strftime("%H:%M")
    return (
        f'<svg class="curve" viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT}" width="{CHART_WIDTH}" '
        f'height="{CHART_HEIGHT}" role="img" aria-label="{_e(label)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{_e(label)}</title>"
        f'<line class="axis" x1="{PAD_LEFT}" y1="{base}" x2="{CHART_WIDTH - PAD_RIGHT}" y2="{base}"/>'
        f'<line class="grid" x1="{PAD_LEFT}" y1="{y(top)}" x2="{CHART_WIDTH - PAD_RIGHT}" y2="{y(top)}"/>'
        f'<text class="tick" x="{PAD_LEFT - 6}" y="{base}" text-anchor="end" dy="0.32em">0</text>'
        f'<text class="tick" x="{PAD_LEFT - 6}" y="{y(top)}" text-anchor="end" dy="0.32em">{top:,}</text>'
        f'<path class="area" d="{area}"/><path class="line" d="{line}"/>'
        f'<text class="tick" x="{PAD_LEFT}" y="{CHART_HEIGHT - 6}">{_e(start_clock)} UTC</text>'
        f'<text class="tick" x="{(PAD_LEFT + CHART_WIDTH - PAD_RIGHT) / 2:.0f}" y="{CHART_HEIGHT - 6}" '
        f'text-anchor="middle">{stream.minutes_live:,.0f} min live</text>'
        f'<text class="tick" x="{CHART_WIDTH - PAD_RIGHT}" y="{CHART_HEIGHT - 6}" text-anchor="end">'
        f"{_e(end_clock)} UTC</text></svg>"
    )


def _stream_card(index: int, stream: StreamFacts, cells: Sequence[str]) -> str:
    stats = "".join(
        f'<div class="stat"><div class="v">{_e(value)}</div><div class="k">{_e(name)}</div></div>'
        for name, value in zip(STREAM_HEADERS[2:], cells[2:], strict=True)
    )
    meta = " · ".join(
        part
        for part in (
            f"#{index}",
            f"{cells[1]} UTC",
            stream.category or "",
            f"ended: {stream.end_reason}" if stream.end_reason else "",
            stream.stream_id,
        )
        if part
    )
    title = stream.title.strip() or "(untitled)"
    return (
        '<section class="stream">'
        f'<div class="meta">{_e(meta)}</div><h2>{_e(title)}</h2>'
        f'<div class="stats">{stats}</div>'
        f'<div class="sources"><b>Top {TOP_SOURCES} traffic sources</b> (share of sessions): '
        f"{_e(format_sources(stream.traffic_sources))}</div>"
        f'<div class="chart"><div class="k">Concurrent viewers</div>{concurrency_svg(stream)}</div>'
        "</section>"
    )


def _weeks(report: CreatorReport) -> str:
    weeks = report.weeks
    if weeks is None:
        return '<section class="weeks"><h2>Weeks</h2><p>No complete week in the data yet.</p></section>'
    head = "".join(f"<th>{_e(name)}</th>" for name in ("metric", "last week", "week before", "change"))
    body = "".join(
        f"<tr><td>{_e(row[0])}</td>" + "".join(f'<td class="num">{_e(cell)}</td>' for cell in row[1:]) + "</tr>"
        for row in week_rows(weeks)
    )
    note = (
        ""
        if weeks.baseline
        else f'<p class="muted">The data starts on {_e(report.first_data_day.isoformat())}, inside the week before: '
        "no baseline for the changes.</p>"
    )
    return (
        '<section class="weeks">'
        f"<h2>Last complete week {_e(weeks.week.label)} vs the week before {_e(weeks.previous.label)}</h2>"
        '<p class="muted">The streams that started in each week (UTC); changes are relative, a rate\'s in '
        "percentage points.</p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{note}</section>"
    )


def render_page(report: CreatorReport) -> str:
    title = f"Creator {report.creator_id} · live analytics"
    if report.message:
        content = f"<p>{_e(report.message)}</p>"
    else:
        cards = "".join(
            _stream_card(index, stream, cells)
            for index, (stream, cells) in enumerate(zip(report.streams, stream_rows(report.streams), strict=True), 1)
        )
        content = (
            f'<p class="muted">{_e(shown_sentence(report))}</p>'
            f'<h2 class="section">Recent streams</h2>{cards}{_weeks(report)}'
            f'<section class="retention"><h2>Retention</h2><p>{_e(report.retention.sentence())}</p></section>'
        )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head>"
        f"<body><main><h1>{_e(headline(report))}</h1>{content}</main></body></html>\n"
    )


_CSS = """
:root { --ink:#212529; --muted:#6c757d; --line:#dee2e6; --bg:#f1f3f5; --accent:#1971c2; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 20px; }
h1 { font-size: 22px; margin: 0 0 4px; overflow-wrap: anywhere; }
h2 { font-size: 16px; margin: 2px 0 10px; overflow-wrap: anywhere; }
h2.section { margin-top: 18px; }
.muted { color: var(--muted); }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px;
  margin: 0 0 14px; }
.meta { color: var(--muted); font-size: 12px; overflow-wrap: anywhere; }
.stats { display: grid; grid-template-columns: repeat(auto-fill, minmax(86px, 1fr)); gap: 8px; margin: 6px 0 10px; }
.stat { background: #f8f9fa; border-radius: 6px; padding: 6px 8px; }
.stat .v { font-size: 17px; font-weight: 600; font-variant-numeric: tabular-nums; }
.k { color: var(--muted); font-size: 12px; }
.sources { margin-bottom: 8px; overflow-wrap: anywhere; }
svg.curve { display: block; max-width: 100%; height: auto; }
svg text { font: 11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; fill: var(--muted); }
.axis { stroke: #adb5bd; stroke-width: 1; }
.grid { stroke: var(--line); stroke-dasharray: 3 3; }
.line { fill: none; stroke: var(--accent); stroke-width: 1.6; }
.area { fill: #a5d8ff; opacity: 0.45; stroke: none; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); }
th { color: var(--muted); font-weight: 600; font-size: 12px; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
"""
