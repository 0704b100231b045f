"""`live-metrics creator CREATOR_ID`: one creator's own view, like a creator-analytics page.

Read straight from the marts of the DuckDB warehouse (read-only; no MetricFlow, no manifest):

- the creator's most recent streams (``--streams N``), each with its start, minutes live, unique viewers,
  peak and average concurrent viewers, watch minutes per viewer, new followers, gifters, diamonds net of
  refunds (``fct_gifts``: diamonds minus refunded diamonds of the stream's gifts), comments, replies and
  reply rate, and the top traffic sources (share of the stream's sessions, ``fct_viewer_sessions``);
- the last complete week (Monday to Sunday, UTC) against the week before: the streams that started in
  each week, summed (distinct viewers for unique viewers); a week is complete when it ends before the
  data's last day (the last day of ``metricflow_time_spine``, a partial day);
- the 7-day streaming retention: the share of the creator's eligible days (``fct_creator_daily``,
  ``is_d7_retention_eligible``) on which they streamed again on one of the 7 following days
  (``streamed_again_within_7d``), or "not available" in a warehouse built before those columns existed.

``--json`` prints the same as JSON; ``--html FILE`` writes it as one self-contained page, with each stream's
concurrent viewers over its minutes (``creator_html``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import decimal
import difflib
import json
import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from live_metrics.creator.creator_report import (
    STREAM_HEADERS,
    TOP_SOURCES,
    TREND_HEADERS,
    WEEK_METRICS,
    CreatorReport,
    Retention,
    StreamFacts,
    TrafficShare,
    Week,
    WeekComparison,
    format_sources,
    headline,
    iso_moment,
    printable,
    short_title,
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
from live_metrics.creator.creator_trends import load_summary
from live_metrics.engine.mf_engine import MISSING_WAREHOUSE_HINT, ensure_warehouse_usable, is_lock_message, lock_error
from live_metrics.engine.profile import duckdb_path_from_profile, profiles_dir_for
from live_metrics.errors import NO_DATA_YET, NoDataYet, UserError
from live_metrics.options import default_project_dir, whole_number_at_least
from live_metrics.render.creator_html import render_page
from live_metrics.render.table import format_table

DEFAULT_STREAMS = 10
CLOSE_MATCHES = 5
RETENTION_COLUMNS = ("is_d7_retention_eligible", "streamed_again_within_7d")

DESCRIPTION = """\
Print one creator's summary and recent streams the way a creator-analytics page does (TikTok LIVE
Analytics, Twitch stream summary), read directly from the warehouse's marts. The summary comes first:

  weeks           the last complete week (Monday to Sunday, UTC) against the week before: the streams
                  that started in each week (streams, hours live, watch minutes, unique viewers, new
                  followers, diamonds net, reply rate), with the change (relative, or in percentage
                  points for a rate) and whether it is better or worse; a week is complete when it ends
                  before the data's last day
  trends          streams, hours live, watch minutes, new followers and diamonds net over the last 7 and
                  28 complete days against the 7 and 28 before, and the daily values of the last 28
  retention       the share of the creator's eligible days on which they streamed again on one of the 7
                  following days
  top supporters  the 5 viewers (ids only) whose gifts brought the most diamonds net of refunds over the
                  last 28 complete days

