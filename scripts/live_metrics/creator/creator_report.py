"""One creator's report (``live-metrics creator``): what it holds, and the rows and sentences that both its
text (``creator``) and its page (``creator_html``) are drawn from, so the two say the same thing.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from live_metrics.creator.creator_trends import WINDOWS, Summary
from live_metrics.render.formatting import change_points, format_metric_change, format_value, is_number

TOP_SOURCES = 3
TITLE_WIDTH = 48  # the text table cuts longer titles (the JSON and the page keep them whole)
NOT_AVAILABLE = "retention: not available in this warehouse"


# ---------------------------------------------------------------------------------------------------
# What the report holds


@dataclass(frozen=True)
class TrafficShare:
    source: str
    sessions: int
    share: float

    def as_dict(self) -> dict[str, Any]:
        return {"traffic_source": self.source, "sessions": self.sessions, "share": self.share}


@dataclass(frozen=True)
class StreamFacts:
    """One stream as its creator sees it."""

    stream_id: str
    title: str
    category: str | None
    started_at: dt.datetime
    ended_at: dt.datetime
    end_reason: str | None
    minutes_live: float
    unique_viewers: int
    viewer_sessions: int
    peak_concurrent_viewers: int
    avg_concurrent_viewers: float
    avg_watch_minutes_per_viewer: float
    new_followers: int
    gifters: int
    diamonds_net: int
    comments: int
    replies: int
    traffic_sources: tuple[TrafficShare, ...] = ()
    # (minute since the stream started, concurrent viewers from then on), for the page's chart
    curve: tuple[tuple[float, int], ...] = field(default=(), compare=False)

    @property
    def reply_rate(self) -> float | None:
        return self.replies / self.comments if self.comments else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "stream_id": self.stream_id,
            "title": self.title,
            "category": self.category,
            "started_at": iso_moment(self.started_at),
            "ended_at": iso_moment(self.ended_at),
            "end_reason": self.end_reason,
            "minutes_live": self.minutes_live,
            "unique_viewers": self.unique_viewers,
            "viewer_sessions": self.viewer_sessions,
            "peak_concurrent_viewers": self.peak_concurrent_viewers,
            "avg_concurrent_viewers": self.avg_concurrent_viewers,
            "avg_watch_minutes_per_viewer": self.avg_watch_minutes_per_viewer,
            "new_followers": self.new_followers,
            "gifters": self.gifters,
            "diamonds_net": self.diamonds_net,
            "comments": self.comments,
            "replies": self.replies,
            "reply_rate": self.reply_rate,
            "top_traffic_sources": [share.as_dict() for share in self.traffic_sources],
        }


@dataclass(frozen=True)
class Week:
    start: dt.date
    end: dt.date  # inclusive (a Sunday)

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()} – {self.end.isoformat()}"

    def as_dict(self) -> dict[str, Any]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "label": self.label}


# (key, label): the week comparison's rows; a key ending in _rate reads as a percent, its change in points
WEEK_METRICS = (
    ("streams", "streams"),
    ("hours_live", "hours live"),
    ("watch_minutes", "watch minutes"),
    ("unique_viewers", "unique viewers"),
    ("new_followers", "new followers"),
    ("diamonds_net", "diamonds (net of refunds)"),
    ("reply_rate", "reply rate"),
)


@dataclass(frozen=True)
class WeekComparison:
    week: Week
    previous: Week
    baseline: bool  # False when the week before starts before the data does (its values are partial)
    values: dict[str, float | int | None]
    previous_values: dict[str, float | int | None]

    def rows(self) -> list[dict[str, Any]]:
        rows = []
        for key, label in WEEK_METRICS:
            value, previous = self.values.get(key), self.previous_values.get(key)
            rows.append(
                {
                    "metric": key,
                    "label": label,
                    "value": value,
                    "previous": previous,
                    "change": _relative_change(value, previous) if self.baseline else None,
                    "change_points": change_points(key, value, previous) if self.baseline else None,
                }
            )
        return rows

    def as_dict(self) -> dict[str, Any]:
        return {
            "week": self.week.as_dict(),
            "previous_week": self.previous.as_dict(),
            "baseline": self.baseline,
            "metrics": self.rows(),
        }


@dataclass(frozen=True)
class Retention:
    available: bool
    eligible_days: int = 0
    retained_days: int = 0

    @property
    def rate(self) -> float | None:
        return self.retained_days / self.eligible_days if self.available and self.eligible_days else None

    def as_dict(self) -> dict[str, Any]:
        if not self.available:
            return {"available": False}
        return {
            "available": True,
            "eligible_days": self.eligible_days,
            "retained_days": self.retained_days,
            "rate": self.rate,
        }

    def sentence(self) -> str:
        if not self.available:
            return NOT_AVAILABLE
        if not self.eligible_days:
            return "retention: no eligible day yet (a day is eligible once the data covers the 7 days after it)"
        return (
            f"retention: {format_value(self.rate, 'retention_rate')} 7-day streaming retention "
            f"({self.retained_days} of {self.eligible_days} eligible streaming days were followed by another "
            f"stream on one of the 7 following days)"
        )


@dataclass(frozen=True)
class CreatorReport:
    creator_id: str
    profile: dict[str, Any]
    first_data_day: dt.date
    last_data_day: dt.date
    streams_in_data: int
    streams: list[StreamFacts]
    weeks: WeekComparison | None
    retention: Retention
    summary: Summary | None = None  # trends and top supporters (None when the creator has no stream)

    @property
    def message(self) -> str | None:
        """The one line that replaces the report when the creator has no stream in the data."""
        if self.streams_in_data:
            return None
        return f"creator {self.creator_id} has no stream in the data (through {self.last_data_day.isoformat()})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "creator_id": self.creator_id,
            "creator": self.profile,
            "data_first_day": self.first_data_day.isoformat(),
            "data_last_day": self.last_data_day.isoformat(),
            "streams_in_data": self.streams_in_data,
            "streams_shown": len(self.streams),
            "streams": [stream.as_dict() for stream in self.streams],
            "weeks": self.weeks.as_dict() if self.weeks and not self.message else None,
            "retention": self.retention.as_dict(),
            "summary": self.summary.as_dict() if self.summary and not self.message else None,
            "message": self.message,
        }


def _relative_change(value: object, previous: object) -> float | None:
    if not is_number(value) or not is_number(previous) or float(previous) == 0:  # type: ignore[arg-type]
        return None
    return (float(value) - float(previous)) / abs(float(previous))  # type: ignore[arg-type]


def iso_moment(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat() + "Z"  # the warehouse's timestamps are UTC


# ---------------------------------------------------------------------------------------------------
# Text

_BIDI_CONTROLS = {chr(code) for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}


def printable(text: str) -> str:
    """Text safe for a terminal: control characters (escape sequences) and bidi overrides become �."""
    return "".join(
        " " if char in "\t\n\r" else "\ufffd" if unicodedata.category(char) == "Cc" or char in _BIDI_CONTROLS else char
        for char in text
    )


def short_title(text: str, width: int = TITLE_WIDTH) -> str:
    text = " ".join(printable(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _count(value: int) -> str:
    return f"{value:,}"


def _decimal(value: float) -> str:
    return f"{value:,.1f}"


def format_sources(sources: Sequence[TrafficShare]) -> str:
    return ", ".join(f"{share.source} {share.share * 100:.0f}%" for share in sources) or "no sessions"


def stream_rows(streams: Sequence[StreamFacts]) -> list[list[str]]:
    return [
        [
            str(index),
            s.started_at.strftime("%Y-%m-%d %H:%M"),
            _decimal(s.minutes_live),
            _count(s.unique_viewers),
            _count(s.peak_concurrent_viewers),
            _decimal(s.avg_concurrent_viewers),
            _decimal(s.avg_watch_minutes_per_viewer),
            _count(s.new_followers),
            _count(s.gifters),
            _count(s.diamonds_net),
            _count(s.comments),
            _count(s.replies),
            format_value(s.reply_rate, "reply_rate"),
        ]
        for index, s in enumerate(streams, start=1)
    ]


STREAM_HEADERS = (
    "#",
    "start (UTC)",
    "minutes live",
    "viewers",
    "peak",
    "avg concurrent",
    "watch min/viewer",
    "new followers",
    "gifters",
    "diamonds net",
    "comments",
    "replies",
    "reply rate",
)


def week_rows(weeks: WeekComparison) -> list[list[str]]:
    return [
        [
            row["label"],
            format_value(row["value"], row["metric"]),
            format_value(row["previous"], row["metric"]),
            format_metric_change(row["metric"], row["value"], row["previous"], row["change"], weeks.baseline),
        ]
        for row in weeks.rows()
    ]


def headline(report: CreatorReport) -> str:
    profile = report.profile
    parts = [f"Creator {printable(report.creator_id)}"]
    if profile.get("country"):
        parts.append(printable(str(profile["country"])))
    if profile.get("primary_category"):
        parts.append(f"mostly {printable(str(profile['primary_category']))}")
    first = profile.get("first_stream_at")
    if first:
        parts.append(f"first stream {str(first)[:10]}")
    return " · ".join(parts)


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def shown_sentence(report: CreatorReport) -> str:
    return (
        f"{plural(report.streams_in_data, 'stream')} in the data ({report.first_data_day.isoformat()} to "
        f"{report.last_data_day.isoformat()}; the last day is partial); "
        + ("the most recent below" if len(report.streams) == 1 else f"the {len(report.streams)} most recent below")
        + ", times in UTC"
    )


def verdict(change: float | None) -> str:
    """better / worse / flat for a change of a metric where higher is better (every creator figure here)."""
    if change is None:
        return ""
    if abs(change) < 1e-12:
        return "flat"
    return "better" if change > 0 else "worse"


def week_heading(weeks: WeekComparison) -> str:
    return (
        f"Last complete week {weeks.week.label} vs the week before {weeks.previous.label} "
        "(the streams that started in each week)"
    )


def trend_rows(summary: Summary) -> list[list[str]]:
    """metric, then per window: the last N days, the N before and the change."""
    rows = []
    for trend in summary.trends:
        row = [trend.label]
        for days in WINDOWS:
            row += [
                format_value(trend.total(days), trend.metric),
                format_value(trend.total(days, back=days), trend.metric),
                format_metric_change(trend.metric, None, None, trend.change(days)),
            ]
        rows.append(row)
    return rows


TREND_HEADERS = ["metric"] + [f"{part} {days} days" for days in WINDOWS for part in ("last", "before", "change")]


def supporter_rows(summary: Summary) -> list[list[str]]:
    return [
        [str(rank), printable(s.viewer_id), f"{s.diamonds_net:,}", str(s.gifts)]
        for rank, s in enumerate(summary.supporters, start=1)
    ]


def supporters_heading(summary: Summary) -> str:
    return (
        f"Top {len(summary.supporters)} supporters, {summary.window_start(max(WINDOWS)).isoformat()} to "
        f"{summary.last_day.isoformat()} (diamonds net of refunds; viewer ids only)"
    )


def week_changes(weeks: WeekComparison) -> list[float | None]:
    """Each week row's change as a number for its verdict: in points for a rate, relative otherwise."""
    return [row["change_points"] if row["change_points"] is not None else row["change"] for row in weeks.rows()]
