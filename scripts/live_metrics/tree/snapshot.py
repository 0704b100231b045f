"""Metric values for the latest complete period and the period before, fetched through MetricFlow.

The data's last day is the latest ``metric_time__day`` on which the north star has a value. That day
is usually cut off (the feed stops mid-day, and sessions spill past midnight), so the latest complete
DAY is the day before it, and a week (Monday–Sunday, like DuckDB's ``date_trunc('week')``) or month is
complete when its last day is on or before the latest complete day: in other words a period counts as
complete once the data runs past its end.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from live_metrics.engine.mf_engine import QueryResult
from live_metrics.errors import NO_DATA_YET, NoDataYet, UserError
from live_metrics.render.formatting import change_points, format_value
from live_metrics.tree.anomaly import Anomaly, AnomalyRule, detect
from live_metrics.tree.tree import NO_THRESHOLD, MetricNode

GRAINS = ("day", "week", "month")

STATUS_OK = "ok"
STATUS_BREACHED = "breached"
STATUS_TRACKED = "tracked"
STATUS_NO_DATA = "no data"
ON_TRACK = "on track"
OFF_TRACK = "off track"


class MetricQuerier(Protocol):
    """What a snapshot needs from the engine (``MetricFlowSession`` provides it; tests can fake it)."""

    def query_metrics(
        self,
        metrics: Sequence[str],
        group_by: Sequence[str] = (),
        start: dt.date | None = None,
        end: dt.date | None = None,
        order_by: Sequence[str] | None = None,
    ) -> QueryResult: ...


@dataclass(frozen=True)
class Period:
    grain: str
    start: dt.date
    end: dt.date  # inclusive

    @property
    def label(self) -> str:
        if self.grain == "day":
            return f"day {self.start.isoformat()}"
        if self.grain == "month":
            return f"month {self.start.strftime('%Y-%m')}"
        return f"week {self.start.isoformat()} – {self.end.isoformat()}"

    def as_dict(self) -> dict[str, str]:
        return {"grain": self.grain, "start": self.start.isoformat(), "end": self.end.isoformat(), "label": self.label}


def period_containing(day: dt.date, grain: str) -> Period:
    if grain == "day":
        return Period(grain, day, day)
    if grain == "week":
        start = day - dt.timedelta(days=day.weekday())
        return Period(grain, start, start + dt.timedelta(days=6))
    if grain == "month":
        last = calendar.monthrange(day.year, day.month)[1]
        return Period(grain, day.replace(day=1), day.replace(day=last))
    raise ValueError(f"unknown grain {grain!r}")


def last_complete_day(last_data_day: dt.date) -> dt.date:
    """The latest day fully covered by data ending on ``last_data_day`` (which may be cut off)."""
    return last_data_day - dt.timedelta(days=1)


def latest_complete_period(complete_day: dt.date, grain: str) -> Period:
    """The latest period of ``grain`` whose last day is on or before ``complete_day``."""
    period = period_containing(complete_day, grain)
    if period.end <= complete_day:
        return period
    return previous_period(period)


def previous_period(period: Period) -> Period:
    return period_containing(period.start - dt.timedelta(days=1), period.grain)


def periods_ending_with(period: Period, count: int) -> list[Period]:
    """``count`` consecutive periods of ``period``'s grain, oldest first, the last being ``period``."""
    periods = [period]
    while len(periods) < count:
        periods.insert(0, previous_period(periods[0]))
    return periods


