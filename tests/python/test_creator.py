"""`live-metrics creator`: a creator's own view of their streams, against numbers computed here by hand.

The facts of a stream (unique viewers, peak concurrency by this test's own sweep, net diamonds, comments,
replies, traffic sources) are computed from the rows of fct_viewer_sessions, fct_gifts and fct_comments,
never copied from the program's output or from fct_live_streams. Edge cases (a hostile title, a creator
without streams, the retention columns present or absent) run on copies of the demo warehouse, edited.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from conftest import Warehouse, launch_clean
from live_metrics.creator.creator import concurrency_curve, last_complete_week

RETENTION_COLUMNS = ("is_d7_retention_eligible", "streamed_again_within_7d")


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real launcher, in an environment free of the caller's project settings; never a traceback."""
    result = launch_clean(*args, env=env)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    return result


def creator(duckdb_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("creator", *args, "--duckdb", str(duckdb_path))


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def marts(warehouse: Warehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(warehouse.duckdb_path), read_only=True)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def busiest_creator(marts: duckdb.DuckDBPyConnection) -> str:
    """The demo creator with the most viewer sessions (chosen from the sessions, not from the program)."""
    rows = marts.execute("select creator_id, stream_id from marts.fct_viewer_sessions").fetchall()
    return Counter(creator_id for creator_id, _ in rows).most_common(1)[0][0]


def copy_warehouse(warehouse: Warehouse, folder: Path, *statements: str) -> Path:
    """A copy of the demo warehouse with ``statements`` applied (the original stays untouched)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "live.duckdb"
    shutil.copyfile(warehouse.duckdb_path, path)
    connection = duckdb.connect(str(path))
    try:
        for statement in statements:
            connection.execute(statement)
        connection.execute("checkpoint")
    finally:
        connection.close()
    return path


# ---------------------------------------------------------------------------------------------------
# The facts of a stream, by hand


def hand_facts(marts: duckdb.DuckDBPyConnection, stream_id: str) -> dict[str, Any]:
    sessions = marts.execute(
        "select viewer_id, started_at, ended_at, traffic_source from marts.fct_viewer_sessions where stream_id = ?",
        [stream_id],
    ).fetchall()
    # peak concurrency: sweep +1 at a start, -1 at an end; a leave counts before a join at the same instant
    events = sorted([(start, 1) for _, start, _, _ in sessions] + [(end, -1) for _, _, end, _ in sessions])
    level = peak = 0
    for _, delta in events:
        level += delta
        peak = max(peak, level)
    gifts = marts.execute(
        "select diamonds, refunded_diamonds from marts.fct_gifts where stream_id = ?", [stream_id]
    ).fetchall()
    comments = marts.execute("select is_replied from marts.fct_comments where stream_id = ?", [stream_id]).fetchall()
    replies = sum(1 for (replied,) in comments if replied)
    sources = Counter(source for *_, source in sessions)
    return {
        "unique_viewers": len({viewer for viewer, *_ in sessions}),
        "peak_concurrent_viewers": peak,
        "diamonds_net": sum(diamonds for diamonds, _ in gifts) - sum(refunded for _, refunded in gifts),
        "comments": len(comments),
        "replies": replies,
        "reply_rate": replies / len(comments) if comments else None,
        "top_sources": sorted(sources.items(), key=lambda item: (-item[1], item[0]))[:3],
        "sessions": len(sessions),
    }


def test_report_matches_the_facts_computed_by_hand(
    warehouse: Warehouse, marts: duckdb.DuckDBPyConnection, busiest_creator: str
) -> None:
    result = creator(warehouse.duckdb_path, busiest_creator, "--json", "--streams", "3")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    streams = report["streams"]
    assert report["creator_id"] == busiest_creator and len(streams) == 3
    starts = marts.execute(
        "select stream_id from marts.fct_live_streams where creator_id = ? order by started_at desc limit 3",
        [busiest_creator],
    ).fetchall()
    assert [s["stream_id"] for s in streams] == [stream_id for (stream_id,) in starts]  # most recent first
    checked_diamonds = False
    for stream in streams:
        facts = hand_facts(marts, stream["stream_id"])
        for key in ("unique_viewers", "peak_concurrent_viewers", "diamonds_net", "comments", "replies"):
            assert stream[key] == facts[key], (stream["stream_id"], key, stream[key], facts[key])
        assert stream["reply_rate"] == pytest.approx(facts["reply_rate"])
        assert [(s["traffic_source"], s["sessions"]) for s in stream["top_traffic_sources"]] == facts["top_sources"]
        for share in stream["top_traffic_sources"]:
            assert share["share"] == pytest.approx(share["sessions"] / facts["sessions"])
        checked_diamonds |= facts["diamonds_net"] > 0
    assert checked_diamonds, "the busiest demo creator should have received gifts in a recent stream"

    # the text report shows the same numbers for the most recent stream (row 1 of the first table)
    text = creator(warehouse.duckdb_path, busiest_creator, "--streams", "3")
    assert text.returncode == 0 and text.stderr == ""
    first = hand_facts(marts, streams[0]["stream_id"])
    row = next(line for line in text.stdout.splitlines() if re.match(r"^\s*1\s+\d{4}-\d\d-\d\d \d\d:\d\d", line))
    cells = re.split(r"\s{2,}", row.strip())
    assert cells[3] == f"{first['unique_viewers']:,}"
    assert cells[4] == f"{first['peak_concurrent_viewers']:,}"
    assert cells[9] == f"{first['diamonds_net']:,}"
    assert cells[10:12] == [f"{first['comments']:,}", f"{first['replies']:,}"]
    assert cells[12] == f"{first['reply_rate'] * 100:.2f}%"


def test_last_complete_week_by_hand(
    warehouse: Warehouse, marts: duckdb.DuckDBPyConnection, busiest_creator: str
) -> None:
    last_day = marts.execute("select max(date_day) from marts.metricflow_time_spine").fetchone()[0]
    # the Sunday strictly before the data's last (partial) day ends the last complete week
    end = last_day - dt.timedelta(days=1)
    while end.weekday() != 6:
        end -= dt.timedelta(days=1)
    start = end - dt.timedelta(days=6)
    sessions = marts.execute(
        "select stream_id, viewer_id from marts.fct_viewer_sessions where creator_id = ?", [busiest_creator]
    ).fetchall()
    streams = marts.execute(
        "select stream_id, started_at from marts.fct_live_streams where creator_id = ?", [busiest_creator]
    ).fetchall()

    def week_facts(first: dt.date, last: dt.date) -> tuple[int, int, int]:
        ids = {stream_id for stream_id, started in streams if first <= started.date() <= last}
        viewers = {viewer for stream_id, viewer in sessions if stream_id in ids}
        diamonds = sum(hand_facts(marts, stream_id)["diamonds_net"] for stream_id in ids)
        return len(ids), len(viewers), diamonds

    report = json.loads(creator(warehouse.duckdb_path, busiest_creator, "--json").stdout)
    weeks = report["weeks"]
    assert (weeks["week"]["start"], weeks["week"]["end"]) == (start.isoformat(), end.isoformat())
    values = {row["metric"]: row for row in weeks["metrics"]}
    now = week_facts(start, end)
    before = week_facts(start - dt.timedelta(days=7), start - dt.timedelta(days=1))
    assert (values["streams"]["value"], values["unique_viewers"]["value"], values["diamonds_net"]["value"]) == now
    assert (
        values["streams"]["previous"],
        values["unique_viewers"]["previous"],
        values["diamonds_net"]["previous"],
    ) == before
    if weeks["baseline"] and before[1]:
        assert values["unique_viewers"]["change"] == pytest.approx((now[1] - before[1]) / before[1])
    rate = values["reply_rate"]
    if rate["value"] is not None and rate["previous"] is not None and weeks["baseline"]:
        assert rate["change_points"] == pytest.approx((rate["value"] - rate["previous"]) * 100)


def test_json_structure(warehouse: Warehouse, busiest_creator: str) -> None:
    result = creator(warehouse.duckdb_path, busiest_creator, "--json", "--streams", "2")
    assert result.returncode == 0 and result.stderr == ""
    report = json.loads(result.stdout)
    assert {"creator_id", "creator", "data_last_day", "streams", "weeks", "retention", "message"} <= set(report)
    assert report["streams_shown"] == len(report["streams"]) == 2 and report["message"] is None
    numeric = (
        "minutes_live",
        "unique_viewers",
        "peak_concurrent_viewers",
        "avg_concurrent_viewers",
        "avg_watch_minutes_per_viewer",
        "new_followers",
        "gifters",
        "diamonds_net",
        "comments",
        "replies",
    )
    for stream in report["streams"]:
        for key in numeric:
            assert isinstance(stream[key], (int, float)) and not isinstance(stream[key], bool), (key, stream[key])
        assert stream["started_at"].endswith("Z") and len(stream["top_traffic_sources"]) <= 3
    metrics = [row["metric"] for row in report["weeks"]["metrics"]]
    assert metrics == [
        "streams",
        "hours_live",
        "watch_minutes",
        "unique_viewers",
        "new_followers",
        "diamonds_net",
        "reply_rate",
    ]
    for row in report["weeks"]["metrics"]:
        assert {"value", "previous", "change", "change_points"} <= set(row)
    assert isinstance(report["retention"]["available"], bool)


def test_default_warehouse_comes_from_live_duckdb_path(warehouse: Warehouse, busiest_creator: str) -> None:
    result = run_cli("creator", busiest_creator, env={"LIVE_DUCKDB_PATH": str(warehouse.duckdb_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Creator {busiest_creator}")
    assert "Last complete week" in result.stdout and "retention: " in result.stdout


# ---------------------------------------------------------------------------------------------------
# The page


def test_html_page_has_one_chart_per_stream_and_escapes_titles(
    warehouse: Warehouse, marts: duckdb.DuckDBPyConnection, busiest_creator: str, tmp_path: Path
) -> None:
    (latest,) = marts.execute(
        "select stream_id from marts.fct_live_streams where creator_id = ? order by started_at desc limit 1",
        [busiest_creator],
    ).fetchone()
    hostile = """</title><script>alert("x")</script> & <b>'q'</b>"""
    copy = copy_warehouse(
        warehouse,
        tmp_path / "hostile",
        f"update marts.fct_live_streams set title = '{hostile.replace(chr(39), chr(39) * 2)}' || chr(27) || '[31m' "
        f"where stream_id = '{latest}'",
    )
    page = tmp_path / "creator.html"
    result = creator(copy, busiest_creator, "--streams", "4", "--html", str(page))
    assert result.returncode == 0, result.stderr
    text = page.read_text(encoding="utf-8")
    # one step chart per stream, one sparkline per trend
    assert text.count('<svg class="curve"') == 4 and text.count('<svg class="spark"') == 5
    assert text.count("</svg>") == 9 and text.count('<section class="stream">') == 4
    assert "<script" not in text.lower() and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in text
    assert "\x1b" not in text
    # self-contained: nothing fetched (the only URL is the SVG namespace)
    assert not re.search(r"""(src|href)\s*=|<link|@import|url\(""", text)
    assert set(re.findall(r"https?://[^\s\"'<>]+", text)) == {"http://www.w3.org/2000/svg"}
    # the step line reaches the peak of each stream: the chart's top tick is the peak
    shown = re.findall(r"· (s_\w+)</div>", text)
    peaks = [hand_facts(marts, stream_id)["peak_concurrent_viewers"] for stream_id in shown]
    assert len(peaks) == 4
    for peak in peaks:
        assert f'dy="0.32em">{peak:,}</text>' in text
    # the terminal report shows no escape sequence either
    terminal = creator(copy, busiest_creator, "--streams", "4")
    assert "\x1b" not in terminal.stdout and "<script>" in terminal.stdout


def test_concurrency_curve_counts_a_leave_before_a_join() -> None:
    start = dt.datetime(2026, 1, 5, 20, 0)

    def at(minute: int) -> dt.datetime:
        return start + dt.timedelta(minutes=minute)

    back_to_back = concurrency_curve(start, [(at(0), at(10)), (at(10), at(20))])
    assert back_to_back == ((0.0, 1), (20.0, 0))
    overlapping = concurrency_curve(start, [(at(0), at(10)), (at(5), at(20)), (at(5), at(6))])
    assert max(level for _, level in overlapping) == 3
    assert overlapping == ((0.0, 1), (5.0, 3), (6.0, 2), (10.0, 1), (20.0, 0))
    assert concurrency_curve(start, []) == ((0.0, 0),)


@pytest.mark.parametrize(
    ("last_day", "week_start"),
    [
        (dt.date(2026, 11, 23), dt.date(2026, 11, 16)),  # a Monday: the week just ended is complete
        (dt.date(2026, 11, 22), dt.date(2026, 11, 9)),  # a Sunday: its own week is not complete yet
        (dt.date(2026, 11, 19), dt.date(2026, 11, 9)),
    ],
)
def test_last_complete_week(last_day: dt.date, week_start: dt.date) -> None:
    week = last_complete_week(last_day)
    assert (week.start, week.end) == (week_start, week_start + dt.timedelta(days=6))
    assert week.start.weekday() == 0 and week.end < last_day


# ---------------------------------------------------------------------------------------------------
# Retention: the columns used when present, "not available" when absent


def drop_retention_columns(marts: duckdb.DuckDBPyConnection) -> list[str]:
    present = {
        name
        for (name,) in marts.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'marts' and table_name = 'fct_creator_daily'"
        ).fetchall()
    }
    return [f"alter table marts.fct_creator_daily drop column {name}" for name in RETENTION_COLUMNS if name in present]


def test_retention_not_available_without_the_columns(
    warehouse: Warehouse, marts: duckdb.DuckDBPyConnection, busiest_creator: str, tmp_path: Path
) -> None:
    copy = copy_warehouse(warehouse, tmp_path / "old", *drop_retention_columns(marts))
    text = creator(copy, busiest_creator)
    assert text.returncode == 0, text.stderr
    assert "\nretention: not available in this warehouse\n" in text.stdout
    assert json.loads(creator(copy, busiest_creator, "--json").stdout)["retention"] == {"available": False}


def test_retention_uses_the_columns_when_present(
    warehouse: Warehouse, marts: duckdb.DuckDBPyConnection, busiest_creator: str, tmp_path: Path
) -> None:
    # planted values: eligible when the 7 following days are in the data; "streamed again" on even days
    copy = copy_warehouse(
        warehouse,
        tmp_path / "new",
        *drop_retention_columns(marts),
        "alter table marts.fct_creator_daily add column is_d7_retention_eligible boolean",
        "alter table marts.fct_creator_daily add column streamed_again_within_7d boolean",
        "update marts.fct_creator_daily set "
        "is_d7_retention_eligible = activity_date + 7 <= (select max(date_day) from marts.metricflow_time_spine), "
        "streamed_again_within_7d = day(activity_date) % 2 = 0",
    )
    last_day = marts.execute("select max(date_day) from marts.metricflow_time_spine").fetchone()[0]
    days = [
        day
        for (day,) in marts.execute(
            "select activity_date from marts.fct_creator_daily where creator_id = ?", [busiest_creator]
        ).fetchall()
    ]
    eligible = [day for day in days if day + dt.timedelta(days=7) <= last_day]
    retained = [day for day in eligible if day.day % 2 == 0]
    assert eligible, "the busiest demo creator should have days a week before the data's end"
    report = json.loads(creator(copy, busiest_creator, "--json").stdout)
    assert report["retention"] == {
        "available": True,
        "eligible_days": len(eligible),
        "retained_days": len(retained),
        "rate": pytest.approx(len(retained) / len(eligible)),
    }
    text = creator(copy, busiest_creator).stdout
    assert f"({len(retained)} of {len(eligible)} eligible streaming days" in text
    assert f"{len(retained) / len(eligible) * 100:.2f}%" in text


# ---------------------------------------------------------------------------------------------------
# Errors and the creator without streams


def test_unknown_creator_lists_close_matches(warehouse: Warehouse, busiest_creator: str) -> None:
    typo = busiest_creator.replace("0", "", 1)  # one character dropped
    line = one_line_error(creator(warehouse.duckdb_path, typo))
    assert f"unknown creator '{typo}'" in line
    listed = line.split("close matches: ")[1].split(")")[0].split(", ")
    assert listed[0] == busiest_creator and len(listed) <= 5, line


def test_unknown_creator_without_close_match(warehouse: Warehouse) -> None:
    line = one_line_error(creator(warehouse.duckdb_path, "nobody-at-all"))
    assert "no close match" in line


def test_creator_without_streams_is_one_line(warehouse: Warehouse, tmp_path: Path) -> None:
    copy = copy_warehouse(
        warehouse, tmp_path / "quiet", "insert into marts.dim_creators (creator_id) values ('u_quiet')"
    )
    result = creator(copy, "u_quiet")
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.strip().splitlines() == [result.stdout.strip()]
    assert "u_quiet has no stream in the data" in result.stdout
    report = json.loads(creator(copy, "u_quiet", "--json").stdout)
    assert report["streams"] == [] and "no stream" in report["message"]


def test_missing_warehouse_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "live.duckdb"
    line = one_line_error(creator(missing, "u_000001"))
    assert str(missing) in line and "does not exist" in line
    line = one_line_error(run_cli("creator", "u_000001", env={"LIVE_DUCKDB_PATH": str(missing)}))
    assert str(missing) in line


def test_unwritable_page_is_one_line(warehouse: Warehouse, busiest_creator: str, tmp_path: Path) -> None:
    line = one_line_error(creator(warehouse.duckdb_path, busiest_creator, "--html", str(tmp_path / "no" / "p.html")))
    assert "cannot write" in line


def test_sessions_agree_with_the_stream_fact(marts: duckdb.DuckDBPyConnection, busiest_creator: str) -> None:
    """The program's curve (drawn on the page) peaks where this test's sweep does, for every stream."""
    sessions: dict[str, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    for stream_id, started, ended in marts.execute(
        "select stream_id, started_at, ended_at from marts.fct_viewer_sessions where creator_id = ?",
        [busiest_creator],
    ).fetchall():
        sessions[stream_id].append((started, ended))
    for stream_id, started in marts.execute(
        "select stream_id, started_at from marts.fct_live_streams where creator_id = ?", [busiest_creator]
    ).fetchall():
        curve = concurrency_curve(started, sessions[stream_id])
        assert max(level for _, level in curve) == hand_facts(marts, stream_id)["peak_concurrent_viewers"]
        assert curve[-1][1] == 0


# ---------------------------------------------------------------------------------------------------
# The summary the report leads with


def test_the_summary_comes_first_and_matches_the_facts(
    warehouse: Warehouse, marts: duckdb.DuckDBPyConnection, busiest_creator: str, tmp_path: Path
) -> None:
    """Trends and top supporters against the stream and gift facts summed here (not fct_creator_daily)."""
    result = creator(warehouse.duckdb_path, busiest_creator, "--json", "--streams", "1")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    summary = report["summary"]
    last = dt.date.fromisoformat(summary["last_day"])
    assert last == dt.date.fromisoformat(report["data_last_day"]) - dt.timedelta(days=1)
    trends = {trend["metric"]: trend for trend in summary["trends"]}
    for days in (7, 28):
        since, before = last - dt.timedelta(days=days - 1), last - dt.timedelta(days=2 * days - 1)
        for start, end, key in ((since, last, "value"), (before, since - dt.timedelta(days=1), "previous")):
            streams, minutes, followers = marts.execute(
                "select count(*), coalesce(sum(watch_minutes), 0), coalesce(sum(new_followers), 0) "
                "from marts.fct_live_streams where creator_id = ? and started_date between ? and ?",
                [busiest_creator, start, end],
            ).fetchone()
            window = f"last_{days}_days"
            assert trends["streams"][window][key] == streams, (days, key)
            assert trends["watch_minutes"][window][key] == pytest.approx(minutes, abs=1e-6), (days, key)
            assert trends["new_followers"][window][key] == followers, (days, key)
        assert len(trends["streams"]["daily"]) == 56
        assert sum(trends["streams"]["daily"][-days:]) == trends["streams"][f"last_{days}_days"]["value"]
    # top supporters: every gift row of the last 28 days, net of refunds, summed per viewer here
    net: dict[str, int] = defaultdict(int)
    for viewer, diamonds, refunded in marts.execute(
        "select viewer_id, diamonds, refunded_diamonds from marts.fct_gifts "
        "where creator_id = ? and event_date between ? and ?",
        [busiest_creator, last - dt.timedelta(days=27), last],
    ).fetchall():
        net[viewer] += int(diamonds or 0) - int(refunded or 0)
    expected = sorted(((-total, viewer) for viewer, total in net.items() if total > 0))[:5]
    shown = summary["top_supporters"]["viewers"]
    assert [(-row["diamonds_net"], row["viewer_id"]) for row in shown] == expected
    assert shown and all(re.fullmatch(r"u_\d{6}", row["viewer_id"]) for row in shown)  # ids only
    assert trends["diamonds_net"]["last_28_days"]["value"] >= sum(row["diamonds_net"] for row in shown)

    text = creator(warehouse.duckdb_path, busiest_creator, "--streams", "1").stdout
    order = [text.index(part) for part in ("Last complete week", "Trends to", "retention:", "Top ", "Recent streams")]
    assert order == sorted(order), "the summary leads, the streams follow"
    assert "the most recent below" in text and " 1 streams" not in text
    page = tmp_path / "creator.html"
    assert creator(warehouse.duckdb_path, busiest_creator, "--streams", "1", "--html", str(page)).returncode == 0
    html = page.read_text(encoding="utf-8")
    assert html.index('class="summary"') < html.index('<section class="stream">')
    assert re.search(r'<td class="num (better|worse)">', html), "changes carry their good/bad colour"


# The page in a real browser, at a desktop and a laptop size: the summary leads, nothing runs past the page's
# width, and every sparkline and chart is drawn.
CREATOR_PROBE = """<script>
window.addEventListener('load', function () {
  var sections = Array.prototype.map.call(document.querySelectorAll('main > section, .summary > section'),
    function (s) {
      return {cls: s.className, top: s.getBoundingClientRect().top, over: s.scrollWidth - s.clientWidth};
    });
  var pre = document.createElement('pre');
  pre.id = 'creator-probe';
  pre.textContent = JSON.stringify({width: document.documentElement.scrollWidth,
    viewport: document.documentElement.clientWidth, sections: sections,
    sparks: document.querySelectorAll('svg.spark polyline').length});
  document.body.appendChild(pre);
});
</script>"""


@pytest.mark.parametrize("size", ["1600,1200", "1280,800"])
def test_browser_creator_page_leads_with_the_summary_and_fits(
    warehouse: Warehouse, busiest_creator: str, size: str, tmp_path: Path
) -> None:
    from test_tree_page import parse_dom, run_chromium

    page = tmp_path / "creator.html"
    assert creator(warehouse.duckdb_path, busiest_creator, "--html", str(page)).returncode == 0
    probed = tmp_path / "probed.html"
    probed.write_text(page.read_text(encoding="utf-8").replace("</body>", CREATOR_PROBE + "</body>"), "utf-8")
    run = run_chromium(probed, "", tmp_path, "--dump-dom", f"--window-size={size}")
    assert run.console == []
    probe = json.loads(parse_dom(run.stdout).find(id="creator-probe").all_text())  # type: ignore[union-attr]
    assert probe["width"] <= probe["viewport"], probe  # no horizontal scroll of the page
    order = [section["cls"] for section in sorted(probe["sections"], key=lambda s: s["top"])]
    assert order[:4] == ["weeks", "trends", "retention", "supporters"], order
    assert set(order[4:]) == {"stream"}
    assert all(section["over"] <= 1 for section in probe["sections"]), probe  # no table cut or scrolled
    assert probe["sparks"] == 5
