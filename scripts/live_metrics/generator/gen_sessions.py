"""Who comes to watch in a simulated world (``gen_world``): follows, live alerts (sent, opened, opted
out of; the planted alert outage), the visits they and organic browsing bring, and the viewer sessions those
visits become (joins, leaves, reconnects, playback stats).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from live_metrics.generator.gen_model import (
    ET,
    JOIN_SOURCES,
    MS_PER_H,
    MS_PER_MIN,
    MS_PER_S,
    PROBLEM_CODE,
    Events,
    GeneratorConfig,
    choice,
    lognormal,
    rank_in_group,
    repeat_index,
)
from live_metrics.generator.gen_streams import alert_outage

# --- followers and notifications -------------------------------------------------------

FOLLOWS_EXTRA_MEAN = 1.5  # each viewer follows 1 + Poisson(1.5) creators, weighted by popularity
NOTIFICATION_DELAY_MS = (1_000, 20_000)  # live alert sent this long after the stream starts
NOTIFICATION_OPEN_RATE = 0.04  # share of live alerts opened (target 3-5 %)
NOTIFICATION_OPEN_MEDIAN_S = 90.0  # open delay: lognormal, seconds to tens of minutes
NOTIFICATION_JOIN_RATE = 0.85  # openers who then join (with source=notification)
OPT_OUT_RATE = 0.01  # alerts answered by notification_opt_out; later alerts for that pair stop

# --- viewer sessions ----------------------------------------------------------------------

VISITS_PER_VIEWER_DAY = 1.0  # organic (non-alert) stream visits per viewer per day
VIEWER_ACTIVITY_SIGMA = 1.0  # heavy-tailed viewer activity (lognormal)
VIEWER_ENGAGEMENT_SIGMA = 0.7  # multiplier on a viewer's interaction rates (lognormal)
# Organic visit sources (alert visits are `notification`): for_you dominates.
ORGANIC_SOURCE_SHARES: dict[str, float] = {
    "for_you": 0.60,
    "following": 0.14,
    "profile": 0.09,
    "share_link": 0.08,
    "search": 0.09,
}
REJOIN_PROB = 0.15  # after leaving, chance to come back to the same stream (geometric)
REJOIN_SOURCE_SHARES: dict[str, float] = {"for_you": 0.6, "profile": 0.25, "following": 0.15}
SESSION_MEDIAN_MIN = 4.0  # session length: lognormal, median 4 min, heavy tail
SESSION_SIGMA = 1.3
SESSION_MIN_MS = 5 * MS_PER_S
REJOIN_GAP_MEAN_MIN = 6.0  # pause between two sessions of one viewer in one stream
STREAM_END_KICK_MS = 3_000  # sessions open at the stream's end get their leave 0-3 s later
NO_LEAVE_RATE = 0.05  # sessions with no viewer_left / playback_stats (app killed)
RECONNECT_RATE = 0.10  # sessions with an extra viewer_joined while open
JOIN_BEFORE_START_RATE = 0.005  # sessions joining just after the start, stamped 0.5-30 s before it
STARTUP_MEDIAN_MS = 1_100.0  # playback startup: lognormal, median 1.1 s
STARTUP_SIGMA = 0.45
REBUFFER_MEDIAN_SHARE = 0.006  # rebuffer time as a share of played time (lognormal)


# --- follows and live alerts -----------------------------------------------------------------


@dataclass(frozen=True)
class Follows:
    """Who follows whom: (viewer, creator) pairs, and each creator's followers."""

    keys: np.ndarray  # sorted unique viewer * n_creators + creator
    viewer_by_creator: np.ndarray  # follower viewers, grouped by creator
    count: np.ndarray  # followers per creator
    offset: np.ndarray  # where each creator's group starts in viewer_by_creator


def make_follows(cfg: GeneratorConfig, streams: dict[str, np.ndarray]) -> Follows:
    """Each viewer follows 1 + Poisson(FOLLOWS_EXTRA_MEAN) creators, drawn by popularity."""
    rng = cfg.rng("follows")
    n_c, n_v = cfg.creators, cfg.viewers
    pop = streams["popularity"]
    n_follow = 1 + rng.poisson(FOLLOWS_EXTRA_MEAN, n_v)
    f_viewer = repeat_index(n_follow)
    f_creator = rng.choice(n_c, size=len(f_viewer), p=pop / pop.sum())
    follow_keys = np.unique(f_viewer.astype(np.int64) * n_c + f_creator)
    f_viewer, f_creator = follow_keys // n_c, follow_keys % n_c
    order = np.argsort(f_creator, kind="stable")
    f_count = np.bincount(f_creator, minlength=n_c)
    return Follows(
        keys=follow_keys, viewer_by_creator=f_viewer[order], count=f_count, offset=np.cumsum(f_count) - f_count
    )