def first_final_start(node: MetricNode, first_day: dt.date | None) -> dt.date | None:
    """The earliest start of a period whose value of ``node`` has the history it needs, the data starting on
    ``first_day`` (None: it needs none, or the first day is unknown).

    ``needs_history`` in the metric's meta is a number of days before the period (a first-ever count, an
    offset window): the period starts that many days after the data's first day or later; or ``month``
    (month to date: the value needs the data from the first of the period's month): the period starts on
    or after the first full month of data (the first day itself when it is a 1st). The rule is the same
    at every grain (day, week, month), on the period's first day."""
    needs = node.needs_history
    if first_day is None:
        return None
    if isinstance(needs, int) and needs > 0:
        return first_day + dt.timedelta(days=needs)
    if needs == "month":
        if first_day.day == 1:
            return first_day
        return (first_day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return None


def last_final_end(node: MetricNode, last_day: dt.date | None) -> dt.date | None:
    """The latest last day (inclusive) of a period whose value of ``node`` has the days after it needs, the
    data ending on ``last_day`` (None: it needs none, or the last day is unknown).

    ``needs_future`` N days (retention): each day of the period needs its N following days in the data, so
    the period ends N days before the data's last day or earlier."""
    days = node.needs_future
    if not isinstance(days, int) or last_day is None:
        return None
    return last_day - dt.timedelta(days=days)


def has_history(node: MetricNode, period: Period, first_day: dt.date | None) -> bool:
    """Whether the data reaches back far enough for ``node``'s value in ``period`` (meta ``needs_history``)."""
    start = first_final_start(node, first_day)
    return start is None or period.start >= start


def has_future(node: MetricNode, period: Period, last_day: dt.date | None) -> bool:
    """Whether the data reaches far enough past ``period`` for ``node``'s value (meta ``needs_future``: the
    days after each day a retention metric looks at). Without them the value covers only part of the
    period's days, so it is no baseline for a change."""
    end = last_final_end(node, last_day)
    return end is None or period.end <= end


def has_baseline(node: MetricNode, period: Period, first_day: dt.date | None, last_day: dt.date | None = None) -> bool:
    """Whether the data holds what ``node``'s value in ``period`` needs, before and after, to mean what it says."""
    return has_history(node, period, first_day) and has_future(node, period, last_day)


def baseline_note(
    node: MetricNode, first_day: dt.date | None, period: Period | None = None, last_day: dt.date | None = None
) -> str:
    if period is not None and not has_future(node, period, last_day):
        until = f"; the data ends {last_day.isoformat()}" if last_day else ""
        return f"no baseline: needs the {node.needs_future} days after each day of the period{until}"
    needs = node.needs_history
    what = "the month to date" if needs == "month" else f"{needs} days of history before the period"
    since = f"; the data starts {first_day.isoformat()}" if first_day else ""
    return f"no baseline: needs {what}{since}"


def target_status(node: MetricNode, value: float | int | None) -> str | None:
    """on track / off track against the metric's meta ``target``, in its direction; None without one."""
    if node.target is None or value is None:
        return None
    good = value >= node.target if node.direction != "decrease" else value <= node.target
    return ON_TRACK if good else OFF_TRACK


def as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def as_number(value: Any) -> float | int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, (float, Decimal)):
        number = float(value)
        return number if math.isfinite(number) else None
    return None


def data_span(querier: MetricQuerier, north_star: str) -> tuple[dt.date, dt.date]:
    """The first and the latest day on which the north star has a (non-zero) value, from MetricFlow."""
    result = querier.query_metrics([north_star], group_by=["metric_time__day"])
    days = [
        day
        for record in result.records()
        if (day := as_date(record.get("metric_time__day"))) is not None and as_number(record.get(north_star))
    ]
    if not days:
        raise NoDataYet(f"{NO_DATA_YET} (the north star {north_star} has no value on any day)")
    return min(days), max(days)


def last_data_day(querier: MetricQuerier, north_star: str) -> dt.date:
    """The latest day on which the north star has a (non-zero) value, from MetricFlow."""
    return data_span(querier, north_star)[1]


def guardrail_status(node: MetricNode, value: float | int | None) -> str | None:
    """ok / breached / tracked / no data for a guardrail; None for other tiers."""
    if not node.is_guardrail:
        return None
    if node.threshold == NO_THRESHOLD or not isinstance(node.threshold, float):
        return STATUS_TRACKED
    if value is None:
        return STATUS_NO_DATA
    if node.direction == "increase":
        return STATUS_BREACHED if value < node.threshold else STATUS_OK
    return STATUS_BREACHED if value > node.threshold else STATUS_OK


