"""The summary a creator report leads with (`live-metrics creator`): 7- and 28-day trends and top supporters.

Trends come from the creator's days (``marts.fct_creator_daily``: streams started, hours live, watch minutes
and new followers of the streams started that day) and their gifts (``marts.fct_gifts``: diamonds sent that
day net of the diamonds refunded that day), over the 56 complete days up to the data's last complete day:
the last 7 days against the 7 before, the last 28 against the 28 before, and a daily series for a sparkline.
A day without a stream counts 0. Top supporters are the viewers whose gifts brought the creator the most
diamonds net of refunds over the last 28 complete days, by id only (no personal data).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

TREND_METRICS: tuple[tuple[str, str], ...] = (
    ("streams", "streams"),
    ("hours_live", "hours live"),
    ("watch_minutes", "watch minutes"),
    ("new_followers", "new followers"),
    ("diamonds_net", "diamonds (net)"),
)
WINDOWS = (7, 28)
SERIES_DAYS = 2 * max(WINDOWS)  # enough for the last 28 days and the 28 before
TOP_SUPPORTERS = 5

DAYS_SQL = """
select
    activity_date as day,
    streams_started as streams,
    hours_live,
    watch_minutes,
    new_followers
from marts.fct_creator_daily
where creator_id = ? and activity_date between ? and ?
"""

DIAMONDS_SQL = """
select
    event_date as day,
    sum(diamonds) - sum(refunded_diamonds) as diamonds_net
from marts.fct_gifts
where creator_id = ? and event_date between ? and ?
group by event_date
"""

SUPPORTERS_SQL = """
select
    viewer_id,
    sum(diamonds) - sum(refunded_diamonds) as diamonds_net,
    count(*) filter (where gift_event_type = 'sent') as gifts
from marts.fct_gifts
where creator_id = ? and event_date between ? and ? and viewer_id is not null
group by viewer_id
having sum(diamonds) - sum(refunded_diamonds) > 0
order by diamonds_net desc, viewer_id
limit ?
"""


class RecordReader(Protocol):
    """What the summary reads through: the creator report's read-only warehouse."""

    def records(self, sql: str, parameters: Sequence[object] = ()) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class Trend:
    metric: str
    label: str
    series: tuple[float, ...]  # one value per day, oldest first, ending on the summary's last day

    def total(self, days: int, back: int = 0) -> float:
        """The sum over ``days`` days ending ``back`` days before the last day."""
        end = len(self.series) - back
        return float(sum(self.series[max(end - days, 0) : end]))

    def change(self, days: int) -> float | None:
        """The relative change of the last ``days`` days against the ``days`` before (None from nothing)."""
        previous = self.total(days, back=days)
        return (self.total(days) - previous) / previous if previous else None

    def as_dict(self) -> dict[str, Any]:
        windows = {
            f"last_{days}_days": {"value": self.total(days), "previous": self.total(days, back=days)}
            | {"change": self.change(days)}
            for days in WINDOWS
        }
        return {"metric": self.metric, "label": self.label, **windows, "daily": list(self.series)}


@dataclass(frozen=True)
class Supporter:
    viewer_id: str
    diamonds_net: int
    gifts: int

    def as_dict(self) -> dict[str, Any]:
        return {"viewer_id": self.viewer_id, "diamonds_net": self.diamonds_net, "gifts": self.gifts}


@dataclass(frozen=True)
class Summary:
    last_day: dt.date  # the data's last complete day: the trends end on it
    trends: tuple[Trend, ...]
    supporters: tuple[Supporter, ...]

    @property
    def first_day(self) -> dt.date:
        return self.last_day - dt.timedelta(days=SERIES_DAYS - 1)

    def window_start(self, days: int) -> dt.date:
        return self.last_day - dt.timedelta(days=days - 1)

    def as_dict(self) -> dict[str, Any]:
        return {
            "last_day": self.last_day.isoformat(),
            "trends": [trend.as_dict() for trend in self.trends],
            "top_supporters": {
                "from": self.window_start(max(WINDOWS)).isoformat(),
                "to": self.last_day.isoformat(),
                "viewers": [supporter.as_dict() for supporter in self.supporters],
            },
        }


def load_summary(reader: RecordReader, creator_id: str, last_complete_day: dt.date) -> Summary:
    """The creator's trends over the SERIES_DAYS days up to ``last_complete_day`` and top supporters over the
    last 28 of them."""
    first = last_complete_day - dt.timedelta(days=SERIES_DAYS - 1)
    by_day: dict[dt.date, dict[str, Any]] = {}
    for record in reader.records(DAYS_SQL, [creator_id, first, last_complete_day]):
        by_day.setdefault(record["day"], {}).update(record)
    for record in reader.records(DIAMONDS_SQL, [creator_id, first, last_complete_day]):
        by_day.setdefault(record["day"], {}).update(record)
    days = [first + dt.timedelta(days=offset) for offset in range(SERIES_DAYS)]
    trends = tuple(
        Trend(metric, label, tuple(float(by_day.get(day, {}).get(metric) or 0) for day in days))
        for metric, label in TREND_METRICS
    )
    since = last_complete_day - dt.timedelta(days=max(WINDOWS) - 1)
    supporters = tuple(
        Supporter(str(record["viewer_id"]), int(record["diamonds_net"]), int(record["gifts"]))
        for record in reader.records(SUPPORTERS_SQL, [creator_id, since, last_complete_day, TOP_SUPPORTERS])
    )
    return Summary(last_day=last_complete_day, trends=trends, supporters=supporters)
