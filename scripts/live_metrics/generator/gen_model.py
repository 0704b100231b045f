"""Shared vocabulary of the raw-event generator: config, event types, columnar event store, and the small
vectorised helpers (lognormal draws, weighted choices, group expansion) the simulation's stages share.

The generator works on integer columns (one NumPy array per column, one element per
event) and only turns them into the text columns of ``raw_live_events`` when writing
(see ``gen_output``). This module holds what the simulation (``gen_world`` and its stages), the
problem injection (``gen_problems``) and the formatter share.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

MS_PER_S = 1_000
MS_PER_MIN = 60_000
MS_PER_H = 3_600_000
MS_PER_DAY = 86_400_000


@dataclass(frozen=True)
class GeneratorConfig:
    """What to generate. Defaults are the committed demo set (``seeds/demo``)."""

    days: int = 64
    creators: int = 40
    viewers: int = 480
    seed: int = 7
    start: dt.date = dt.date(2026, 9, 28)
    # planted incidents (gen_streams.CRASH_SPIKE_*, ALERT_OUTAGE_*) for the demo's anomaly story: a UTC day on
    # which many streams crash, and one on which live alerts stop reaching phones for some hours; None, or a
    # day outside the simulated days, plants nothing
    crash_spike: dt.date | None = dt.date(2026, 11, 29)
    alert_outage: dt.date | None = dt.date(2026, 11, 29)

    def day_index(self, day: dt.date | None) -> int | None:
        """``day`` as a day index from ``start``; None when it is None or outside the simulated days."""
        if day is None:
            return None
        index = (day - self.start).days
        return index if 0 <= index < self.days else None

    @property
    def start_ms(self) -> int:
        """Midnight UTC of the first day, in epoch milliseconds."""
        epoch = dt.date(1970, 1, 1)
        return (self.start - epoch).days * MS_PER_DAY

    def rng(self, stage: str) -> np.random.Generator:
        """An independent random stream per named stage, derived from the seed.

        Using one stream per stage keeps a change in one part of the simulation from
        reshuffling every other part.
        """
        stage_key = int.from_bytes(stage.encode("utf-8")[:16].ljust(16, b"\0"), "little")
        return np.random.default_rng([self.seed, stage_key])


# --- event types (codes are positions; order follows docs/contract/events.md §Event types) ---

EVENT_TYPES: tuple[str, ...] = (
    "stream_started",
    "stream_ended",
    "notification_sent",
    "notification_opened",
    "notification_opt_out",
    "viewer_joined",
    "viewer_left",
    "playback_stats",
    "comment_posted",
    "creator_replied",
    "like_sent",
    "stream_shared",
    "creator_followed",
    "gift_sent",
    "gift_refunded",
    "gift_blocked",
    "ad_impression",
    "ad_clicked",
    "stream_reported",
    "moderation_action",
)
ET: Mapping[str, int] = {name: code for code, name in enumerate(EVENT_TYPES)}

# Event types outside the contract, injected as the `unknown_event_type` problem, with the
# (valid JSON object) properties they carry. Their codes follow the known ones.
UNKNOWN_EVENT_TYPES: tuple[tuple[str, str], ...] = (
    ("stream_paused", '{"reason":"network"}'),
    ("viewer_joined_v2", '{"source":"for_you","experiment":"join_v2"}'),
    ("live_heartbeat", '{"viewers":12}'),
    ("gift_combo_started", '{"gift_id":"gift_01"}'),
)
ALL_EVENT_TYPE_NAMES: tuple[str, ...] = EVENT_TYPES + tuple(name for name, _ in UNKNOWN_EVENT_TYPES)

# --- enumerations used in properties ----------------------------------------------------

CATEGORIES: tuple[str, ...] = ("gaming", "music", "talk", "beauty", "sports", "education")
END_REASONS: tuple[str, ...] = ("creator_ended", "crashed", "banned")
JOIN_SOURCES: tuple[str, ...] = ("notification", "for_you", "following", "profile", "share_link", "search")
SHARE_CHANNELS: tuple[str, ...] = ("copy_link", "whatsapp", "instagram", "messenger", "sms", "x")
BLOCK_REASONS: tuple[str, ...] = ("underage", "spending_limit", "payment_failed")
REPORT_REASONS: tuple[str, ...] = (
    "spam",
    "harassment",
    "nudity",
    "violence",
    "minor_safety",
    "misinformation",
    "other",
)
MODERATION_ACTIONS: tuple[str, ...] = ("warn", "mute", "remove_viewer", "end_stream")
PLATFORMS: tuple[str, ...] = ("ios", "android", "web")


# --- injected problems: labels attached to each raw row ---------------------------------


@dataclass(frozen=True)
class Problem:
    """A label for raw rows. ``kind`` says what the warehouse must do with such a row.

    kind: ``quarantine`` (must end in quarantine with a reason), ``duplicate`` (a repeated
    delivery, dropped and counted), ``valid`` (a legitimate edge case the models must handle).
    The name of a ``quarantine`` or ``duplicate`` problem is the warehouse's reason code for
    such a row (``seeds/dq_reason_codes.csv``); ``valid`` problems have no reason code.
    """

    code: int
    name: str
    kind: str
    description: str


PROBLEMS: tuple[Problem, ...] = (
    Problem(0, "none", "valid", "ordinary row"),
    Problem(1, "duplicate_delivery", "duplicate", "re-sent copy: same event_id and columns, later received_at"),
    Problem(2, "late_arrival", "valid", "received 1-48 h after event_at"),
    Problem(3, "clock_ahead_tolerated", "valid", "event_at 5 s-4 min after received_at (within the 5 min tolerance)"),
    Problem(4, "unparseable_event_at", "quarantine", "event_at is garbage or empty"),
    Problem(5, "unknown_event_type", "quarantine", "event_type outside the contract"),
    Problem(6, "missing_user_id", "quarantine", "user_id empty"),
    Problem(7, "missing_stream_id", "quarantine", "stream_id empty on a type that needs one"),
    Problem(8, "properties_not_object", "quarantine", "properties is truncated JSON, null, an array or plain text"),
    Problem(9, "missing_required_property", "quarantine", "properties lacks a required field"),
    Problem(10, "non_positive_quantity", "quarantine", "gift quantity or like count is 0 or negative"),
    Problem(11, "unknown_gift_id", "quarantine", "gift_sent with a gift_id not in gift_catalog"),
    Problem(12, "unknown_campaign_id", "quarantine", "ad_impression with a campaign_id not in ad_campaigns"),
    Problem(13, "future_event_at", "quarantine", "event_at more than 5 min after received_at"),
    Problem(14, "orphan_leave", "quarantine", "viewer_left with no open session of that viewer in that stream"),
    Problem(15, "stream_not_started", "quarantine", "any event of a stream whose stream_started was never sent"),
    Problem(16, "unknown_refund_txn", "quarantine", "gift_refunded of a gift_txn_id never sent"),
    Problem(17, "repeated_refund", "quarantine", "second gift_refunded of an already refunded gift_txn_id"),
    Problem(18, "reconnect", "valid", "extra viewer_joined while that viewer's session is open (ignored)"),
    Problem(19, "join_before_stream_start", "valid", "viewer_joined slightly before stream_started (clipped)"),
    Problem(20, "repeat_ad_click", "valid", "second ad_clicked of the same impression (counts once)"),
    Problem(21, "reply_after_stream_end", "valid", "creator_replied after the stream ended (not a live reply)"),
)
PROBLEM_CODE: Mapping[str, int] = {p.name: p.code for p in PROBLEMS}

# --- how problems show in the written columns (shared by gen_problems and gen_output) ----

# Properties variants (the `pvar` column): how an event's properties JSON is written.
PVAR_PLAIN = 0  # compact JSON object
PVAR_PRETTY = 1  # pretty-printed JSON object (raw newlines inside the CSV field)
PVAR_MISSING_PROPERTY = 2  # compact object without MISSING_PROPERTY[event type]
PVAR_TRUNCATED = 3  # the compact object cut after a few characters
PVAR_NULL = 4  # the JSON literal null
PVAR_ARRAY = 5  # the compact object inside a JSON array
PVAR_TEXT = 6  # plain text, not JSON
PVAR_NOT_OBJECT: tuple[int, ...] = (PVAR_TRUNCATED, PVAR_NULL, PVAR_ARRAY, PVAR_TEXT)  # `properties_not_object`

# The event types that can lose a required property under `missing_required_property`, and
# the property each one loses.
MISSING_PROPERTY: Mapping[str, str] = {
    "gift_sent": "gift_id",
    "like_sent": "count",
    "comment_posted": "comment_id",
    "ad_impression": "campaign_id",
    "ad_clicked": "impression_id",
    "gift_refunded": "gift_txn_id",
    "notification_opened": "notification_id",
    "creator_followed": "creator_id",
}

# Ids outside the reference tables, for `unknown_gift_id` / `unknown_campaign_id`. A gift or
# campaign slot value of UNKNOWN_ID_BASE + k selects the k-th of these.
UNKNOWN_GIFT_IDS: tuple[str, ...] = ("gift_99", "gift_legacy_rose", "GIFT_01")
UNKNOWN_CAMPAIGN_IDS: tuple[str, ...] = ("cmp_999", "cmp_test")
UNKNOWN_ID_BASE = 10_000


# --- the columnar event store -------------------------------------------------------------

# Integer columns of one event. Generic property slots a-d and `text` hold per-type fields
# (documented in gen_output.PROPERTY_FIELDS); -1 means "absent".
EVENT_COLUMNS: Mapping[str, type] = {
    "etype": np.int16,  # code into ALL_EVENT_TYPE_NAMES
    "t_event": np.int64,  # event_at, epoch ms (as written, i.e. after clock problems)
    "t_recv": np.int64,  # received_at, epoch ms
    "actor": np.int32,  # who sent it: drives platform / app_version / country
    "user": np.int32,  # what the user_id column shows (-1: empty)
    "stream": np.int32,  # stream index (-1: empty)
    "a": np.int64,
    "b": np.int64,
    "c": np.int64,
    "d": np.int64,
    "text": np.int32,  # index into a text pool (titles, comments, replies)
    "pvar": np.int8,  # properties variant, see PVAR_*
    "tvar": np.int16,  # >= 0: event_at replaced by gen_problems.GARBAGE_TIMESTAMPS[tvar]
    "eid": np.int64,  # event number (event_id is derived from it)
    "copy": np.int8,  # 0 original delivery, 1.. re-sent copies
    "problem": np.int8,  # PROBLEMS code
    "ref": np.bool_,  # referenced by another event (opened / replied / refunded / clicked)
}


class Events:
    """A table of events as equal-length NumPy arrays, one per EVENT_COLUMNS entry."""

    __slots__ = ("cols",)

    def __init__(self, cols: Mapping[str, np.ndarray]) -> None:
        lengths = {len(v) for v in cols.values()}
        if len(lengths) > 1 or set(cols) != set(EVENT_COLUMNS):
            raise ValueError("Events needs every column, all of one length")
        self.cols: dict[str, np.ndarray] = {
            name: np.asarray(cols[name], dtype=dtype) for name, dtype in EVENT_COLUMNS.items()
        }

    @classmethod
    def make(
        cls,
        etype: int,
        t: np.ndarray,
        actor: np.ndarray,
        stream: np.ndarray | int,
        **fields: np.ndarray | int,
    ) -> Events:
        """Events of one type; fields not given get their "absent" default."""
        n = len(t)
        cols: dict[str, np.ndarray] = {}
        defaults = {
            "a": -1,
            "b": -1,
            "c": -1,
            "d": -1,
            "text": -1,
            "pvar": PVAR_PLAIN,
            "tvar": -1,
            "eid": -1,
            "copy": 0,
            "problem": 0,
            "ref": False,
        }
        for name, dtype in EVENT_COLUMNS.items():
            if name == "etype":
                value: np.ndarray | int = etype
            elif name == "t_event":
                value = t
            elif name == "t_recv":
                value = t
            elif name in ("actor", "user"):
                value = actor
            elif name == "stream":
                value = stream
            else:
                value = fields.pop(name, defaults[name])
            cols[name] = np.broadcast_to(np.asarray(value, dtype=dtype), (n,)).copy()
        if fields:
            raise TypeError(f"unknown event fields: {sorted(fields)}")
        return cls(cols)

    @classmethod
    def concat(cls, parts: Iterable[Events]) -> Events:
        parts = list(parts)
        return cls({name: np.concatenate([p.cols[name] for p in parts]) for name in EVENT_COLUMNS})

    def take(self, index: np.ndarray | slice) -> Events:
        return Events({name: col[index] for name, col in self.cols.items()})

    def __len__(self) -> int:
        return len(self.cols["etype"])

    def __getitem__(self, name: str) -> np.ndarray:
        return self.cols[name]

    def __setitem__(self, name: str, value: np.ndarray) -> None:
        self.cols[name] = np.asarray(value, dtype=EVENT_COLUMNS[name])


def counts_by(codes: np.ndarray, names: Sequence[str]) -> dict[str, int]:
    """How many of each code, by name, in name order, zeros included."""
    counts = np.bincount(codes.astype(np.int64), minlength=len(names))
    return {name: int(counts[i]) for i, name in enumerate(names)}


# --- small vectorised helpers (shared by the stages of the simulation) ---------------------


def lognormal(rng: np.random.Generator, median: float, sigma: float, n: int) -> np.ndarray:
    return median * np.exp(sigma * rng.standard_normal(n))


def choice(rng: np.random.Generator, shares: np.ndarray | tuple[float, ...] | list[float], n: int) -> np.ndarray:
    p = np.asarray(shares, dtype=np.float64)
    return rng.choice(len(p), size=n, p=p / p.sum())


def repeat_index(counts: np.ndarray) -> np.ndarray:
    """[0,0,1,2,2,2] for counts [2,1,3]."""
    return np.repeat(np.arange(len(counts)), counts)


def rank_in_group(counts: np.ndarray) -> np.ndarray:
    """Position of each expanded row inside its group: [0,1,0,0,1,2] for counts [2,1,3]."""
    total = int(counts.sum())
    starts = np.cumsum(counts) - counts
    return np.arange(total) - np.repeat(starts, counts)