def relative_change(value: float | int | None, previous: float | int | None) -> float | None:
    if value is None or previous is None or previous == 0:
        return None
    return (value - previous) / abs(previous)


def trend(direction: str | None, value: float | int | None, previous: float | int | None) -> str | None:
    """better / worse / flat in the metric's own direction; None when either value is missing."""
    if value is None or previous is None:
        return None
    if math.isclose(value, previous, rel_tol=1e-9, abs_tol=1e-12):
        return "flat"
    went_up = value > previous
    return "better" if went_up == (direction != "decrease") else "worse"


@dataclass(frozen=True)
class MetricValue:
    name: str
    value: float | int | None
    previous: float | int | None
    change: float | None
    trend: str | None
    status: str | None
    error: str | None = None
    baseline: bool = True
    baseline_note: str | None = None
    target_status: str | None = None
    anomaly: Anomaly | None = None
    series: tuple[tuple[dt.date, float | int | None], ...] = ()
    final: bool = True  # the period's value has the history and the days after it that it needs

    @property
    def is_anomaly(self) -> bool:
        return self.anomaly is not None and self.anomaly.flagged

    @property
    def change_points(self) -> float | None:
        """For a rate (a percent-formatted metric): value − previous in percentage points; else None."""
        return change_points(self.name, self.value, self.previous) if self.baseline else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "previous": self.previous,
            "change": self.change,
            "change_points": self.change_points,
            "trend": self.trend,
            "status": self.status,
            "error": self.error,
            "baseline": self.baseline,
            "baseline_note": self.baseline_note,
            "final": self.final,
            "target_status": self.target_status,
            "anomaly": self.anomaly.as_dict() if self.anomaly else None,
            "series": [{"start": day.isoformat(), "value": value} for day, value in self.series],
        }


@dataclass(frozen=True)
class Snapshot:
    period: Period
    previous: Period
    last_data_day: dt.date
    values: Mapping[str, MetricValue] = field(default_factory=dict)
    first_data_day: dt.date | None = None
    rule: AnomalyRule = field(default_factory=AnomalyRule)

    @property
    def last_complete_day(self) -> dt.date:
        return last_complete_day(self.last_data_day)

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.as_dict(),
            "previous_period": self.previous.as_dict(),
            "last_data_day": self.last_data_day.isoformat(),
            "last_complete_day": self.last_complete_day.isoformat(),
            "first_data_day": self.first_data_day.isoformat() if self.first_data_day else None,
            "anomaly_rule": self.rule.as_dict(),
        }

    def anomalies(self) -> list[str]:
        return [name for name, value in self.values.items() if value.is_anomaly]

    def anomalies_evaluated(self) -> int:
        """How many metrics the anomaly rule could judge (enough earlier periods with a baseline)."""
        return sum(value.anomaly is not None for value in self.values.values())

    def no_anomaly_text(self) -> str:
        """What to say when nothing is flagged: ``none`` only when the rule judged some metric, otherwise
        that it could not (the first weeks of data have too few earlier periods)."""
        return "none" if self.anomalies_evaluated() else not_evaluated_text(self.rule)

    def anomaly_text(self, name: str) -> str:
        """``name value outside [low, high]`` for a flagged metric."""
        item = self.values[name]
        anomaly = item.anomaly
        assert anomaly is not None
        return (
            f"{name} {format_value(item.value, name)} outside "
            f"[{format_value(anomaly.low, name)}, {format_value(anomaly.high, name)}]"
        )


def not_evaluated_text(rule: AnomalyRule) -> str:
    """What the anomaly verdict says when no metric had the history the rule needs."""
    return f"not evaluated: needs {rule.needed} earlier periods of history"


def _values_by_period(result: QueryResult, time_column: str, metrics: Iterable[str]) -> dict[dt.date, dict[str, Any]]:
    by_day: dict[dt.date, dict[str, Any]] = {}
    wanted = list(metrics)
    for record in result.records():
        day = as_date(record.get(time_column))
        if day is not None:
            by_day[day] = {name: as_number(record.get(name)) for name in wanted if name in record}
    return by_day


