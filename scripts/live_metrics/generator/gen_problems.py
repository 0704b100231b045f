"""Inject the data-quality problems of docs/contract/events.md into a clean world, and set received_at.

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

from live_metrics.generator.gen_model import (
    ET,
    EVENT_TYPES,
    MISSING_PROPERTY,
    MS_PER_H,
    MS_PER_MIN,
    MS_PER_S,
    PROBLEM_CODE,
    PVAR_MISSING_PROPERTY,
    PVAR_NOT_OBJECT,
    UNKNOWN_CAMPAIGN_IDS,
    UNKNOWN_EVENT_TYPES,
    UNKNOWN_GIFT_IDS,
    UNKNOWN_ID_BASE,
    Events,
    GeneratorConfig,
)
from live_metrics.generator.gen_streams import NO_END_EVENT
from live_metrics.generator.gen_world import World

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
MISSING_REQUIRED_PROPERTY_RATE = 0.0005  # of events
NON_POSITIVE_QUANTITY_RATE = 0.003  # of gift_sent + like_sent
UNKNOWN_GIFT_ID_RATE = 0.01  # of gift_sent
UNKNOWN_CAMPAIGN_ID_RATE = 0.005  # of ad_impression
FUTURE_EVENT_AT_RATE = 0.0005  # of events: event_at 10 min-12 h after received_at
ORPHAN_LEAVE_RATE = 0.003  # of viewer_left (extra rows)
UNKNOWN_REFUND_TXN_RATE = 0.10  # of gift_refunded (extra rows)
REPEATED_REFUND_RATE = 0.10  # of gift_refunded (extra rows: a second refund)

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
# Types that can lose a required property under `missing_required_property` (which property:
# gen_model.MISSING_PROPERTY, also used when writing).
MISSING_PROPERTY_TYPES: tuple[int, ...] = tuple(ET[t] for t in MISSING_PROPERTY)
NON_POSITIVE_VALUES = (0, -1, -5)


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


class _ProblemPicker:
    """Draws the rows of each problem from the clean world, and records how each was sized.

    Rows are drawn only from rows with no label yet, so every row keeps exactly one label.
    """

    def __init__(self, rng: np.random.Generator, events: Events, floor: int) -> None:
        self.rng = rng
        self.events = events
        self.floor = floor
        self.rates: list[ProblemRate] = []

    def free_rows(self, mask: np.ndarray) -> np.ndarray:
        """Rows of the clean world selected by ``mask`` that have no label yet."""
        return np.flatnonzero(mask & (self.events["problem"] == 0))

    def pick(self, name: str, rate: float, base_name: str, base_rows: int, candidates: np.ndarray) -> np.ndarray:
        """Draw (sorted) the rows of problem ``name`` among ``candidates``, and record its size."""
        n = _target(rate, base_rows, len(candidates), self.floor)
        rows = np.sort(self.rng.choice(candidates, size=n, replace=False)) if n else np.empty(0, dtype=np.int64)
        self.rates.append(ProblemRate(name, rate, base_name, base_rows, n))
        return rows

    def corrupt(self, name: str, rate: float, base_name: str, base_rows: int, mask: np.ndarray) -> np.ndarray:
        """Label free, unreferenced leaf rows selected by ``mask`` with problem ``name``; return them."""
        ev = self.events
        candidates = self.free_rows(mask & np.isin(ev["etype"], LEAF_TYPES) & ~ev["ref"])
        rows = self.pick(name, rate, base_name, base_rows, candidates)
        ev["problem"][rows] = PROBLEM_CODE[name]
        return rows


def inject_problems(cfg: GeneratorConfig, world: World) -> tuple[Events, list[ProblemRate]]:
    """Return the raw rows (sorted by received_at) and how each problem was sized.

    Stages, in this order (each draws from the one ``problems`` random stream): extra rows
    (unknown event types, orphan leaves, bad refunds), corruptions of existing leaf rows,
    received_at (with late arrivals and device clocks ahead), then duplicate deliveries.
    """
    rng = cfg.rng("problems")
    ev = world.events
    n_events = len(ev)
    picker = _ProblemPicker(rng, ev, problem_floor(n_events))
    extras = [_unknown_event_types(picker), _orphan_leaves(world, picker), *_bad_refunds(world, picker)]
    future = _corrupt_leaf_rows(picker)
    raw = Events.concat([ev] + extras)
    raw["eid"] = np.arange(len(raw))
    _set_received_at(raw, picker, n_events, future)
    raw = _add_duplicate_deliveries(raw, picker)
    order = np.lexsort((raw["copy"], raw["eid"], raw["t_recv"]))
    return raw.take(order), picker.rates


# --- extra rows ------------------------------------------------------------------------------


def _unknown_event_types(picker: _ProblemPicker) -> Events:
    """Copies of leaf events re-typed as event types outside the contract (`unknown_event_type`)."""
    rng, ev = picker.rng, picker.events
    n_events = len(ev)
    leaf_free = picker.free_rows(np.isin(ev["etype"], LEAF_TYPES) & (ev["stream"] >= 0))
    rows = picker.pick("unknown_event_type", UNKNOWN_EVENT_TYPE_RATE, "events", n_events, leaf_free)
    unk = ev.take(rows)
    unk["etype"] = len(EVENT_TYPES) + rng.integers(0, len(UNKNOWN_EVENT_TYPES), len(rows))
    unk["t_event"] = unk["t_event"] + rng.integers(0, 30 * MS_PER_S, len(rows))
    unk["ref"] = np.zeros(len(rows), dtype=bool)
    unk["pvar"] = np.zeros(len(rows))
    for col in ("a", "b", "c", "d", "text"):
        unk[col] = np.full(len(rows), -1)
    unk["problem"] = np.full(len(rows), PROBLEM_CODE["unknown_event_type"])
    return unk


def _orphan_leaves(world: World, picker: _ProblemPicker) -> Events:
    """viewer_left rows of viewers who have no session at all in that (started) stream."""
    rng, ev = picker.rng, world.events
    n_leaves = int((ev["etype"] == ET["viewer_left"]).sum())
    started = np.flatnonzero(~world.stream_never_started)
    want = _target(ORPHAN_LEAVE_RATE, n_leaves, 10**9, picker.floor) if len(started) and world.n_viewers else 0
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
    picker.rates.append(ProblemRate("orphan_leave", ORPHAN_LEAVE_RATE, "viewer_left", n_leaves, len(streams)))
    start, end = world.stream_start[streams], world.stream_end[streams]
    t = start + (rng.random(len(streams)) * (end - start)).astype(np.int64)
    return Events.make(ET["viewer_left"], t, viewers + world.n_creators, streams, problem=PROBLEM_CODE["orphan_leave"])


def _bad_refunds(world: World, picker: _ProblemPicker) -> tuple[Events, Events]:
    """gift_refunded rows of transactions never sent (`unknown_refund_txn`), and second refunds of
    refunded ones (`repeated_refund`), all in streams that have an end event."""
    rng, ev = picker.rng, picker.events
    etype = ev["etype"]
    ends = world.stream_outcome[ev["stream"]] != NO_END_EVENT
    gifts = picker.free_rows((etype == ET["gift_sent"]) & ends)
    refunds = picker.free_rows((etype == ET["gift_refunded"]) & ends)
    n_refunds = int((etype == ET["gift_refunded"]).sum())
    rows = picker.pick("unknown_refund_txn", UNKNOWN_REFUND_TXN_RATE, "gift_refunded", n_refunds, gifts)
    unknown = _clone(ev, rows, ET["gift_refunded"], "unknown_refund_txn")
    unknown["t_event"] = unknown["t_event"] + rng.integers(MS_PER_MIN, 3 * MS_PER_H, len(rows))
    # Transaction numbers past every issued one: unknown by construction.
    unknown["a"] = world.id_counts["gift_txn"] + 1_000 + rng.permutation(len(rows))
    rows = picker.pick("repeated_refund", REPEATED_REFUND_RATE, "gift_refunded", n_refunds, refunds)
    again = _clone(ev, rows, ET["gift_refunded"], "repeated_refund")
    again["a"] = ev["a"][rows]
    again["t_event"] = again["t_event"] + rng.integers(10 * MS_PER_MIN, 48 * MS_PER_H, len(rows))
    return unknown, again


def _clone(ev: Events, rows: np.ndarray, etype: int, problem: str) -> Events:
    """Copies of ``rows`` as bare events of type ``etype`` (no properties) labelled ``problem``."""
    out = ev.take(rows)
    n = len(rows)
    out["etype"] = np.full(n, etype)
    for col in ("a", "b", "c", "d", "text"):
        out[col] = np.full(n, -1)
    out["pvar"] = np.zeros(n)
    out["ref"] = np.zeros(n, dtype=bool)
    out["problem"] = np.full(n, PROBLEM_CODE[problem])
    return out


# --- corruptions of existing leaf rows --------------------------------------------------------


def _corrupt_leaf_rows(picker: _ProblemPicker) -> np.ndarray:
    """Corrupt leaf rows in place, one problem after the other (each pick removes rows from the
    pool, so the problems are disjoint). Returns the `future_event_at` rows, whose event_at can
    only be set once received_at is known."""
    rng, ev = picker.rng, picker.events
    n_events = len(ev)
    etype = ev["etype"]
    everything = np.ones(n_events, dtype=bool)
    rows = picker.corrupt("unparseable_event_at", UNPARSEABLE_EVENT_AT_RATE, "events", n_events, everything)
    ev["tvar"][rows] = rng.integers(0, len(GARBAGE_TIMESTAMPS), len(rows))
    rows = picker.corrupt("missing_user_id", MISSING_USER_ID_RATE, "events", n_events, everything)
    ev["user"][rows] = -1
    has_stream = etype != ET["notification_opt_out"]
    rows = picker.corrupt("missing_stream_id", MISSING_STREAM_ID_RATE, "events", n_events, has_stream)
    ev["stream"][rows] = -1
    rows = picker.corrupt("properties_not_object", PROPERTIES_NOT_OBJECT_RATE, "events", n_events, everything)
    ev["pvar"][rows] = rng.choice(PVAR_NOT_OBJECT, len(rows))
    can_lose = np.isin(etype, MISSING_PROPERTY_TYPES)
    rows = picker.corrupt("missing_required_property", MISSING_REQUIRED_PROPERTY_RATE, "events", n_events, can_lose)
    ev["pvar"][rows] = PVAR_MISSING_PROPERTY
    _corrupt_values(picker)
    return picker.corrupt("future_event_at", FUTURE_EVENT_AT_RATE, "events", n_events, everything)


def _corrupt_values(picker: _ProblemPicker) -> None:
    """Non-positive quantities and like counts, unknown gift ids and unknown campaign ids."""
    rng, ev = picker.rng, picker.events
    etype = ev["etype"]
    qty_types = np.isin(etype, (ET["gift_sent"], ET["like_sent"]))
    rows = picker.corrupt(
        "non_positive_quantity", NON_POSITIVE_QUANTITY_RATE, "gift_sent+like_sent", int(qty_types.sum()), qty_types
    )
    value = rng.choice(NON_POSITIVE_VALUES, len(rows))
    is_gift = etype[rows] == ET["gift_sent"]
    ev["c"][rows[is_gift]] = value[is_gift]  # gift quantity
    ev["a"][rows[~is_gift]] = value[~is_gift]  # like count
    is_gift_sent = etype == ET["gift_sent"]
    rows = picker.corrupt("unknown_gift_id", UNKNOWN_GIFT_ID_RATE, "gift_sent", int(is_gift_sent.sum()), is_gift_sent)
    ev["b"][rows] = UNKNOWN_ID_BASE + rng.integers(0, len(UNKNOWN_GIFT_IDS), len(rows))
    is_imp = etype == ET["ad_impression"]
    rows = picker.corrupt("unknown_campaign_id", UNKNOWN_CAMPAIGN_ID_RATE, "ad_impression", int(is_imp.sum()), is_imp)
    ev["b"][rows] = UNKNOWN_ID_BASE + rng.integers(0, len(UNKNOWN_CAMPAIGN_IDS), len(rows))


# --- received_at and duplicate deliveries -----------------------------------------------------


def _set_received_at(raw: Events, picker: _ProblemPicker, n_events: int, future: np.ndarray) -> None:
    """Set received_at from a delivery lag; label late arrivals and tolerated clocks ahead; move
    the event_at of the ``future`` rows (`future_event_at`) well past their received_at."""
    rng, floor = picker.rng, picker.floor
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
    picker.rates.append(ProblemRate("late_arrival", LATE_ARRIVAL_RATE, "events", n_events, take))
    unlabeled = np.flatnonzero(raw["problem"] == 0)
    take = _target(CLOCK_AHEAD_TOLERATED_RATE, n_events, len(unlabeled), floor)
    ahead = rng.choice(unlabeled, size=take, replace=False)
    raw["t_recv"][ahead] = raw["t_event"][ahead] - rng.integers(5 * MS_PER_S, 4 * MS_PER_MIN, take)
    raw["problem"][ahead] = PROBLEM_CODE["clock_ahead_tolerated"]
    picker.rates.append(ProblemRate("clock_ahead_tolerated", CLOCK_AHEAD_TOLERATED_RATE, "events", n_events, take))
    # The device clock runs hours ahead: event_at as written lands well after received_at.
    raw["t_event"][future] = raw["t_recv"][future] + rng.integers(10 * MS_PER_MIN, 12 * MS_PER_H, len(future))


def _add_duplicate_deliveries(raw: Events, picker: _ProblemPicker) -> Events:
    """``raw`` plus re-sent copies of unlabeled rows (same columns, later received_at), a few sent twice."""
    rng = picker.rng
    n = len(raw)
    unlabeled = np.flatnonzero(raw["problem"] == 0)
    take = _target(DUPLICATE_RATE, n, len(unlabeled), picker.floor)
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
    picker.rates.append(ProblemRate("duplicate_delivery", DUPLICATE_RATE, "rows", n, take + len(third)))
    return Events.concat([raw] + copies)