then the streams:

  per stream      start (UTC), minutes live, unique viewers, peak and average concurrent viewers,
                  watch minutes per viewer, new followers, gifters, diamonds net of refunds, comments,
                  replies (answered comments) and reply rate, and the top 3 traffic sources (share of
                  the stream's sessions); most recent first (--streams N)

--json prints the same as JSON; --html FILE writes a self-contained page that adds sparklines of the
trends, good/bad colours on the changes and, per stream, a chart of concurrent viewers over the stream's
minutes. The warehouse is opened read-only."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "creator",
        help="one creator's recent streams, last complete week vs the week before, and retention",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("creator_id", metavar="CREATOR_ID", help="the creator's user id (marts.dim_creators)")
    parser.add_argument(
        "--streams",
        type=whole_number_at_least(1),
        default=DEFAULT_STREAMS,
        metavar="N",
        help=f"show the N most recent streams (default {DEFAULT_STREAMS})",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--html", type=Path, default=None, metavar="FILE", help="write the report as a self-contained HTML page"
    )
    group = parser.add_argument_group("warehouse")
    group.add_argument(
        "--duckdb",
        type=Path,
        default=None,
        metavar="PATH",
        help="the DuckDB warehouse; default: the dbt profile's file ($LIVE_DUCKDB_PATH, else "
        "warehouse/live.duckdb in the project)",
    )
    group.add_argument(
        "--project-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="the dbt project whose profile names the warehouse; default: $DBT_PROJECT_DIR or this repo's root",
    )
    parser.set_defaults(func=run)


# ---------------------------------------------------------------------------------------------------
# The command


def run(args: argparse.Namespace) -> int:
    path = warehouse_path(args)
    report = load_report(path, args.creator_id.strip(), args.streams, with_curves=args.html is not None)
    if args.html is not None:
        write_page(args.html, render_page(report))
    if args.json:
        print(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    elif args.html is not None:
        print(f"wrote {args.html} (creator {report.creator_id}, {len(report.streams)} streams)")
    else:
        print(render_text(report))
    return 0


def warehouse_path(args: argparse.Namespace) -> Path:
    """--duckdb, else the file the dbt profile names (LIVE_DUCKDB_PATH, default warehouse/live.duckdb)."""
    if args.duckdb is not None:
        return args.duckdb.resolve()
    project_dir = (args.project_dir or default_project_dir()).resolve()
    if not project_dir.is_dir():
        raise UserError(f"project dir {project_dir} does not exist")
    path = duckdb_path_from_profile(project_dir, profiles_dir_for(project_dir))
    if path is None:
        raise UserError("the dbt profile does not point at a DuckDB file: pass --duckdb PATH")
    return path


def write_page(path: Path, page: str) -> None:
    target = path.resolve()
    if target.is_dir():
        raise UserError(f"--html {path} is a directory: give a file name")
    if not target.parent.is_dir():
        raise UserError(f"cannot write {path}: folder {target.parent} does not exist")
    temporary = target.with_name(f".{target.name}.writing")
    try:
        temporary.write_text(page, encoding="utf-8")
        os.replace(temporary, target)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise UserError(f"cannot write {path}: {error.strerror or error}") from error


# ---------------------------------------------------------------------------------------------------
# Reading the warehouse


class Warehouse:
    """A read-only DuckDB connection whose failures are one-line ``UserError``s."""

    def __init__(self, path: Path) -> None:
        import duckdb

        ensure_warehouse_usable(path)  # missing or locked: its one-line error
        self.path = path
        try:
            self.connection = duckdb.connect(str(path), read_only=True)
        except duckdb.Error as error:
            if is_lock_message(str(error)):
                raise lock_error(path, str(error)) from error
            raise UserError(f"cannot open DuckDB warehouse {path}: {_first_line(error)}") from error

    def close(self) -> None:
        self.connection.close()

    def rows(self, sql: str, parameters: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        return self._run(sql, parameters)[1]

    def records(self, sql: str, parameters: Sequence[object] = ()) -> list[dict[str, Any]]:
        names, rows = self._run(sql, parameters)
        return [dict(zip(names, row, strict=True)) for row in rows]

    def _run(self, sql: str, parameters: Sequence[object]) -> tuple[list[str], list[tuple[Any, ...]]]:
        import duckdb

        try:
            cursor = self.connection.execute(sql, list(parameters))
            names = [column[0] for column in cursor.description or []]
            return names, cursor.fetchall()
        except duckdb.CatalogException as error:
            raise UserError(
                f"DuckDB warehouse {self.path} lacks a mart this command reads ({_first_line(error)}): "
                f"{MISSING_WAREHOUSE_HINT}"
            ) from error
        except duckdb.Error as error:
            raise UserError(f"warehouse query failed on {self.path}: {_first_line(error)}") from error


def _first_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def _number(value: Any) -> Any:
    """DuckDB's DECIMAL and HUGEINT arrive as Decimal and int: plain numbers for JSON."""
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value


def load_report(path: Path, creator_id: str, stream_count: int, with_curves: bool = False) -> CreatorReport:
    warehouse = Warehouse(path)
    try:
        return _load(warehouse, creator_id, stream_count, with_curves)
    finally:
        warehouse.close()


def _load(warehouse: Warehouse, creator_id: str, stream_count: int, with_curves: bool) -> CreatorReport:
    first_day, last_stream_day, all_streams = warehouse.rows(
        "select min(started_date), max(started_date), count(*) from marts.fct_live_streams"
    )[0]
    if not all_streams:
        raise NoDataYet(f"{NO_DATA_YET} (marts.fct_live_streams is empty)")
    last_day = warehouse.rows("select max(date_day) from marts.metricflow_time_spine")[0][0] or last_stream_day
    profile = _profile(warehouse, creator_id)
    total = warehouse.rows("select count(*) from marts.fct_live_streams where creator_id = ?", [creator_id])[0][0]
    streams = _streams(warehouse, creator_id, stream_count, with_curves) if total else []
    weeks = _weeks(warehouse, creator_id, first_day, last_day) if total else None
    summary = load_summary(warehouse, creator_id, last_day - dt.timedelta(days=1)) if total else None
    return CreatorReport(
        creator_id=creator_id,
        profile=profile,
        first_data_day=first_day,
        last_data_day=last_day,
        streams_in_data=int(total),
        streams=streams,
        weeks=weeks,
        retention=_retention(warehouse, creator_id),
        summary=summary,
    )


def _profile(warehouse: Warehouse, creator_id: str) -> dict[str, Any]:
    found = warehouse.records(
        "select country, primary_category, signup_date, first_stream_at, lifetime_streams "
        "from marts.dim_creators where creator_id = ?",
        [creator_id],
    )
    if not found:
        known = [str(row[0]) for row in warehouse.rows("select creator_id from marts.dim_creators order by 1")]
        close = close_matches(creator_id, known)
        hint = f"close matches: {', '.join(close)}" if close else "no close match"
        raise UserError(
            f"unknown creator '{printable(creator_id)}' ({hint}); marts.dim_creators has {len(known)} creators"
        )
    record = found[0]
    return {
        "country": record["country"],
        "primary_category": record["primary_category"],
        "signup_date": record["signup_date"].isoformat() if record["signup_date"] else None,
        "first_stream_at": iso_moment(record["first_stream_at"]),
        "lifetime_streams": _number(record["lifetime_streams"]),
    }


def close_matches(word: str, known: Sequence[str], count: int = CLOSE_MATCHES) -> list[str]:
    """Up to ``count`` ids like ``word`` (difflib.get_close_matches), best first; among equally close ones,
    the longer common prefix first, then by id (difflib alone breaks ties by reverse alphabetical order)."""
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(word)

    def rank(candidate: str) -> tuple[float, int, str]:
        matcher.set_seq1(candidate)
        return (-round(matcher.ratio(), 9), -len(os.path.commonprefix([word, candidate])), candidate)

    return sorted(difflib.get_close_matches(word, known, n=max(len(known), 1)), key=rank)[:count]


STREAMS_SQL = """
with chosen as (
    select *
    from marts.fct_live_streams
    where creator_id = ?
    order by started_at desc, stream_id desc
    limit ?
),

gift_totals as (
    select
        stream_id,
        sum(diamonds) - sum(refunded_diamonds) as diamonds_net
    from marts.fct_gifts
    where stream_id in (select stream_id from chosen)
    group by stream_id
)

select
    chosen.stream_id,
    chosen.title,
    chosen.category,
    chosen.started_at,
    chosen.ended_at,
    chosen.end_reason,
    chosen.minutes_live,
    chosen.unique_viewers,
    chosen.viewer_sessions,
    chosen.peak_concurrent_viewers,
    chosen.avg_concurrent_viewers,
    chosen.avg_watch_minutes_per_viewer,
    chosen.new_followers,
    chosen.gifters,
    coalesce(gift_totals.diamonds_net, 0) as diamonds_net,
    chosen.comments,
    chosen.answered_comments
from chosen
left join gift_totals on chosen.stream_id = gift_totals.stream_id
order by chosen.started_at desc, chosen.stream_id desc
"""


def _streams(warehouse: Warehouse, creator_id: str, stream_count: int, with_curves: bool) -> list[StreamFacts]:
    records = warehouse.records(STREAMS_SQL, [creator_id, stream_count])
    ids = [str(record["stream_id"]) for record in records]
    sources = _traffic_sources(warehouse, ids)
    curves = _curves(warehouse, records) if with_curves else {}
    return [
        StreamFacts(
            stream_id=str(r["stream_id"]),
            title="" if r["title"] is None else str(r["title"]),
            category=r["category"],
            started_at=r["started_at"],
            ended_at=r["ended_at"],
            end_reason=r["end_reason"],
            minutes_live=float(r["minutes_live"] or 0),
            unique_viewers=int(r["unique_viewers"]),
            viewer_sessions=int(r["viewer_sessions"]),
            peak_concurrent_viewers=int(r["peak_concurrent_viewers"]),
            avg_concurrent_viewers=float(r["avg_concurrent_viewers"]),
            avg_watch_minutes_per_viewer=float(r["avg_watch_minutes_per_viewer"]),
            new_followers=int(r["new_followers"]),
            gifters=int(r["gifters"]),
            diamonds_net=int(r["diamonds_net"]),
            comments=int(r["comments"]),
            replies=int(r["answered_comments"]),
            traffic_sources=sources.get(str(r["stream_id"]), ()),
            curve=curves.get(str(r["stream_id"]), ()),
        )
        for r in records
    ]


def _traffic_sources(warehouse: Warehouse, stream_ids: list[str]) -> dict[str, tuple[TrafficShare, ...]]:
    """Each stream's top traffic sources by sessions (ties by name), with their share of its sessions."""
    rows = warehouse.rows(
        "select stream_id, coalesce(traffic_source, '(unknown)'), count(*) from marts.fct_viewer_sessions "
        "where list_contains(?, stream_id) group by all",
        [stream_ids],
    )
    counts: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for stream_id, source, sessions in rows:
        counts[str(stream_id)].append((str(source), int(sessions)))
    shares = {}
    for stream_id, items in counts.items():
        total = sum(sessions for _, sessions in items)
        top = sorted(items, key=lambda item: (-item[1], item[0]))[:TOP_SOURCES]
        shares[stream_id] = tuple(TrafficShare(source, sessions, sessions / total) for source, sessions in top)
    return shares


def concurrency_curve(
    started_at: dt.datetime, sessions: Iterable[tuple[dt.datetime, dt.datetime]]
) -> tuple[tuple[float, int], ...]:
    """The stream's concurrent viewers as steps: (minute since ``started_at``, open sessions from then on).

    A session counts from its start to its end; at equal timestamps a leave counts before a join, so the
    level after all the changes of an instant is what the instant shows (the peak of fct_live_streams is
    the highest of these levels). Starts at (0, 0).
    """
    changes: dict[dt.datetime, int] = defaultdict(int)
    for start, end in sessions:
        changes[start] += 1
        changes[end] -= 1
    steps: list[tuple[float, int]] = [(0.0, 0)]
    level = 0
    for moment in sorted(changes):
        level += changes[moment]
        minute = max((moment - started_at).total_seconds() / 60, 0.0)
        if steps[-1][0] == minute:
            steps[-1] = (minute, level)
        elif steps[-1][1] != level:
            steps.append((minute, level))
    return tuple(steps)


def _curves(warehouse: Warehouse, streams: list[dict[str, Any]]) -> dict[str, tuple[tuple[float, int], ...]]:
    ids = [str(record["stream_id"]) for record in streams]
    sessions: dict[str, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    for stream_id, started_at, ended_at in warehouse.rows(
        "select stream_id, started_at, ended_at from marts.fct_viewer_sessions where list_contains(?, stream_id)",
        [ids],
    ):
        sessions[str(stream_id)].append((started_at, ended_at))
    return {
        str(record["stream_id"]): concurrency_curve(record["started_at"], sessions.get(str(record["stream_id"]), []))
        for record in streams
    }


def last_complete_week(last_day: dt.date) -> Week:
    """The latest Monday-to-Sunday week that ends before ``last_day`` (the data's last, partial day)."""
    days_back = (last_day.weekday() - 6) % 7 or 7  # to the Sunday strictly before last_day
    end = last_day - dt.timedelta(days=days_back)
    return Week(end - dt.timedelta(days=6), end)


WEEKS_SQL = """
with streams as (
    select
        stream_id,
        case when started_date >= ? then 'week' else 'previous' end as period,
        minutes_live,
        watch_minutes,
        new_followers,
        comments,
        answered_comments
    from marts.fct_live_streams
    where creator_id = ? and started_date between ? and ?
),

viewers as (
    select
        streams.period,
        count(distinct sessions.viewer_id) as unique_viewers
    from marts.fct_viewer_sessions as sessions
    inner join streams on sessions.stream_id = streams.stream_id
    group by streams.period
),

diamonds as (
    select
        streams.period,
        sum(gifts.diamonds) - sum(gifts.refunded_diamonds) as diamonds_net
    from marts.fct_gifts as gifts
    inner join streams on gifts.stream_id = streams.stream_id
    group by streams.period
),

totals as (
    select
        period,
        count(*) as streams,
        sum(minutes_live) / 60 as hours_live,
        sum(watch_minutes) as watch_minutes,
        sum(new_followers) as new_followers,
        sum(comments) as comments,
        sum(answered_comments) as replies
    from streams
    group by period
)

select
    totals.*,
    coalesce(viewers.unique_viewers, 0) as unique_viewers,
    coalesce(diamonds.diamonds_net, 0) as diamonds_net
from totals
left join viewers on totals.period = viewers.period
left join diamonds on totals.period = diamonds.period
"""


def _weeks(warehouse: Warehouse, creator_id: str, first_day: dt.date, last_day: dt.date) -> WeekComparison | None:
    week = last_complete_week(last_day)
    if week.end < first_day:
        return None  # no complete week of data yet
    previous = Week(week.start - dt.timedelta(days=7), week.start - dt.timedelta(days=1))
    found = {
        record["period"]: record
        for record in warehouse.records(WEEKS_SQL, [week.start, creator_id, previous.start, week.end])
    }

    def values(period: str) -> dict[str, float | int | None]:
        record = found.get(period)
        if record is None:
            return {key: (None if key == "reply_rate" else 0) for key, _ in WEEK_METRICS}
        comments, replies = int(record["comments"]), int(record["replies"])
        return {
            "streams": int(record["streams"]),
            "hours_live": float(record["hours_live"] or 0),
            "watch_minutes": float(record["watch_minutes"] or 0),
            "unique_viewers": int(record["unique_viewers"]),
            "new_followers": int(record["new_followers"]),
            "diamonds_net": int(record["diamonds_net"]),
            "reply_rate": replies / comments if comments else None,
        }

    return WeekComparison(
        week=week,
        previous=previous,
        baseline=previous.start >= first_day,
        values=values("week"),
        previous_values=values("previous"),
    )


def _retention(warehouse: Warehouse, creator_id: str) -> Retention:
    present = {
        str(row[0])
        for row in warehouse.rows(
            "select column_name from information_schema.columns where table_catalog = current_database() "
            "and table_schema = 'marts' and table_name = 'fct_creator_daily' and list_contains(?, column_name)",
            [list(RETENTION_COLUMNS)],
        )
    }
    if not set(RETENTION_COLUMNS) <= present:
        return Retention(available=False)
    eligible, retained = warehouse.rows(
        "select count(*) filter (where is_d7_retention_eligible), "
        "count(*) filter (where is_d7_retention_eligible and streamed_again_within_7d) "
        "from marts.fct_creator_daily where creator_id = ?",
        [creator_id],
    )[0]
    return Retention(available=True, eligible_days=int(eligible), retained_days=int(retained))


# ---------------------------------------------------------------------------------------------------
# Text


def render_text(report: CreatorReport) -> str:
    """The summary first (week against week, trends, retention, top supporters), then the streams."""
    if report.message:
        return report.message
    lines = [headline(report), shown_sentence(report), ""]
    weeks = report.weeks
    if weeks is None:
        lines.append("Weeks: no complete week in the data yet")
    else:
        lines.append(week_heading(weeks))
        rows = [[*row, verdict(change)] for row, change in zip(week_rows(weeks), week_changes(weeks), strict=True)]
        lines.append(format_table(["metric", "last week", "week before", "change", ""], rows))
        if not weeks.baseline:
            lines.append(f"(the data starts on {report.first_data_day.isoformat()}, inside the week before)")
    summary = report.summary
    if summary is not None:
        lines += ["", f"Trends to {summary.last_day.isoformat()} (a day without a stream counts 0)"]
        lines.append(format_table(TREND_HEADERS, trend_rows(summary)))
    lines += ["", report.retention.sentence()]
    if summary is not None:
        lines.append("")
        if summary.supporters:
            lines.append(supporters_heading(summary))
            lines.append(format_table(["#", "viewer", "diamonds", "gifts"], supporter_rows(summary)))
        else:
            lines.append("Top supporters: no gift in the last 28 days")
    lines += ["", "Recent streams"]
    lines.append(format_table(STREAM_HEADERS, stream_rows(report.streams)))
    lines.append("")
    lines.append(
        format_table(
            ["#", "stream", "title", f"top {TOP_SOURCES} traffic sources (share of sessions)"],
            [
                [str(index), printable(s.stream_id), short_title(s.title), format_sources(s.traffic_sources)]
                for index, s in enumerate(report.streams, start=1)
            ],
        )
    )
    return "\n".join(lines)
