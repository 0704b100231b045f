"""Inject the data-quality problems of EVENTS.md into a clean world, and set received_at.

Each problem has a rate (a constant below) relative to a base population, with a floor
of ``MIN_ROWS_PER_PROBLEM`` rows so that even small generated sets contain every problem.
Every raw row carries exactly one label (``Events["problem"]``, see ``gen_model.PROBLEMS``):
rows picked for a problem are drawn only from rows that have no label yet, so the labels
are disjoint and a warehouse can be reconciled against them row for row.

Corruptions are applied to "leaf" events only (never to stream_started / stream_ended /
viewer_joined / viewer_left, and never to an event another event refers to, e.g. a gift
that is later refunded), so that one corrupted row does not cascade into others.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from live_metrics.gen_model import (
    ET,
    EVENT_TYPES,
    MS_PER_H,
    MS_PER_MIN,
    MS_PER_S,
    PROBLEM_CODE,
    UNKNOWN_EVENT_TYPES,
    Events,
    GeneratorConfig,
)
from live_metrics.gen_world import NO_END_EVENT, World

# Floor per problem so every problem shows up even where its rate rounds to a handful:
# 12 rows, scaled down for sets under 12,000 events (1 per 1,000 events, at least 1).
MIN_ROWS_PER_PROBLEM = 12
FLOOR_EVENTS_PER_ROW = 1_000

# Rates. "events" = rows of the clean world (before duplicates and injected extra rows).
DUPLICATE_RATE = 0.015  # of all rows: re-sent with the same event_id, later received_at
THIRD_COPY_SHARE = 0.10  # of duplicated rows: sent a third time
LATE_ARRIVAL_RATE = 0.03  # of events: received 1-48 h after event_at (normal, not an error)
LATE_ARRIVAL_RANGE_H = (1.0, 48.0)
CLOCK_AHEAD_TOLERATED_RATE = 0.002  # of events: event_at 5 s-4 min after received_at (tolerated)
UNPARSEABLE_EVENT_AT_RATE = 0.0005  # of events
UNKNOWN_EVENT_TYPE_RATE = 0.0005  # of events (extra rows)
MISSING_USER_ID_RATE = 0.0005  # of events
MISSING_STREAM_ID_RATE = 0.0005  # of events
PROPERTIES_NOT_OBJECT_RATE = 0.0005  # of events
MISSING_REQUIRED_FIELD_RATE = 0.0005  # of events
NONPOSITIVE_QUANTITY_RATE = 0.003  # of gift_sent + like_sent
UNKNOWN_GIFT_ID_RATE = 0.01  # of gift_sent
UNKNOWN_CAMPAIGN_ID_RATE = 0.005  # of ad_impression
FUTURE_DEVICE_CLOCK_RATE = 0.0005  # of events: event_at 10 min-12 h after received_at
ORPHAN_LEAVE_RATE = 0.003  # of viewer_left (extra rows)
REFUND_UNKNOWN_TXN_RATE = 0.10  # of gift_refunded (extra rows)
REFUND_REPEAT_RATE = 0.10  # of gift_refunded (extra rows: a second refund)

# Normal delivery lag: 150 ms + lognormal (median 0.6 s); 5 % of events sit in an offline
# queue for 5 s - 10 min before upload.
LAG_BASE_MS = 150
LAG_MEDIAN_MS = 600.0
OFFLINE_QUEUE_RATE = 0.05
OFFLINE_QUEUE_RANGE_MS = (5 * MS_PER_S, 10 * MS_PER_MIN)
DUPLICATE_DELAY_MEDIAN_S = 120.0  # re-send delay: lognormal, 1 s - 24 h

# Garbage written instead of event_at (None = empty field).
GARBAGE_TIMESTAMPS: tuple[str | None, ...] = (
    "yesterday",
    "2026-13-45T99:00:00Z",
    None,
    "not-a-date",
    "2026-11-09T25:61:00.000Z",
    "0000-00-00T00:00:00.000Z",
    "NaN",
    "undefined",
    "{{event_at}}",
)
# Corruptable "leaf" types: everything but stream lifecycle and session boundaries.
LEAF_TYPES: tuple[int, ...] = tuple(
    ET[t] for t in EVENT_TYPES if t not in ("stream_started", "stream_ended", "viewer_joined", "viewer_left")
)
# Types that lose a required field under `missing_required_field`, and which field
# (see gen_output.MISSING_FIELD for the same mapping used when writing).
MISSING_FIELD_TYPES: tuple[int, ...] = tuple(
    ET[t]
    for t in (
        "gift_sent",
        "like_sent",
        "comment_posted",
        "ad_impression",
        "ad_clicked",
        "gift_refunded",
        "notification_opened",
        "creator_followed",
    )
)
PVAR_MISSING_FIELD = 2
PVAR_NOT_OBJECT = (3, 4, 5, 6)  # truncated JSON, null, JSON array, plain text
NONPOSITIVE_VALUES = (0, -1, -5)
N_UNKNOWN_GIFT_IDS = 3  # unknown gift ids used (gen_output.UNKNOWN_GIFT_IDS)
N_UNKNOWN_CAMPAIGN_IDS = 2


@dataclass(frozen=True)
class ProblemRate:
    """How a problem's count was decided, for the summary and the README."""

    name: str
    rate: float
    base: str
    base_rows: int
    rows: int