@dataclass(frozen=True)
class Alerts:
    """The live alerts sent (in send order, numbered from 0) and the joins they lead to."""

    stream: np.ndarray
    viewer: np.ndarray
    number: np.ndarray  # notification number (notification_id is derived from it)
    t_join: np.ndarray  # when the viewer would join through the alert
    joins: np.ndarray  # bool: the alert was opened and led to a join

    @property
    def n_sent(self) -> int:
        return len(self.number)


def send_alerts(cfg: GeneratorConfig, streams: dict[str, np.ndarray], follows: Follows) -> tuple[Alerts, list[Events]]:
    """A live alert to every follower when a stream starts (until they opt out of that creator);
    notification_sent, notification_opened and notification_opt_out events."""
    rng = cfg.rng("notifications")
    n_c = cfg.creators
    per_stream = follows.count[streams["creator"]]
    n_stream = repeat_index(per_stream)
    n_viewer = follows.viewer_by_creator[follows.offset[streams["creator"][n_stream]] + rank_in_group(per_stream)]
    n_creator = streams["creator"][n_stream]
    n_sent = streams["start"][n_stream] + rng.integers(*NOTIFICATION_DELAY_MS, size=len(n_stream))
    pair = n_viewer.astype(np.int64) * n_c + n_creator
    kept, is_first_opt, t_opt = _stop_alerts_after_opt_out(rng, pair, n_sent)
    n_stream, n_viewer, n_creator, n_sent = n_stream[kept], n_viewer[kept], n_creator[kept], n_sent[kept]
    n_notif = len(n_sent)
    notif_no = np.arange(n_notif, dtype=np.int64)
    opened = rng.random(n_notif) < NOTIFICATION_OPEN_RATE
    outage = alert_outage(cfg)
    if outage is not None:  # sent, never delivered: not opened, so no join either
        opened &= ~((n_sent >= outage[0]) & (n_sent < outage[1]))
    t_open = n_sent + (lognormal(rng, NOTIFICATION_OPEN_MEDIAN_S, 1.0, n_notif).clip(3, 45 * 60) * MS_PER_S).astype(
        np.int64
    )
    t_notif_join = t_open + rng.integers(1_000, 6_000, size=n_notif)
    notif_join = (
        opened
        & (rng.random(n_notif) < NOTIFICATION_JOIN_RATE)
        & (t_notif_join < streams["end"][n_stream] - 30 * MS_PER_S)
    )
    v_actor = n_viewer + n_c
    events = [
        Events.make(ET["notification_sent"], n_sent, v_actor, n_stream, a=notif_no, b=n_creator, ref=opened),
        Events.make(ET["notification_opened"], t_open[opened], v_actor[opened], n_stream[opened], a=notif_no[opened]),
        Events.make(
            ET["notification_opt_out"], t_opt[is_first_opt], v_actor[is_first_opt], -1, b=n_creator[is_first_opt]
        ),
    ]
    alerts = Alerts(stream=n_stream, viewer=n_viewer, number=notif_no, t_join=t_notif_join, joins=notif_join)
    return alerts, events