def query_by_period(
    querier: MetricQuerier, names: Sequence[str], time_column: str, start: dt.date, end: dt.date
) -> tuple[dict[dt.date, dict[str, Any]], dict[str, str]]:
    """Values of ``names`` per period start in ONE MetricFlow query; if that fails (one broken metric),
    each metric is queried on its own so the others still get values and the broken one its error."""
    errors: dict[str, str] = {}
    if not names:
        return {}, errors
    try:
        result = querier.query_metrics(names, group_by=[time_column], start=start, end=end)
        return _values_by_period(result, time_column, names), errors
    except UserError as combined_error:
        if "locked by another process" in str(combined_error):
            raise
    by_period: dict[dt.date, dict[str, Any]] = {}
    for name in names:
        try:
            result = querier.query_metrics([name], group_by=[time_column], start=start, end=end)
        except UserError as error:
            errors[name] = str(error)
            continue
        for day, day_values in _values_by_period(result, time_column, [name]).items():
            by_period.setdefault(day, {}).update(day_values)
    return by_period, errors


def take_snapshot(
    querier: MetricQuerier,
    nodes: Sequence[MetricNode],
    grain: str,
    last_day: dt.date,
    first_day: dt.date | None = None,
    rule: AnomalyRule | None = None,
    period: Period | None = None,
) -> Snapshot:
    """Values of ``nodes`` for the latest complete ``grain`` period (or ``period``) and the one before, given
    the data's last day (``last_data_day``), with each metric's series over the ``rule.window`` periods
    before (for sparklines and the anomaly band), its baseline, target status and anomaly verdict.
    """
    if grain not in GRAINS:
        raise UserError(f"unknown grain '{grain}': use one of {', '.join(GRAINS)}")
    rule = rule or AnomalyRule()
    period = period or latest_complete_period(last_complete_day(last_day), grain)
    before = previous_period(period)
    periods = periods_ending_with(period, max(rule.window, 1) + 1)
    # MetricFlow renders the end constraint at day precision even on sub-day time dimensions
    # (`DATE_TRUNC('second', sent_at) BETWEEN start AND '<end day>'` drops the end day after midnight),
    # so ask for one day more and keep only the periods wanted.
    by_period, errors = query_by_period(
        querier,
        [node.name for node in nodes],
        f"metric_time__{grain}",
        periods[0].start,
        period.end + dt.timedelta(days=1),
    )
    values = {
        node.name: _metric_value(node, periods, by_period, first_day, last_day, rule, errors.get(node.name))
        for node in nodes
    }
    return Snapshot(
        period=period, previous=before, last_data_day=last_day, values=values, first_data_day=first_day, rule=rule
    )


def _metric_value(
    node: MetricNode,
    periods: Sequence[Period],
    by_period: Mapping[dt.date, Mapping[str, Any]],
    first_day: dt.date | None,
    last_day: dt.date | None,
    rule: AnomalyRule,
    error: str | None,
) -> MetricValue:
    series = tuple((p.start, by_period.get(p.start, {}).get(node.name)) for p in periods)
    value, previous = series[-1][1], series[-2][1]
    covered = [has_baseline(node, p, first_day, last_day) for p in periods]
    baseline = covered[-1] and covered[-2]
    uncovered = periods[-1] if not covered[-1] else periods[-2]
    history = [v if ok else None for ok, (_, v) in zip(covered[:-1], series[:-1], strict=True)]
    # a helper (a ratio's numerator or denominator) is context: its ratio is what the rule judges
    anomaly = detect(history, value, rule) if covered[-1] and not node.helper else None
    return MetricValue(
        name=node.name,
        value=value,
        previous=previous,
        change=relative_change(value, previous) if baseline else None,
        trend=trend(node.direction, value, previous) if baseline else None,
        status=guardrail_status(node, value),
        error=error,
        baseline=baseline,
        baseline_note=None if baseline else baseline_note(node, first_day, uncovered, last_day),
        target_status=target_status(node, value),
        anomaly=anomaly,
        series=series,
        final=covered[-1],
    )