def problem_floor(n_events: int) -> int:
    """Minimum rows per problem for a world of ``n_events`` clean events."""
    return min(MIN_ROWS_PER_PROBLEM, max(1, n_events // FLOOR_EVENTS_PER_ROW))


def expected_rows(rate: float, base: int, floor: int) -> int:
    """Rows a problem gets (before capping at the eligible rows): rate x base, at least the floor."""
    return max(round(rate * base), floor)


def _target(rate: float, base: int, available: int, floor: int) -> int:
    return int(min(expected_rows(rate, base, floor), available))


def inject_problems(cfg: GeneratorConfig, world: World) -> tuple[Events, list[ProblemRate]]:
    """Return the raw rows (sorted by received_at) and how each problem was sized."""
    rng = cfg.rng("problems")
    ev = world.events
    n_events = len(ev)
    floor = problem_floor(n_events)
    etype = ev["etype"]
    rates: list[ProblemRate] = []

    def free_rows(mask: np.ndarray) -> np.ndarray:
        return np.flatnonzero(mask & (ev["problem"] == 0))

    def pick(name: str, rate: float, base_name: str, base_rows: int, candidates: np.ndarray) -> np.ndarray:
        n = _target(rate, base_rows, len(candidates), floor)
        rows = np.sort(rng.choice(candidates, size=n, replace=False)) if n else np.empty(0, dtype=np.int64)
        rates.append(ProblemRate(name, rate, base_name, base_rows, n))
        return rows

    # --- extra rows -----------------------------------------------------------------------
    extras: list[Events] = []
    leaf_free = free_rows(np.isin(etype, LEAF_TYPES) & (ev["stream"] >= 0))

    rows = pick("unknown_event_type", UNKNOWN_EVENT_TYPE_RATE, "events", n_events, leaf_free)
    unk = ev.take(rows)
    unk["etype"] = len(EVENT_TYPES) + rng.integers(0, len(UNKNOWN_EVENT_TYPES), len(rows))
    unk["t_event"] = unk["t_event"] + rng.integers(0, 30 * MS_PER_S, len(rows))
    unk["ref"] = np.zeros(len(rows), dtype=bool)
    unk["pvar"] = np.zeros(len(rows))
    for col in ("a", "b", "c", "d", "text"):
        unk[col] = np.full(len(rows), -1)
    unk["problem"] = np.full(len(rows), PROBLEM_CODE["unknown_event_type"])
    extras.append(unk)

    extras.append(_orphan_leaves(world, rng, rates, floor))

    gifts = free_rows((etype == ET["gift_sent"]) & (world.stream_outcome[ev["stream"]] != NO_END_EVENT))
    refunds = free_rows((etype == ET["gift_refunded"]) & (world.stream_outcome[ev["stream"]] != NO_END_EVENT))
    n_refunds = int((etype == ET["gift_refunded"]).sum())
    rows = pick("refund_unknown_txn", REFUND_UNKNOWN_TXN_RATE, "gift_refunded", n_refunds, gifts)
    bad = _clone(ev, rows, ET["gift_refunded"], "refund_unknown_txn")
    bad["t_event"] = bad["t_event"] + rng.integers(MS_PER_MIN, 3 * MS_PER_H, len(rows))
    # Transaction numbers past every issued one: unknown by construction.
    bad["a"] = world.id_counts["gift_txn"] + 1_000 + rng.permutation(len(rows))
    extras.append(bad)
    rows = pick("refund_repeat", REFUND_REPEAT_RATE, "gift_refunded", n_refunds, refunds)
    again = _clone(ev, rows, ET["gift_refunded"], "refund_repeat")
    again["a"] = ev["a"][rows]
    again["t_event"] = again["t_event"] + rng.integers(10 * MS_PER_MIN, 48 * MS_PER_H, len(rows))
    extras.append(again)

    # --- corruptions of existing leaf rows (disjoint: each pick removes rows from the pool) ---
    def corrupt(name: str, rate: float, base_name: str, base_rows: int, mask: np.ndarray) -> np.ndarray:
        rows = pick(name, rate, base_name, base_rows, free_rows(mask & np.isin(etype, LEAF_TYPES) & ~ev["ref"]))
        ev["problem"][rows] = PROBLEM_CODE[name]
        return rows

    everything = np.ones(n_events, dtype=bool)
    rows = corrupt("unparseable_event_at", UNPARSEABLE_EVENT_AT_RATE, "events", n_events, everything)
    ev["tvar"][rows] = rng.integers(0, len(GARBAGE_TIMESTAMPS), len(rows))
    rows = corrupt("missing_user_id", MISSING_USER_ID_RATE, "events", n_events, everything)
    ev["user"][rows] = -1
    rows = corrupt("missing_stream_id", MISSING_STREAM_ID_RATE, "events", n_events, etype != ET["notification_opt_out"])
    ev["stream"][rows] = -1
    rows = corrupt("properties_not_object", PROPERTIES_NOT_OBJECT_RATE, "events", n_events, everything)
    ev["pvar"][rows] = rng.choice(PVAR_NOT_OBJECT, len(rows))
    rows = corrupt(
        "missing_required_field", MISSING_REQUIRED_FIELD_RATE, "events", n_events, np.isin(etype, MISSING_FIELD_TYPES)
    )
    ev["pvar"][rows] = PVAR_MISSING_FIELD
    qty_types = np.isin(etype, (ET["gift_sent"], ET["like_sent"]))
    rows = corrupt(
        "nonpositive_quantity", NONPOSITIVE_QUANTITY_RATE, "gift_sent+like_sent", int(qty_types.sum()), qty_types
    )
    value = rng.choice(NONPOSITIVE_VALUES, len(rows))
    is_gift = etype[rows] == ET["gift_sent"]
    ev["c"][rows[is_gift]] = value[is_gift]  # gift quantity
    ev["a"][rows[~is_gift]] = value[~is_gift]  # like count
    is_gift_sent = etype == ET["gift_sent"]
    rows = corrupt("unknown_gift_id", UNKNOWN_GIFT_ID_RATE, "gift_sent", int(is_gift_sent.sum()), is_gift_sent)
    ev["b"][rows] = 10_000 + rng.integers(0, N_UNKNOWN_GIFT_IDS, len(rows))
    is_imp = etype == ET["ad_impression"]
    rows = corrupt("unknown_campaign_id", UNKNOWN_CAMPAIGN_ID_RATE, "ad_impression", int(is_imp.sum()), is_imp)
    ev["b"][rows] = 10_000 + rng.integers(0, N_UNKNOWN_CAMPAIGN_IDS, len(rows))
    future = corrupt("future_device_clock", FUTURE_DEVICE_CLOCK_RATE, "events", n_events, everything)

    raw = Events.concat([ev] + extras)
    raw["eid"] = np.arange(len(raw))

    # --- received_at ---------------------------------------------------------------------------
    n = len(raw)
    lag = LAG_BASE_MS + (LAG_MEDIAN_MS * np.exp(rng.standard_normal(n))).clip(0, 30 * MS_PER_S).astype(np.int64)
    offline = rng.random(n) < OFFLINE_QUEUE_RATE
    lag = np.where(offline, rng.integers(*OFFLINE_QUEUE_RANGE_MS, size=n), lag)
    raw["t_recv"] = raw["t_event"] + lag
    unlabeled = np.flatnonzero(raw["problem"] == 0)
    take = _target(LATE_ARRIVAL_RATE, n_events, len(unlabeled), floor)
    late = rng.choice(unlabeled, size=take, replace=False)
    raw["t_recv"][late] = raw["t_event"][late] + (rng.uniform(*LATE_ARRIVAL_RANGE_H, take) * MS_PER_H).astype(np.int64)
    raw["problem"][late] = PROBLEM_CODE["late_arrival"]
    rates.append(ProblemRate("late_arrival", LATE_ARRIVAL_RATE, "events", n_events, take))
    unlabeled = np.flatnonzero(raw["problem"] == 0)
    take = _target(CLOCK_AHEAD_TOLERATED_RATE, n_events, len(unlabeled), floor)
    ahead = rng.choice(unlabeled, size=take, replace=False)
    raw["t_recv"][ahead] = raw["t_event"][ahead] - rng.integers(5 * MS_PER_S, 4 * MS_PER_MIN, take)
    raw["problem"][ahead] = PROBLEM_CODE["clock_ahead_tolerated"]
    rates.append(ProblemRate("clock_ahead_tolerated", CLOCK_AHEAD_TOLERATED_RATE, "events", n_events, take))
    # The device clock runs hours ahead: event_at as written lands well after received_at.
    raw["t_event"][future] = raw["t_recv"][future] + rng.integers(10 * MS_PER_MIN, 12 * MS_PER_H, len(future))

    # --- duplicate deliveries ----------------------------------------------------------------
    unlabeled = np.flatnonzero(raw["problem"] == 0)
    take = _target(DUPLICATE_RATE, n, len(unlabeled), floor)
    src = np.sort(rng.choice(unlabeled, size=take, replace=False))
    third = src[rng.random(take) < THIRD_COPY_SHARE]
    copies = []
    for copy_no, rows in ((1, src), (2, third)):
        dup = raw.take(rows)
        delay = (DUPLICATE_DELAY_MEDIAN_S * np.exp(1.5 * rng.standard_normal(len(rows)))).clip(1, 86_400)
        dup["t_recv"] = dup["t_recv"] + (delay * MS_PER_S).astype(np.int64) * copy_no
        dup["copy"] = np.full(len(rows), copy_no)
        dup["problem"] = np.full(len(rows), PROBLEM_CODE["duplicate_delivery"])
        copies.append(dup)
    rates.append(ProblemRate("duplicate_delivery", DUPLICATE_RATE, "rows", n, take + len(third)))
    raw = Events.concat([raw] + copies)

    order = np.lexsort((raw["copy"], raw["eid"], raw["t_recv"]))
    return raw.take(order), rates


def _clone(ev: Events, rows: np.ndarray, etype: int, problem: str) -> Events:
    out = ev.take(rows)
    n = len(rows)
    out["etype"] = np.full(n, etype)
    for col in ("a", "b", "c", "d", "text"):
        out[col] = np.full(n, -1)
    out["pvar"] = np.zeros(n)
    out["ref"] = np.zeros(n, dtype=bool)
    out["problem"] = np.full(n, PROBLEM_CODE[problem])
    return out


def _orphan_leaves(world: World, rng: np.random.Generator, rates: list[ProblemRate], floor: int) -> Events:
    """viewer_left rows of viewers who have no session at all in that (started) stream."""
    ev = world.events
    n_leaves = int((ev["etype"] == ET["viewer_left"]).sum())
    started = np.flatnonzero(~world.stream_never_started)
    want = _target(ORPHAN_LEAVE_RATE, n_leaves, 10**9, floor) if len(started) and world.n_viewers else 0
    streams = np.empty(0, dtype=np.int64)
    viewers = np.empty(0, dtype=np.int64)
    for _ in range(8):  # rejection sampling; a few rounds are always enough
        if len(streams) >= want:
            break
        s = rng.choice(started, size=2 * want)
        v = rng.integers(0, world.n_viewers, 2 * want)
        ok = ~np.isin(s.astype(np.int64) * world.n_viewers + v, world.session_pairs)
        streams, viewers = np.concatenate([streams, s[ok]]), np.concatenate([viewers, v[ok]])
    streams, viewers = streams[:want], viewers[:want]
    rates.append(ProblemRate("orphan_leave", ORPHAN_LEAVE_RATE, "viewer_left", n_leaves, len(streams)))
    start, end = world.stream_start[streams], world.stream_end[streams]
    t = start + (rng.random(len(streams)) * (end - start)).astype(np.int64)
    return Events.make(ET["viewer_left"], t, viewers + world.n_creators, streams, problem=PROBLEM_CODE["orphan_leave"])