def _stop_alerts_after_opt_out(
    rng: np.random.Generator, pair: np.ndarray, n_sent: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Opt-outs: the first opt-out of a (viewer * n_creators + creator) ``pair`` stops that pair's
    later alerts.

    Returns the alerts kept (indices, in send order), and for those whether each is answered by
    the pair's opt-out and when that opt-out is sent.
    """
    opts = rng.random(len(n_sent)) < OPT_OUT_RATE
    t_opt = n_sent + (lognormal(rng, 5 * 60.0, 1.0, len(n_sent)).clip(10, 6 * 3600) * MS_PER_S).astype(np.int64)
    _, pair_inv = np.unique(pair, return_inverse=True)
    first_opt = np.full(pair_inv.max() + 1 if len(pair_inv) else 0, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_opt, pair_inv[opts], t_opt[opts])
    keep = n_sent < first_opt[pair_inv]
    is_first_opt = opts & (t_opt == first_opt[pair_inv]) & keep
    order = np.argsort(n_sent[keep], kind="stable")
    kept = np.flatnonzero(keep)[order]
    return kept, is_first_opt[kept], t_opt[kept]


# --- visits and sessions -----------------------------------------------------------------------


@dataclass(frozen=True)
class Visits:
    """Wanted visits, alert-driven then organic, sorted by stream, viewer and time."""

    stream: np.ndarray
    viewer: np.ndarray
    t: np.ndarray
    source: np.ndarray  # index into JOIN_SOURCES
    notification: np.ndarray  # notification number, -1 for organic visits


def plan_visits(cfg: GeneratorConfig, streams: dict[str, np.ndarray], follows: Follows, alerts: Alerts) -> Visits:
    """Alert joins plus organic visits, spread over streams by popularity and length."""
    rng = cfg.rng("visits")
    n_c, n_v = cfg.creators, cfg.viewers
    activity = np.exp(VIEWER_ACTIVITY_SIGMA * rng.standard_normal(n_v))
    dur_h = (streams["end"] - streams["start"]) / MS_PER_H
    weight = streams["popularity"][streams["creator"]] * dur_h
    day_weight = np.bincount(streams["day"], weights=weight, minlength=cfg.days)
    lam = n_v * VISITS_PER_VIEWER_DAY * weight / day_weight[streams["day"]]
    o_count = rng.poisson(lam)
    o_stream = repeat_index(o_count)
    o_viewer = rng.choice(n_v, size=len(o_stream), p=activity / activity.sum())
    o_t = streams["start"][o_stream] + (
        rng.beta(1.0, 1.6, len(o_stream)) * (streams["end"] - streams["start"])[o_stream]
    ).astype(np.int64)
    src_names = list(ORGANIC_SOURCE_SHARES)
    o_source = np.array([JOIN_SOURCES.index(s) for s in src_names])[
        choice(rng, list(ORGANIC_SOURCE_SHARES.values()), len(o_stream))
    ]
    follows_it = np.isin(o_viewer.astype(np.int64) * n_c + streams["creator"][o_stream], follows.keys)
    o_source = np.where(
        (o_source == JOIN_SOURCES.index("following")) & ~follows_it, JOIN_SOURCES.index("for_you"), o_source
    )

    joins = alerts.joins
    v_stream = np.concatenate([alerts.stream[joins], o_stream])
    v_viewer = np.concatenate([alerts.viewer[joins], o_viewer])
    v_t = np.concatenate([alerts.t_join[joins], o_t])
    v_source = np.concatenate([np.zeros(int(joins.sum()), dtype=np.int64), o_source])
    v_notif = np.concatenate([alerts.number[joins], np.full(len(o_stream), -1)])
    order = np.lexsort((v_t, v_viewer, v_stream))
    return Visits(
        stream=v_stream[order],
        viewer=v_viewer[order],
        t=v_t[order],
        source=v_source[order],
        notification=v_notif[order],
    )


@dataclass(frozen=True)
class Sessions:
    """Viewer sessions, grouped by stream then viewer, in time order inside a group."""

    stream: np.ndarray
    viewer: np.ndarray
    actor: np.ndarray  # the viewer as an actor
    source: np.ndarray  # index into JOIN_SOURCES
    notification: np.ndarray  # notification number, -1 if not joined through an alert
    join: np.ndarray  # true join time, epoch ms
    leave: np.ndarray  # true leave time (at the latest the stream's end)
    stream_start: np.ndarray
    stream_end: np.ndarray
    stream_outcome: np.ndarray  # index into END_REASONS, or NO_END_EVENT
    kicked: np.ndarray  # bool: still open when the stream ended
    first_in_group: np.ndarray  # bool: the viewer's first session in that stream

    def __len__(self) -> int:
        return len(self.stream)

    @property
    def minutes(self) -> np.ndarray:
        return (self.leave - self.join) / MS_PER_MIN

    def place(self, rng: np.random.Generator, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Session index and event time for ``counts`` events per session, uniform inside it."""
        idx = repeat_index(counts)
        return idx, self.join[idx] + (rng.random(len(idx)) * (self.leave - self.join)[idx]).astype(np.int64)


def simulate_sessions(
    cfg: GeneratorConfig, streams: dict[str, np.ndarray], visits: Visits, stats: dict[str, int]
) -> tuple[Sessions, list[Events]]:
    """Sessions of the visits, their joins and leaves (with their quirks), and playback stats;
    adds the session counts to ``stats``."""
    rng = cfg.rng("sessions")
    sessions = _lay_out_sessions(rng, cfg.creators, streams, visits)
    edges = _stamp_session_edges(rng, sessions)
    events = _session_events(rng, sessions, edges)
    stats["sessions"] = len(sessions)
    stats["sessions_without_leave"] = int((~edges.has_leave).sum())
    stats["sessions_with_reconnect"] = int(edges.reconnect.sum())
    stats["joins_after_session_without_leave"] = int(edges.after_open.sum())
    stats["sessions_join_before_start"] = edges.n_skew
    stats["sessions_ended_by_stream_end"] = int(sessions.kicked.sum())
    stats["viewers_with_session"] = len(np.unique(sessions.viewer))
    return sessions, events


def _lay_out_sessions(
    rng: np.random.Generator, n_creators: int, streams: dict[str, np.ndarray], visits: Visits
) -> Sessions:
    """Each visit is 1+ sessions; all sessions of a viewer in a stream are laid out back to back
    (never overlapping) from the group's earliest wanted join time. Sessions that would start at
    the stream's end are dropped."""
    per_visit = rng.geometric(1.0 - REJOIN_PROB, len(visits.stream))
    s_visit = repeat_index(per_visit)
    first_of_visit = rank_in_group(per_visit) == 0
    s_stream, s_viewer = visits.stream[s_visit], visits.viewer[s_visit]
    rejoin_src = np.array([JOIN_SOURCES.index(s) for s in REJOIN_SOURCE_SHARES])[
        choice(rng, list(REJOIN_SOURCE_SHARES.values()), len(s_visit))
    ]
    s_source = np.where(first_of_visit, visits.source[s_visit], rejoin_src)
    s_notif = np.where(first_of_visit, visits.notification[s_visit], -1)
    n_sess = len(s_visit)
    new_group = np.ones(n_sess, dtype=bool)
    new_group[1:] = (s_stream[1:] != s_stream[:-1]) | (s_viewer[1:] != s_viewer[:-1])
    group = np.cumsum(new_group) - 1
    group_first = np.flatnonzero(new_group)
    length = np.maximum(lognormal(rng, SESSION_MEDIAN_MIN * MS_PER_MIN, SESSION_SIGMA, n_sess), SESSION_MIN_MS).astype(
        np.int64
    )
    gap = (rng.exponential(REJOIN_GAP_MEAN_MIN * MS_PER_MIN, n_sess) + 2 * MS_PER_S).astype(np.int64)
    step = length + gap
    before = np.cumsum(step) - step  # sum of steps of earlier rows (all groups)
    join = visits.t[s_visit][group_first][group] + before - before[group_first][group]
    end_of_stream = streams["end"][s_stream]
    alive = join < end_of_stream - 2 * MS_PER_S
    keep = np.flatnonzero(alive)
    s_stream, s_viewer, s_source, s_notif, join, length, group = (
        x[keep] for x in (s_stream, s_viewer, s_source, s_notif, join, length, group)
    )
    first_in_group = np.ones(len(keep), dtype=bool)
    first_in_group[1:] = group[1:] != group[:-1]
    s_end = streams["end"][s_stream]
    return Sessions(
        stream=s_stream,
        viewer=s_viewer,
        actor=s_viewer + n_creators,
        source=s_source,
        notification=s_notif,
        join=join,
        leave=np.minimum(join + length, s_end),
        stream_start=streams["start"][s_stream],
        stream_end=s_end,
        stream_outcome=streams["outcome"][s_stream],
        kicked=join + length >= s_end,
        first_in_group=first_in_group,
    )


@dataclass(frozen=True)
class _SessionEdges:
    """How each session's join and leave are stamped in the data, and its extra joins."""

    join_evt: np.ndarray  # viewer_joined time as written
    leave_evt: np.ndarray  # viewer_left time as written
    has_leave: np.ndarray  # bool: a viewer_left (and playback_stats) is sent
    skew: np.ndarray  # bool: joined just after the start, stamped before it
    n_skew: int
    reconnect: np.ndarray  # bool: an extra viewer_joined while the session is open
    t_reconnect: np.ndarray
    after_open: np.ndarray  # bool: the previous session of the group had no viewer_left


def _stamp_session_edges(rng: np.random.Generator, sessions: Sessions) -> _SessionEdges:
    """Leaves kicked by the stream's end, sessions with no leave, joins stamped before the
    stream's start (clock skew) and reconnects."""
    n_sess = len(sessions)
    join, leave, s_start, s_end = sessions.join, sessions.leave, sessions.stream_start, sessions.stream_end
    leave_evt = np.where(sessions.kicked, s_end + rng.integers(0, STREAM_END_KICK_MS, size=n_sess), leave)
    has_leave = rng.random(n_sess) >= NO_LEAVE_RATE
    # A few sessions that joined right after the start are stamped 0.5-30 s before it (device
    # clock skew): drawn from the first sessions closest to the stream's start, so the shift is small.
    firsts = np.flatnonzero(sessions.first_in_group)
    n_skew = min(max(round(JOIN_BEFORE_START_RATE * n_sess), min(12, n_sess // 100)), len(firsts))
    closest = firsts[np.argsort((join - s_start)[firsts], kind="stable")[: 4 * n_skew]]
    skew = np.zeros(n_sess, dtype=bool)
    skew[rng.choice(closest, size=n_skew, replace=False)] = True
    join_evt = np.where(skew, s_start - rng.integers(500, 30_000, size=n_sess), join)
    reconnect = (rng.random(n_sess) < RECONNECT_RATE) & (leave - join > 10 * MS_PER_S)
    t_reconnect = join + ((leave - join) * rng.uniform(0.2, 0.8, n_sess)).astype(np.int64)
    # After a session with no viewer_left (app killed), the viewer's next join in that stream
    # finds the session still open: in the data it is a reconnect, and is labelled so.
    after_open = np.zeros(n_sess, dtype=bool)
    after_open[1:] = ~sessions.first_in_group[1:] & ~has_leave[:-1]
    return _SessionEdges(
        join_evt=join_evt,
        leave_evt=leave_evt,
        has_leave=has_leave,
        skew=skew,
        n_skew=n_skew,
        reconnect=reconnect,
        t_reconnect=t_reconnect,
        after_open=after_open,
    )


def _session_events(rng: np.random.Generator, sessions: Sessions, edges: _SessionEdges) -> list[Events]:
    """viewer_joined (plus reconnects), viewer_left and playback_stats of every session."""
    n_sess = len(sessions)
    join, leave, actor, stream = sessions.join, sessions.leave, sessions.actor, sessions.stream
    joined = Events.make(ET["viewer_joined"], edges.join_evt, actor, stream, a=sessions.source, b=sessions.notification)
    joined["problem"] = np.where(
        edges.skew, PROBLEM_CODE["join_before_stream_start"], np.where(edges.after_open, PROBLEM_CODE["reconnect"], 0)
    )
    rc = np.flatnonzero(edges.reconnect)
    reconnects = Events.make(
        ET["viewer_joined"],
        edges.t_reconnect[rc],
        actor[rc],
        stream[rc],
        a=sessions.source[rc],
        b=sessions.notification[rc],
        problem=PROBLEM_CODE["reconnect"],
    )
    lv = np.flatnonzero(edges.has_leave)
    left = Events.make(ET["viewer_left"], edges.leave_evt[lv], actor[lv], stream[lv])
    startup = lognormal(rng, STARTUP_MEDIAN_MS, STARTUP_SIGMA, n_sess).clip(150, 20_000).astype(np.int64)
    played = np.maximum(((leave - join) * rng.uniform(0.93, 1.0, n_sess)).astype(np.int64) - startup, 0)
    rebuffer = (played * lognormal(rng, REBUFFER_MEDIAN_SHARE, 1.0, n_sess).clip(0, 0.5)).astype(np.int64)
    playback = Events.make(
        ET["playback_stats"],
        edges.leave_evt[lv] + rng.integers(0, 300, size=len(lv)),
        actor[lv],
        stream[lv],
        a=startup[lv],
        b=rebuffer[lv],
        c=played[lv],
    )
    return [joined, reconnects, left, playback]
