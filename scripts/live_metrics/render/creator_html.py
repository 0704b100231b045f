"""The creator report (`live-metrics creator --html FILE`) as one self-contained page.

Everything is inline (CSS and SVG, no script, nothing fetched), so the file opens offline and can be mailed;
the CSS is kept as a file beside this module (``assets/creator.css``).
Each stream gets a card with its figures and an SVG step chart of its concurrent viewers from its start to
its end. Every piece of text from the warehouse (titles may contain anything) is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from importlib.resources import files

from live_metrics.creator.creator_report import (
    STREAM_HEADERS,
    TOP_SOURCES,
    TREND_HEADERS,
    CreatorReport,
    StreamFacts,
    format_sources,
    headline,
    printable,
    shown_sentence,
    stream_rows,
    supporter_rows,
    supporters_heading,
    trend_rows,
    verdict,
    week_changes,
    week_heading,
    week_rows,
)
from live_metrics.creator.creator_trends import WINDOWS, Summary

CHART_WIDTH = 640
CHART_HEIGHT = 130
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 40, 12, 12, 24


# The page's style sheet: a file of the package (render/assets/creator.css), inlined into every page.
CSS = (files("live_metrics.render") / "assets" / "creator.css").read_text(encoding="utf-8")


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


SPARK_WIDTH, SPARK_HEIGHT = 140, 28


def sparkline_svg(values: Sequence[float], label: str) -> str:
    """A small line of daily values (inline SVG), the last point marked."""
    top, bottom = max(values, default=0.0), min(values, default=0.0)
    span = (top - bottom) or 1.0
    step = SPARK_WIDTH / max(len(values) - 1, 1)
    points = [
        (index * step, SPARK_HEIGHT - 2 - (value - bottom) / span * (SPARK_HEIGHT - 4))
        for index, value in enumerate(values)
    ]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    last_x, last_y = points[-1] if points else (0.0, SPARK_HEIGHT - 2)
    return (
        f'<svg class="spark" viewBox="0 0 {SPARK_WIDTH} {SPARK_HEIGHT}" width="{SPARK_WIDTH}" height="{SPARK_HEIGHT}" '
        f'role="img" aria-label="{_e(label)}" xmlns="http://www.w3.org/2000/svg"><title>{_e(label)}</title>'
        f'<polyline points="{line}"/><circle cx="{last_x:.1f}" cy="{last_y:.1f}" r="2.2"/></svg>'
    )


def _change_cell(text: str, change: float | None) -> str:
    word = verdict(change)
    return f'<td class="num {word}">{_e(text)}</td>'


def _trends(summary: Summary) -> str:
    days = max(WINDOWS)
    head = "".join(f"<th>{_e(name)}</th>" for name in [*TREND_HEADERS, f"last {days} days, daily"])
    body = []
    for trend, row in zip(summary.trends, trend_rows(summary), strict=True):
        cells = [f"<td>{_e(row[0])}</td>"]
        for offset, window in enumerate(WINDOWS):
            value, before, change = row[1 + 3 * offset : 4 + 3 * offset]
            cells += [f'<td class="num">{_e(value)}</td>', f'<td class="num">{_e(before)}</td>']
            cells.append(_change_cell(change, trend.change(window)))
        series = trend.series[-days:]
        cells.append(f"<td>{sparkline_svg(series, f'{trend.label}, daily, last {days} days')}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        '<section class="trends">'
        f"<h2>Trends to {_e(summary.last_day.isoformat())}</h2>"
        '<p class="muted">The last 7 and 28 complete days against the 7 and 28 before; a day without a stream '
        "counts 0.</p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></section>"
    )


def _supporters(summary: Summary) -> str:
    if not summary.supporters:
        return '<section class="supporters"><h2>Top supporters</h2><p>No gift in the last 28 days.</p></section>'
    head = "".join(f"<th>{_e(name)}</th>" for name in ("#", "viewer", "diamonds", "gifts"))
    body = "".join(
        f"<tr><td>{_e(row[0])}</td><td><code>{_e(row[1])}</code></td>"
        + "".join(f'<td class="num">{_e(cell)}</td>' for cell in row[2:])
        + "</tr>"
        for row in supporter_rows(summary)
    )
    return (
        f'<section class="supporters"><h2>{_e(supporters_heading(summary))}</h2>'
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></section>"
    )


def _weeks(report: CreatorReport) -> str:
    weeks = report.weeks
    if weeks is None:
        return '<section class="weeks"><h2>Weeks</h2><p>No complete week in the data yet.</p></section>'
    head = "".join(f"<th>{_e(name)}</th>" for name in ("metric", "last week", "week before", "change"))
    body = "".join(
        f"<tr><td>{_e(row[0])}</td>"
        + "".join(f'<td class="num">{_e(cell)}</td>' for cell in row[1:3])
        + _change_cell(row[3], change)
        + "</tr>"
        for row, change in zip(week_rows(weeks), week_changes(weeks), strict=True)
    )
    note = (
        ""
        if weeks.baseline
        else f'<p class="muted">The data starts on {_e(report.first_data_day.isoformat())}, inside the week before: '
        "no baseline for the changes.</p>"
    )
    return (
        '<section class="weeks">'
        f"<h2>{_e(week_heading(weeks))}</h2>"
        '<p class="muted">Changes are relative, a rate\'s in percentage points; '
        '<span class="better">green</span> better, <span class="worse">red</span> worse.</p>'
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
        summary = report.summary
        content = (
            f'<p class="muted">{_e(shown_sentence(report))}</p>'
            f'<div class="summary">{_weeks(report)}{_trends(summary) if summary else ""}'
            f'<section class="retention"><h2>Retention</h2><p>{_e(report.retention.sentence())}</p></section>'
            f"{_supporters(summary) if summary else ''}</div>"
            f'<h2 class="section">Recent streams</h2>{cards}'
        )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>\n{CSS}</style></head>"
        f"<body><main><h1>{_e(headline(report))}</h1>{content}</main></body></html>\n"
    )
