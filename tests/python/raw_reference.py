"""An independent reference computation of the live-streaming numbers, straight from the raw files.

Written from the contract only (the repo's docs/contract/events.md and docs/contract/metrics.md), in plain
Python, without reading the project's SQL: the tests compare it with the warehouse marts and with MetricFlow.
Nothing here runs SQL over the raw data.

Pipeline (each step one function):

1. ``load_raw_rows`` / ``load_reference_tables``: the raw folder as text rows and reference tables.
2. ``classify_rows``: the ingestion outcome of every raw row (``clean``, ``duplicate`` or
   ``quarantined`` with a reason code), checking the rules in the contract's order, first failure wins.
3. ``build_streams``, ``build_sessions``, ``peak_concurrency``, ``build_comments``, ``build_gifts``,
   ``build_refunds``, ``build_ad_impressions``, ``build_notifications``, ``creator_day_hours``:
   the modelled facts from the clean events.
4. ``*_by_day`` functions: each of the 46 catalogue metrics and the 11 growth-stage metrics
   (``DAILY_METRICS``) per UTC day, read from the contract: an event counts on the day of its event_at, a
   stream or session on the day it starts, a refund on the refund's day; the notification join rate counts
   each notification at most once; a D7 retention has a value only on days D with D + 7 days <= the last
   day a stream was live (``last_live_day``).

Times are integers (microseconds since the Unix epoch, UTC) so that comparisons and sums are exact; money
is ``Decimal``.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import functools
import gzip
import json
import math
import re
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

# ---------------------------------------------------------------------------------------------------
# Constants of the contract

MICROS_PER_SECOND = 1_000_000
MICROS_PER_MINUTE = 60 * MICROS_PER_SECOND
MICROS_PER_HOUR = 60 * MICROS_PER_MINUTE
MICROS_PER_DAY = 24 * MICROS_PER_HOUR
FUTURE_TOLERANCE = 5 * MICROS_PER_MINUTE
CONVERSION_WINDOW = MICROS_PER_HOUR
BURNOUT_HOURS = 6.0
WHALE_DAY_USD = Decimal(100)
EPOCH_DATE = dt.date(1970, 1, 1)

# event_type -> properties every event of that type must carry (not null and not empty; spaces are a value)
REQUIRED_PROPERTIES: dict[str, tuple[str, ...]] = {
    "stream_started": ("title", "category"),
    "stream_ended": ("end_reason",),
    "notification_sent": ("notification_id", "creator_id"),
    "notification_opened": ("notification_id",),
    "notification_opt_out": ("creator_id",),
    # a missing source keeps the join, as source "unknown" (docs/contract/events.md §Changes, 2026-12-06)
    "viewer_joined": (),
    "viewer_left": (),
    "playback_stats": ("startup_ms", "rebuffer_ms", "played_ms"),
    "comment_posted": ("comment_id", "text"),
    "creator_replied": ("comment_id", "text"),
    "like_sent": ("count",),
    "stream_shared": ("channel",),
    "creator_followed": ("creator_id",),
    "gift_sent": ("gift_txn_id", "gift_id", "quantity"),
    "gift_refunded": ("gift_txn_id",),
    "gift_blocked": ("gift_id", "quantity", "reason"),
    "ad_impression": ("impression_id", "campaign_id"),
    "ad_clicked": ("impression_id",),
    "stream_reported": ("reason",),
    "moderation_action": ("action", "target_user_id"),
}
TYPES_WITHOUT_STREAM = frozenset({"notification_opt_out"})

# event_type -> (property, allowed values)
ENUM_PROPERTIES: dict[str, tuple[tuple[str, frozenset[str]], ...]] = {
    "stream_ended": (("end_reason", frozenset({"creator_ended", "crashed", "banned"})),),
    "gift_blocked": (("reason", frozenset({"underage", "spending_limit", "payment_failed"})),),
    "moderation_action": (("action", frozenset({"warn", "mute", "remove_viewer", "end_stream"})),),
}
# the join sources docs/contract/events.md lists; any other value, or none, is kept as "unknown" (2026-12-06)
KNOWN_JOIN_SOURCES = frozenset({"notification", "for_you", "following", "profile", "share_link", "search"})
UNKNOWN_SOURCE = "unknown"
# event_type -> properties that must be whole numbers, then strictly positive
COUNT_PROPERTIES: dict[str, tuple[str, ...]] = {
    "like_sent": ("count",),
    "gift_sent": ("quantity",),
    "gift_blocked": ("quantity",),
}
# event_type -> properties that must be numbers >= 0
NON_NEGATIVE_PROPERTIES: dict[str, tuple[str, ...]] = {
    "playback_stats": ("startup_ms", "rebuffer_ms", "played_ms"),
}
# event_type -> (property, bound of plausibility): a number above it is implausible_value
AT_MOST_PROPERTIES: dict[str, tuple[tuple[str, int], ...]] = {
    "playback_stats": (("startup_ms", 600_000), ("rebuffer_ms", 86_400_000), ("played_ms", 86_400_000)),
    "like_sent": (("count", 10_000),),
    "gift_sent": (("quantity", 10_000),),
    "gift_blocked": (("quantity", 10_000),),
}
# event_type -> the property holding its business id (None: the stream_id column)
BUSINESS_KEYS: dict[str, str | None] = {
    "stream_started": None,
    "stream_ended": None,
    "notification_sent": "notification_id",
    "comment_posted": "comment_id",
    "gift_sent": "gift_txn_id",
    "ad_impression": "impression_id",
}

REASONS: tuple[str, ...] = (
    "missing_event_id",
    "unknown_event_type",
    "unparseable_event_at",
    "unparseable_received_at",
    "future_event_at",
    "missing_user_id",
    "missing_stream_id",
    "properties_not_object",
    "missing_required_property",
    "invalid_property_value",
    "non_positive_quantity",
    "implausible_value",
    "unknown_gift_id",
    "unknown_campaign_id",
    "duplicate_business_key",
    "stream_not_started",
    "orphan_leave",
    "unknown_refund_txn",
    "repeated_refund",
)
CLEAN, DUPLICATE, QUARANTINED = "clean", "duplicate", "quarantined"
CRASH_END_REASONS = frozenset({"crashed", "no_end_event"})

_TIMESTAMP = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?Z")
_INTEGER_TEXT = re.compile(r"[+-]?\d+")


# ---------------------------------------------------------------------------------------------------
# Raw input


RAW_COLUMNS = ("event_id", "event_type", "event_at", "received_at", "user_id", "stream_id", "properties")


@dataclass(frozen=True)
class RawRow:
    """One raw row as delivered, all text (NULL and '' alike); ``row_number`` is 1-based in file order."""

    row_number: int
    event_id: str
    event_type: str
    event_at: str
    received_at: str
    user_id: str
    stream_id: str
    properties: str


@dataclass(frozen=True)
class ReferenceTables:
    gift_coin_cost: dict[str, int]
    coin_prices: tuple[tuple[dt.date, Decimal], ...]  # (valid_from, usd_per_coin), sorted
    campaign_cpm_usd: dict[str, Decimal]


def _open_text(path: Path):  # noqa: ANN202 - a text file object
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return path.open(encoding="utf-8", newline="")


def _find_file(folder: Path, stem: str) -> Path:
    for name in (f"{stem}.csv.gz", f"{stem}.csv"):
        if (folder / name).exists():
            return folder / name
    raise FileNotFoundError(f"no {stem}.csv(.gz) in {folder}")


def _read_csv(path: Path) -> list[dict[str, str]]:
    with _open_text(path) as handle:
        return [{key: (value or "") for key, value in row.items()} for row in csv.DictReader(handle)]


def load_raw_rows(folder: Path) -> list[RawRow]:
    """The event log in file order (gzip or plain CSV with a header, RFC-4180 quoting)."""
    with _open_text(_find_file(folder, "raw_live_events")) as handle:
        reader = csv.reader(handle)
        header = next(reader)
        columns = [header.index(name) for name in RAW_COLUMNS]
        return [
            RawRow(number, *(row[index] if index < len(row) else "" for index in columns))
            for number, row in enumerate(reader, start=1)
        ]


def load_reference_tables(folder: Path) -> ReferenceTables:
    gifts = {row["gift_id"]: int(row["coin_cost"]) for row in _read_csv(_find_file(folder, "gift_catalog"))}
    prices = sorted(
        (dt.date.fromisoformat(row["valid_from"]), Decimal(row["usd_per_coin"]))
        for row in _read_csv(_find_file(folder, "coin_prices"))
    )
    campaigns = {row["campaign_id"]: Decimal(row["cpm_usd"]) for row in _read_csv(_find_file(folder, "ad_campaigns"))}
    return ReferenceTables(gift_coin_cost=gifts, coin_prices=tuple(prices), campaign_cpm_usd=campaigns)


# ---------------------------------------------------------------------------------------------------
# Parsing helpers


def parse_timestamp(text: str) -> int | None:
    """``YYYY-MM-DDTHH:MM:SS(.fff)Z`` (UTC) as microseconds since the epoch.

    None unless the text is exactly that shape and a real calendar time.
    """
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction = match.groups()
    days = _days_since_epoch(year, month, day)
    if days is None or int(hour) > 23 or int(minute) > 59 or int(second) > 59:
        return None
    seconds = ((days * 24 + int(hour)) * 60 + int(minute)) * 60 + int(second)
    return seconds * MICROS_PER_SECOND + (int(fraction.ljust(6, "0")) if fraction else 0)


@functools.lru_cache(maxsize=4096)
def _days_since_epoch(year: str, month: str, day: str) -> int | None:
    """Days from 1970-01-01 to a calendar date given as digits; None if the date does not exist."""
    try:
        return (dt.date(int(year), int(month), int(day)) - EPOCH_DATE).days
    except ValueError:
        return None


def day_of(micros: int) -> dt.date:
    """The UTC day of a time."""
    return EPOCH_DATE + dt.timedelta(days=micros // MICROS_PER_DAY)


def day_start(day: dt.date) -> int:
    return (day - EPOCH_DATE).days * MICROS_PER_DAY


def parse_properties(text: str) -> dict[str, Any] | None:
    """The properties JSON if it is an object, else None."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def as_whole_number(value: Any) -> int | None:
    """The value as an integer if it is a whole number (JSON integer, integral float, or integer text)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    if isinstance(value, str) and _INTEGER_TEXT.fullmatch(value.strip()):
        return int(value.strip())
    return None


def as_number(value: Any) -> float | None:
    """The value as a finite number (JSON number or numeric text), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


# ---------------------------------------------------------------------------------------------------
# Ingestion: duplicates and quarantine


@dataclass(frozen=True)
class Event:
    """A row that passed the row-level rules, parsed."""

    row_number: int
    event_id: str
    event_type: str
    at: int
    received_at: int
    user_id: str
    stream_id: str
    props: dict[str, Any]

    @property
    def day(self) -> dt.date:
        return day_of(self.at)


@dataclass(frozen=True)
class Ingestion:
    outcome: dict[int, str]  # row_number -> clean / duplicate / quarantined
    reason: dict[int, str]  # row_number -> reason code, quarantined rows only
    clean: tuple[Event, ...]  # clean events in file order

    def count(self, outcome: str) -> int:
        return sum(1 for value in self.outcome.values() if value == outcome)

    def quarantined_by_reason(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for reason in self.reason.values():
            counts[reason] += 1
        return dict(counts)


def find_duplicate_deliveries(rows: Iterable[RawRow]) -> set[int]:
    """Row numbers of repeated deliveries: per event_id, all but the copy received first (ties: file order)."""
    by_id: dict[str, list[RawRow]] = defaultdict(list)
    for row in rows:
        if not is_blank(row.event_id):
            by_id[row.event_id].append(row)
    duplicates: set[int] = set()
    for copies in by_id.values():
        if len(copies) < 2:
            continue

        def first_received(row: RawRow) -> tuple[float, int]:
            received = parse_timestamp(row.received_at)
            return (math.inf if received is None else received, row.row_number)

        keep = min(copies, key=first_received)
        duplicates.update(row.row_number for row in copies if row is not keep)
    return duplicates


def _is_one_of(value: Any, allowed: Collection[str]) -> bool:
    return isinstance(value, str) and value in allowed


@dataclass(frozen=True)
class PropertyRule:
    """A rule on an event's properties: ``kind`` is how it is checked (property_rule_broken)."""

    event_type: str
    kind: str  # required | whole_number | positive | non_negative | at_most | allowed
    reason: str
    fields: tuple[str, ...]
    value: int | frozenset[str] | None = None  # the bound (at_most) or the allowed values (allowed)


def _property_rules() -> tuple[PropertyRule, ...]:
    """The property rules in the order they are checked (the first a row breaks is its reason): every type's
    required properties, then type by type its whole numbers (each: a whole number, then >= 1), its numbers
    >= 0, its bounds and its closed sets."""
    rules = [
        PropertyRule(event_type, "required", "missing_required_property", fields)
        for event_type, fields in REQUIRED_PROPERTIES.items()
        if fields
    ]
    for event_type in REQUIRED_PROPERTIES:
        for name in COUNT_PROPERTIES.get(event_type, ()):
            rules.append(PropertyRule(event_type, "whole_number", "invalid_property_value", (name,)))
            rules.append(PropertyRule(event_type, "positive", "non_positive_quantity", (name,)))
        for name in NON_NEGATIVE_PROPERTIES.get(event_type, ()):
            rules.append(PropertyRule(event_type, "non_negative", "invalid_property_value", (name,)))
        for name, bound in AT_MOST_PROPERTIES.get(event_type, ()):
            rules.append(PropertyRule(event_type, "at_most", "implausible_value", (name,), bound))
        for name, allowed in ENUM_PROPERTIES.get(event_type, ()):
            rules.append(PropertyRule(event_type, "allowed", "invalid_property_value", (name,), allowed))
    return tuple(rules)


PROPERTY_RULES = _property_rules()
# the same rules by event type, in order (property_failure reads only its row's type's)
PROPERTY_RULES_BY_TYPE: dict[str, tuple[PropertyRule, ...]] = {
    event_type: tuple(rule for rule in PROPERTY_RULES if rule.event_type == event_type)
    for event_type in REQUIRED_PROPERTIES
}


def property_rule_broken(rule: PropertyRule, props: Mapping[str, Any]) -> bool:
    """Whether ``props`` (of an event of ``rule.event_type``) breaks ``rule``; the rules before it hold."""
    values = [props.get(name) for name in rule.fields]
    if rule.kind == "required":  # present: not null and not empty (a text of spaces is present)
        return any(value is None or value == "" for value in values)
    if rule.kind == "whole_number":
        return as_whole_number(values[0]) is None
    if rule.kind == "positive":
        return as_whole_number(values[0]) < 1  # type: ignore[operator]  (a whole number: the rule before)
    if rule.kind == "non_negative":
        number = as_number(values[0])
        return number is None or number < 0
    if rule.kind == "at_most":
        number = as_number(values[0])
        return number is not None and number > rule.value  # type: ignore[operator]
    if rule.kind == "allowed":
        return not _is_one_of(values[0], rule.value)  # type: ignore[arg-type]
    raise ValueError(f"no check for the rule kind {rule.kind}")


def property_failure(event_type: str, props: Mapping[str, Any], tables: ReferenceTables) -> str | None:
    """The first property rule the row breaks (missing_required_property .. unknown_campaign_id), if any."""
    for rule in PROPERTY_RULES_BY_TYPE[event_type]:
        if property_rule_broken(rule, props):
            return rule.reason
    if event_type in ("gift_sent", "gift_blocked") and not _is_one_of(props["gift_id"], tables.gift_coin_cost):
        return "unknown_gift_id"
    if event_type == "ad_impression" and not _is_one_of(props["campaign_id"], tables.campaign_cpm_usd):
        return "unknown_campaign_id"
    return None


class _ParsedRow:
    """A raw row's values as the row rules read them, each parsed once, when first read."""

    def __init__(self, row: RawRow) -> None:
        self.row = row

    @functools.cached_property
    def event_at(self) -> int | None:
        return parse_timestamp(self.row.event_at)

    @functools.cached_property
    def received_at(self) -> int | None:
        return parse_timestamp(self.row.received_at)

    @functools.cached_property
    def props(self) -> dict[str, Any] | None:
        return parse_properties(self.row.properties)


# The rules on the row itself, in the order they are checked (the property rules follow, PROPERTY_RULES);
# each is checked only when the ones before it hold.
ROW_RULES: tuple[tuple[str, Callable[[_ParsedRow], bool]], ...] = (
    ("missing_event_id", lambda parsed: is_blank(parsed.row.event_id)),
    ("unknown_event_type", lambda parsed: parsed.row.event_type not in REQUIRED_PROPERTIES),
    ("unparseable_event_at", lambda parsed: parsed.event_at is None),
    ("unparseable_received_at", lambda parsed: parsed.received_at is None),
    ("future_event_at", lambda parsed: parsed.event_at > parsed.received_at + FUTURE_TOLERANCE),  # type: ignore[operator]
    ("missing_user_id", lambda parsed: is_blank(parsed.row.user_id)),
    (
        "missing_stream_id",
        lambda parsed: parsed.row.event_type not in TYPES_WITHOUT_STREAM and is_blank(parsed.row.stream_id),
    ),
    ("properties_not_object", lambda parsed: parsed.props is None),
)


def row_failure(row: RawRow, tables: ReferenceTables) -> tuple[str | None, Event | None]:
    """Rules that need only the row itself, in order: (first failing reason, None) or (None, the parsed event)."""
    parsed = _ParsedRow(row)
    for reason, broken in ROW_RULES:
        if broken(parsed):
            return reason, None
    assert parsed.props is not None and parsed.event_at is not None and parsed.received_at is not None
    failure = property_failure(row.event_type, parsed.props, tables)
    if failure is not None:
        return failure, None
    event = Event(
        row_number=row.row_number,
        event_id=row.event_id,
        event_type=row.event_type,
        at=parsed.event_at,
        received_at=parsed.received_at,
        user_id=row.user_id,
        stream_id=row.stream_id,
        props=parsed.props,
    )
    return None, event


def business_key(event: Event) -> tuple[str, str] | None:
    if event.event_type not in BUSINESS_KEYS:
        return None
    name = BUSINESS_KEYS[event.event_type]
    return (event.event_type, event.stream_id if name is None else str(event.props[name]))


def find_duplicate_business_keys(events: Iterable[Event]) -> set[int]:
    """Row numbers of events reusing another clean event's business id (earliest event_at wins, ties: file order)."""
    by_key: dict[tuple[str, str], list[Event]] = defaultdict(list)
    for event in events:
        key = business_key(event)
        if key is not None:
            by_key[key].append(event)
    losers: set[int] = set()
    for group in by_key.values():
        winner = min(group, key=lambda event: (event.at, event.row_number))
        losers.update(event.row_number for event in group if event.event_id != winner.event_id)
    return losers


def find_streams_not_started(events: Iterable[Event]) -> set[int]:
    """Row numbers of events of a stream that has no clean stream_started."""
    events = list(events)
    started = {event.stream_id for event in events if event.event_type == "stream_started"}
    return {event.row_number for event in events if not is_blank(event.stream_id) and event.stream_id not in started}


@dataclass(frozen=True)
class PresenceSpan:
    """A viewer's session as delimited by events: the opening join, the closing leave (if any), reconnects."""

    viewer_id: str
    stream_id: str
    join: Event
    leave: Event | None
    reconnects: int


def _presence_instants(group: list[Event]) -> Iterator[list[Event]]:
    """A viewer's joins and leaves in one stream, grouped by instant, in time order (file order within one)."""
    group = sorted(group, key=lambda event: (event.at, event.row_number))
    start = 0
    for index in range(1, len(group) + 1):
        if index == len(group) or group[index].at != group[start].at:
            yield group[start:index]
            start = index


def walk_presence(events: Iterable[Event]) -> tuple[list[PresenceSpan], set[int]]:
    """Join/leave events per viewer and stream in time order: the sessions they delimit, and the row numbers of
    leaves with no open session (orphans). At one instant (docs/contract/events.md §Changes, 2026-12-06): with a
    session open, the leaves come first (closing it) and then the joins (opening a new one); with none open, the
    joins come first and then the leaves, so a join and a leave at one instant pair into a zero-length session."""
    by_viewer_stream: dict[tuple[str, str], list[Event]] = defaultdict(list)
    for event in events:
        if event.event_type in ("viewer_joined", "viewer_left"):
            by_viewer_stream[(event.user_id, event.stream_id)].append(event)
    spans: list[PresenceSpan] = []
    orphans: set[int] = set()
    for (viewer_id, stream_id), group in by_viewer_stream.items():
        open_join: Event | None = None
        reconnects = 0
        for instant in _presence_instants(group):
            joins = [event for event in instant if event.event_type == "viewer_joined"]
            leaves = [event for event in instant if event.event_type == "viewer_left"]
            for event in leaves + joins if open_join is not None else joins + leaves:
                if event.event_type == "viewer_joined":
                    if open_join is None:
                        open_join, reconnects = event, 0
                    else:
                        reconnects += 1
                elif open_join is None:
                    orphans.add(event.row_number)
                else:
                    spans.append(PresenceSpan(viewer_id, stream_id, open_join, event, reconnects))
                    open_join = None
        if open_join is not None:
            spans.append(PresenceSpan(viewer_id, stream_id, open_join, None, reconnects))
    return spans, orphans


def join_source(join: Event) -> str:
    """The traffic source of a join: the listed source it carries, else "unknown"
    (docs/contract/events.md §Changes, 2026-12-06)."""
    source = join.props.get("source")
    return source if isinstance(source, str) and source in KNOWN_JOIN_SOURCES else UNKNOWN_SOURCE


def find_bad_refunds(events: Iterable[Event]) -> dict[int, str]:
    """Refunds of a transaction never sent (unknown_refund_txn) or already refunded (repeated_refund)."""
    events = list(events)
    sent = {str(event.props["gift_txn_id"]) for event in events if event.event_type == "gift_sent"}
    refunds = sorted(
        (event for event in events if event.event_type == "gift_refunded"),
        key=lambda event: (event.at, event.received_at, event.row_number),
    )
    bad: dict[int, str] = {}
    refunded: set[str] = set()
    for refund in refunds:
        txn = str(refund.props["gift_txn_id"])
        if txn not in sent:
            bad[refund.row_number] = "unknown_refund_txn"
        elif txn in refunded:
            bad[refund.row_number] = "repeated_refund"
        else:
            refunded.add(txn)
    return bad


def classify_rows(rows: list[RawRow], tables: ReferenceTables) -> Ingestion:
    """The outcome of every raw row, the contract's rules checked in order (first failure wins)."""
    outcome: dict[int, str] = {}
    reason: dict[int, str] = {}

    def quarantine(row_numbers: Iterable[int], code: str) -> None:
        for number in row_numbers:
            outcome[number] = QUARANTINED
            reason[number] = code

    duplicates = find_duplicate_deliveries(rows)
    survivors: list[Event] = []
    for row in rows:
        if row.row_number in duplicates:
            outcome[row.row_number] = DUPLICATE
            continue
        failure, event = row_failure(row, tables)
        if failure is not None:
            quarantine([row.row_number], failure)
        else:
            survivors.append(event)  # type: ignore[arg-type]

    def keep(events: list[Event], dropped: set[int] | dict[int, str]) -> list[Event]:
        return [event for event in events if event.row_number not in dropped]

    dropped = find_duplicate_business_keys(survivors)
    quarantine(dropped, "duplicate_business_key")
    survivors = keep(survivors, dropped)
    dropped = find_streams_not_started(survivors)
    quarantine(dropped, "stream_not_started")
    survivors = keep(survivors, dropped)
    _, dropped = walk_presence(survivors)
    quarantine(dropped, "orphan_leave")
    survivors = keep(survivors, dropped)
    bad_refunds = find_bad_refunds(survivors)
    for number, code in bad_refunds.items():
        quarantine([number], code)
    survivors = keep(survivors, bad_refunds)
    for event in survivors:
        outcome[event.row_number] = CLEAN
    return Ingestion(outcome=outcome, reason=reason, clean=tuple(survivors))


# ---------------------------------------------------------------------------------------------------
# Streams, sessions, concurrency


@dataclass(frozen=True)
class Stream:
    stream_id: str
    creator_id: str
    started_at: int
    ended_at: int
    end_reason: str

    @property
    def is_crash(self) -> bool:
        return self.end_reason in CRASH_END_REASONS


def build_streams(clean: Iterable[Event]) -> dict[str, Stream]:
    """Streams from stream_started to stream_ended, or to the stream's last clean event (``no_end_event``)."""
    starts: dict[str, Event] = {}
    ends: dict[str, Event] = {}
    last_seen: dict[str, int] = {}
    for event in clean:
        if is_blank(event.stream_id):
            continue
        last_seen[event.stream_id] = max(last_seen.get(event.stream_id, event.at), event.at)
        if event.event_type == "stream_started":
            starts[event.stream_id] = event
        elif event.event_type == "stream_ended":
            ends[event.stream_id] = event
    streams: dict[str, Stream] = {}
    for stream_id, start in starts.items():
        end = ends.get(stream_id)
        streams[stream_id] = Stream(
            stream_id=stream_id,
            creator_id=start.user_id,
            started_at=start.at,
            ended_at=end.at if end is not None else last_seen[stream_id],
            end_reason=str(end.props["end_reason"]) if end is not None else "no_end_event",
        )
    return streams


@dataclass(frozen=True)
class Session:
    viewer_id: str
    stream_id: str
    creator_id: str
    joined_at: int  # the join that opened the session, unclipped
    left_at: int | None  # the closing leave, unclipped (None: no leave)
    started_at: int  # clipped to the stream
    ended_at: int  # clipped to the stream
    reconnects: int
    source: str  # the opening join's traffic source ("unknown" when missing or unlisted)

    @property
    def minutes(self) -> float:
        return (self.ended_at - self.started_at) / MICROS_PER_MINUTE

    @property
    def day(self) -> dt.date:
        return day_of(self.started_at)


def build_sessions(clean: Iterable[Event], streams: Mapping[str, Stream]) -> list[Session]:
    """Sessions from the join/leave walk, ending at the stream end when there is no leave, clipped to the stream.
    A span with no length after clipping (wholly before the stream's start or after its end, or a join and leave
    at one instant) is not a viewing and is left out (docs/contract/events.md §Changes, 2026-12-06)."""
    spans, _ = walk_presence(clean)
    sessions: list[Session] = []
    for span in spans:
        stream = streams[span.stream_id]
        left_at = span.leave.at if span.leave is not None else None
        started_at = min(max(span.join.at, stream.started_at), stream.ended_at)
        ended_at = max(min(left_at if left_at is not None else stream.ended_at, stream.ended_at), started_at)
        if ended_at == started_at:
            continue
        sessions.append(
            Session(
                viewer_id=span.viewer_id,
                stream_id=span.stream_id,
                creator_id=stream.creator_id,
                joined_at=span.join.at,
                left_at=left_at,
                started_at=started_at,
                ended_at=ended_at,
                reconnects=span.reconnects,
                source=join_source(span.join),
            )
        )
    return sessions


def peak_concurrency(sessions: Iterable[Session], streams: Iterable[str]) -> dict[str, int]:
    """Per stream, the most sessions open at once (sweep; at equal times a leave counts before a join)."""
    changes: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for session in sessions:
        changes[session.stream_id].append((session.started_at, +1))
        changes[session.stream_id].append((session.ended_at, -1))
    peaks: dict[str, int] = {}
    for stream_id in streams:
        open_now = peak = 0
        for _, delta in sorted(changes.get(stream_id, [])):  # -1 sorts before +1 at equal times
            open_now += delta
            peak = max(peak, open_now)
        peaks[stream_id] = peak
    return peaks


# ---------------------------------------------------------------------------------------------------
# Comments, gifts, ads, notifications, creator-days


@dataclass(frozen=True)
class Comment:
    event_id: str
    comment_id: str
    stream_id: str
    commented_at: int
    replied_at: int | None  # first live reply of the stream's creator

    @property
    def latency_seconds(self) -> float | None:
        return None if self.replied_at is None else (self.replied_at - self.commented_at) / MICROS_PER_SECOND


def build_comments(clean: Iterable[Event], streams: Mapping[str, Stream]) -> list[Comment]:
    """Comments with their first reply by the stream's creator, at or after the comment, while the stream is live."""
    clean = list(clean)
    replies: dict[str, list[Event]] = defaultdict(list)
    for event in clean:
        if event.event_type == "creator_replied":
            replies[str(event.props["comment_id"])].append(event)
    comments: list[Comment] = []
    for event in clean:
        if event.event_type != "comment_posted":
            continue
        stream = streams[event.stream_id]
        comment_id = str(event.props["comment_id"])
        live_replies = [
            reply.at
            for reply in replies.get(comment_id, [])
            if reply.user_id == stream.creator_id
            and reply.at >= event.at
            and stream.started_at <= reply.at <= stream.ended_at
        ]
        comments.append(Comment(event.event_id, comment_id, event.stream_id, event.at, min(live_replies, default=None)))
    return comments


def usd_per_coin(tables: ReferenceTables, day: dt.date) -> Decimal:
    """The coin price in force on a day (the latest row with valid_from <= day)."""
    valid_froms = [valid_from for valid_from, _ in tables.coin_prices]
    index = bisect.bisect_right(valid_froms, day) - 1
    if index < 0:
        raise ValueError(f"no coin price in force on {day}")
    return tables.coin_prices[index][1]


@dataclass(frozen=True)
class Gift:
    txn_id: str
    viewer_id: str
    stream_id: str
    sent_at: int
    coins: int
    usd: Decimal

    @property
    def diamonds(self) -> int:
        return self.coins // 2

    @property
    def day(self) -> dt.date:
        return day_of(self.sent_at)


@dataclass(frozen=True)
class Refund:
    txn_id: str
    refunded_at: int
    coins: int
    usd: Decimal

    @property
    def diamonds(self) -> int:
        """The diamonds the refund reverses: those the gift credited (half its coins, rounded down)."""
        return self.coins // 2

    @property
    def day(self) -> dt.date:
        return day_of(self.refunded_at)


def build_gifts(clean: Iterable[Event], tables: ReferenceTables) -> list[Gift]:
    """Gifts sent: coins = coin_cost x quantity, USD at the coin price in force on the UTC day sent."""
    gifts: list[Gift] = []
    for event in clean:
        if event.event_type != "gift_sent":
            continue
        quantity = as_whole_number(event.props["quantity"])
        assert quantity is not None  # clean events passed invalid_property_value
        coins = tables.gift_coin_cost[event.props["gift_id"]] * quantity
        gifts.append(
            Gift(
                txn_id=str(event.props["gift_txn_id"]),
                viewer_id=event.user_id,
                stream_id=event.stream_id,
                sent_at=event.at,
                coins=coins,
                usd=coins * usd_per_coin(tables, event.day),
            )
        )
    return gifts


def build_refunds(clean: Iterable[Event], gifts: Iterable[Gift]) -> list[Refund]:
    """Valid refunds, valued as the gift was sent, on the refund's day."""
    by_txn = {gift.txn_id: gift for gift in gifts}
    return [
        Refund(
            txn_id=str(event.props["gift_txn_id"]),
            refunded_at=event.at,
            coins=by_txn[str(event.props["gift_txn_id"])].coins,
            usd=by_txn[str(event.props["gift_txn_id"])].usd,
        )
        for event in clean
        if event.event_type == "gift_refunded"
    ]


@dataclass(frozen=True)
class AdImpression:
    impression_id: str
    viewer_id: str
    shown_at: int
    revenue_usd: Decimal
    clicked: bool

    @property
    def day(self) -> dt.date:
        return day_of(self.shown_at)


def build_ad_impressions(clean: Iterable[Event], tables: ReferenceTables) -> list[AdImpression]:
    """Impressions earning cpm_usd / 1000, clicked if any clean click names them (a click counts once)."""
    clean = list(clean)
    clicked = {str(event.props["impression_id"]) for event in clean if event.event_type == "ad_clicked"}
    return [
        AdImpression(
            impression_id=str(event.props["impression_id"]),
            viewer_id=event.user_id,
            shown_at=event.at,
            revenue_usd=tables.campaign_cpm_usd[event.props["campaign_id"]] / 1000,
            clicked=str(event.props["impression_id"]) in clicked,
        )
        for event in clean
        if event.event_type == "ad_impression"
    ]


@dataclass(frozen=True)
class Notification:
    notification_id: str
    recipient_id: str
    creator_id: str
    sent_at: int

    @property
    def day(self) -> dt.date:
        return day_of(self.sent_at)


def build_notifications(clean: Iterable[Event]) -> list[Notification]:
    return [
        Notification(str(event.props["notification_id"]), event.user_id, str(event.props["creator_id"]), event.at)
        for event in clean
        if event.event_type == "notification_sent"
    ]


def creator_day_hours(streams: Iterable[Stream]) -> dict[tuple[str, dt.date], float]:
    """Hours live per creator and UTC day, streams split at midnight (a stream's start day always counts)."""
    hours: dict[tuple[str, dt.date], float] = defaultdict(float)
    for stream in streams:
        hours[(stream.creator_id, day_of(stream.started_at))] += 0.0
        cursor = stream.started_at
        while cursor < stream.ended_at:
            day = day_of(cursor)
            segment_end = min(stream.ended_at, day_start(day) + MICROS_PER_DAY)
            hours[(stream.creator_id, day)] += (segment_end - cursor) / MICROS_PER_HOUR
            cursor = segment_end
    return dict(hours)


# ---------------------------------------------------------------------------------------------------
# Everything at once


@dataclass(frozen=True)
class Reference:
    raw_rows: int
    ingestion: Ingestion
    streams: dict[str, Stream]
    sessions: list[Session]
    peaks: dict[str, int]
    comments: list[Comment]
    gifts: list[Gift]
    refunds: list[Refund]
    ads: list[AdImpression]
    notifications: list[Notification]
    creator_days: dict[tuple[str, dt.date], float]
    seconds: float


@functools.lru_cache(maxsize=4)
def cached_reference(folder: Path) -> Reference:
    """``compute_reference`` once per folder and process (the test modules share it)."""
    return compute_reference(folder.resolve())


def compute_reference(folder: Path) -> Reference:
    """Every reference fact from the raw folder (``seconds``: how long it took)."""
    started = time.perf_counter()
    rows = load_raw_rows(folder)
    tables = load_reference_tables(folder)
    ingestion = classify_rows(rows, tables)
    streams = build_streams(ingestion.clean)
    sessions = build_sessions(ingestion.clean, streams)
    gifts = build_gifts(ingestion.clean, tables)
    return Reference(
        raw_rows=len(rows),
        ingestion=ingestion,
        streams=streams,
        sessions=sessions,
        peaks=peak_concurrency(sessions, streams),
        comments=build_comments(ingestion.clean, streams),
        gifts=gifts,
        refunds=build_refunds(ingestion.clean, gifts),
        ads=build_ad_impressions(ingestion.clean, tables),
        notifications=build_notifications(ingestion.clean),
        creator_days=creator_day_hours(streams.values()),
        seconds=time.perf_counter() - started,
    )


# ---------------------------------------------------------------------------------------------------
# Metrics per UTC day


def _ratio(numerator: Mapping[dt.date, Any], denominator: Mapping[dt.date, Any]) -> dict[dt.date, float]:
    """Per day with a non-zero denominator; a day without numerator data counts 0."""
    return {day: float(numerator.get(day, 0)) / float(value) for day, value in denominator.items() if value}


def _count_by_day(days: Iterable[dt.date]) -> dict[dt.date, int]:
    counts: dict[dt.date, int] = defaultdict(int)
    for day in days:
        counts[day] += 1
    return dict(counts)


def _sum_by_day(pairs: Iterable[tuple[dt.date, Any]], zero: Any = 0) -> dict[dt.date, Any]:
    sums: dict[dt.date, Any] = defaultdict(lambda: zero)
    for day, value in pairs:
        sums[day] += value
    return dict(sums)


def period_start(day: dt.date, grain: str) -> dt.date:
    """The first day of the day's period: itself, its ISO week's Monday, or the first of its month."""
    if grain == "day":
        return day
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    raise ValueError(f"unknown grain {grain}")


def watch_minutes_by_period(ref: Reference, grain: str = "day") -> dict[dt.date, float]:
    """live_watch_minutes by session (clipped start) period: summed in microseconds, then converted."""
    micros = _sum_by_day(
        (period_start(session.day, grain), session.ended_at - session.started_at) for session in ref.sessions
    )
    return {day: value / MICROS_PER_MINUTE for day, value in micros.items()}


def viewers_by_period(ref: Reference, grain: str = "day") -> dict[dt.date, int]:
    """live_viewers: distinct viewers with a session starting in the period (not additive over days)."""
    viewers: dict[dt.date, set[str]] = defaultdict(set)
    for session in ref.sessions:
        viewers[period_start(session.day, grain)].add(session.viewer_id)
    return {day: len(ids) for day, ids in viewers.items()}


def streams_by_period(ref: Reference, grain: str = "day") -> dict[dt.date, int]:
    return _count_by_day(period_start(day_of(stream.started_at), grain) for stream in ref.streams.values())


def gift_usd_by_period(ref: Reference, grain: str = "day") -> dict[dt.date, Decimal]:
    return _sum_by_day(((period_start(gift.day, grain), gift.usd) for gift in ref.gifts), Decimal(0))


def watch_minutes_by_day(ref: Reference) -> dict[dt.date, float]:
    return watch_minutes_by_period(ref, "day")


def viewers_by_day(ref: Reference) -> dict[dt.date, int]:
    return viewers_by_period(ref, "day")


def streams_by_day(ref: Reference) -> dict[dt.date, int]:
    return streams_by_period(ref, "day")


def crashed_streams_by_day(ref: Reference) -> dict[dt.date, int]:
    return _count_by_day(day_of(stream.started_at) for stream in ref.streams.values() if stream.is_crash)


def stream_crash_rate_by_day(ref: Reference) -> dict[dt.date, float]:
    return _ratio(crashed_streams_by_day(ref), streams_by_day(ref))


def watch_minutes_per_viewer_by_day(ref: Reference) -> dict[dt.date, float]:
    return _ratio(watch_minutes_by_day(ref), viewers_by_day(ref))


def ad_revenue_by_day(ref: Reference) -> dict[dt.date, Decimal]:
    return _sum_by_day(((ad.day, ad.revenue_usd) for ad in ref.ads), Decimal(0))


def ad_ctr_by_day(ref: Reference) -> dict[dt.date, float]:
    """Clicked impressions / impressions, both on the impression's day."""
    clicks = _count_by_day(ad.day for ad in ref.ads if ad.clicked)
    return _ratio(clicks, _count_by_day(ad.day for ad in ref.ads))


def comments_by_day(ref: Reference) -> dict[dt.date, int]:
    return _count_by_day(day_of(comment.commented_at) for comment in ref.comments)


def answered_comments_by_day(ref: Reference) -> dict[dt.date, int]:
    return _count_by_day(day_of(comment.commented_at) for comment in ref.comments if comment.replied_at is not None)


def creator_reply_rate_by_day(ref: Reference) -> dict[dt.date, float]:
    return _ratio(answered_comments_by_day(ref), comments_by_day(ref))


def median_reply_seconds_by_day(ref: Reference) -> dict[dt.date, float]:
    """Median (interpolated, like percentile_cont(0.5)) reply latency of answered comments, by comment day."""
    latencies: dict[dt.date, list[float]] = defaultdict(list)
    for comment in ref.comments:
        if comment.latency_seconds is not None:
            latencies[day_of(comment.commented_at)].append(comment.latency_seconds)
    return {day: float(statistics.median(values)) for day, values in latencies.items()}


def gift_usd_by_day(ref: Reference) -> dict[dt.date, Decimal]:
    return gift_usd_by_period(ref, "day")


def refunded_usd_by_day(ref: Reference) -> dict[dt.date, Decimal]:
    return _sum_by_day(((refund.day, refund.usd) for refund in ref.refunds), Decimal(0))


def gift_revenue_mtd_by_day(ref: Reference) -> dict[dt.date, Decimal]:
    """Gift USD month to date on every day of the data's calendar (a day without gifts carries its month's
    running sum, 0 before the month's first gift). No gift precedes the data's first day, so the sum starts at 0
    there and again on every first of a month."""
    daily = gift_usd_by_day(ref)
    running: dict[dt.date, Decimal] = {}
    total = Decimal(0)
    for day in calendar_days(ref):
        total = (Decimal(0) if day.day == 1 else total) + daily.get(day, Decimal(0))
        running[day] = total
    return running


def platform_net_revenue_by_day(ref: Reference) -> dict[dt.date, Decimal]:
    """Half of (gift USD - refunded USD) + ad revenue, each on its own day, on every day of the data's calendar:
    an empty part counts 0 (a day with gifts and no ad impression is half its gift USD; a day with none is 0)."""
    gross, refunded, ads = gift_usd_by_day(ref), refunded_usd_by_day(ref), ad_revenue_by_day(ref)
    return {
        day: (gross.get(day, Decimal(0)) - refunded.get(day, Decimal(0))) / 2 + ads.get(day, Decimal(0))
        for day in calendar_days(ref)
    }


def watch_minutes_wow_growth_by_day(ref: Reference) -> dict[dt.date, float]:
    """(minutes - minutes 7 days earlier) / minutes 7 days earlier, on every day of the data's calendar whose day
    7 days earlier had watch minutes; a day without a session has 0 minutes (-100 %). Undefined (no value) when
    the day 7 days earlier had none."""
    minutes = watch_minutes_by_day(ref)
    growth: dict[dt.date, float] = {}
    for day in calendar_days(ref):
        earlier = minutes.get(day - dt.timedelta(days=7))
        if earlier:
            growth[day] = (minutes.get(day, 0.0) - earlier) / earlier
    return growth


def viewer_day_gift_usd(ref: Reference) -> dict[tuple[str, dt.date], Decimal]:
    """Gross gift USD per (viewer, UTC day sent)."""
    totals: dict[tuple[str, dt.date], Decimal] = defaultdict(Decimal)
    for gift in ref.gifts:
        totals[(gift.viewer_id, gift.day)] += gift.usd
    return dict(totals)


def whale_gift_usd_by_day(ref: Reference) -> dict[dt.date, Decimal]:
    """Gift USD of viewer-days spending over 100 USD."""
    return _sum_by_day(
        ((day, usd) for (_, day), usd in viewer_day_gift_usd(ref).items() if usd > WHALE_DAY_USD), Decimal(0)
    )


def whale_revenue_share_by_day(ref: Reference) -> dict[dt.date, float]:
    return _ratio(whale_gift_usd_by_day(ref), gift_usd_by_day(ref))


def creator_burnout_rate_by_day(ref: Reference) -> dict[dt.date, float]:
    """Creator-days with more than 6 hours live / creator-days with a stream."""
    all_days = _count_by_day(day for _, day in ref.creator_days)
    burnout = _count_by_day(day for (_, day), hours in ref.creator_days.items() if hours > BURNOUT_HOURS)
    return _ratio(burnout, all_days)


# ---------------------------------------------------------------------------------------------------
# The data's period and the clean events of a type


def data_days(ref: Reference) -> list[dt.date]:
    """Every UTC day from the first to the last day with a clean event_at."""
    days = {event.day for event in ref.ingestion.clean}
    if not days:
        return []
    first, last = min(days), max(days)
    return [first + dt.timedelta(days=offset) for offset in range((last - first).days + 1)]


def calendar_days(ref: Reference) -> list[dt.date]:
    """The data's calendar (the contract's "days of the data"): every UTC day from the first day with a clean
    event_at to the last day a stream was live (the last day with a clean event_at when no stream was)."""
    days = data_days(ref)
    if not days or not ref.streams:
        return days
    last = last_live_day(ref)
    return [day for day in days if day <= last]


def last_data_day(ref: Reference) -> dt.date:
    """The data's last day: the last UTC day with a clean event_at."""
    return max(event.day for event in ref.ingestion.clean)


def clean_events(ref: Reference, event_type: str) -> list[Event]:
    return [event for event in ref.ingestion.clean if event.event_type == event_type]


def _count_events_by_day(ref: Reference, event_type: str) -> dict[dt.date, int]:
    return _count_by_day(event.day for event in clean_events(ref, event_type))


def _mean_by_day(pairs: Iterable[tuple[dt.date, float]]) -> dict[dt.date, float]:
    values: dict[dt.date, list[float]] = defaultdict(list)
    for day, value in pairs:
        values[day].append(value)
    return {day: math.fsum(items) / len(items) for day, items in values.items()}


def _distinct_by_day(pairs: Iterable[tuple[dt.date, str]]) -> dict[dt.date, int]:
    ids: dict[dt.date, set[str]] = defaultdict(set)
    for day, value in pairs:
        ids[day].add(value)
    return {day: len(values) for day, values in ids.items()}


# ---------------------------------------------------------------------------------------------------
# Streams and creators (a stream counts on the UTC day it started; hours live on the day they were live)


def stream_start_day(stream: Stream) -> dt.date:
    return day_of(stream.started_at)


def live_creators_by_day(ref: Reference) -> dict[dt.date, int]:
    """Distinct creators who started a stream that day."""
    return _distinct_by_day((stream_start_day(stream), stream.creator_id) for stream in ref.streams.values())


def streams_per_creator_by_day(ref: Reference) -> dict[dt.date, float]:
    return _ratio(streams_by_day(ref), live_creators_by_day(ref))


def stream_hours_by_day(ref: Reference) -> dict[dt.date, float]:
    """Hours live during each UTC day (streams split at midnight), the same "hours live" per day as the
    burnout guardrail's creator-days: a stream crossing midnight counts its hours on both days."""
    return _sum_by_day(((day, hours) for (_, day), hours in ref.creator_days.items()), 0.0)


def first_time_creators_by_day(ref: Reference) -> dict[dt.date, int]:
    """Creators whose first stream in the data starts that day."""
    first_start: dict[str, int] = {}
    for stream in ref.streams.values():
        first_start[stream.creator_id] = min(first_start.get(stream.creator_id, stream.started_at), stream.started_at)
    return _count_by_day(day_of(started_at) for started_at in first_start.values())


def avg_peak_concurrent_viewers_by_day(ref: Reference) -> dict[dt.date, float]:
    """The mean, over the streams started that day, of each stream's peak concurrent viewers."""
    streams = ref.streams.items()
    return _mean_by_day((stream_start_day(stream), float(ref.peaks[stream_id])) for stream_id, stream in streams)


# ---------------------------------------------------------------------------------------------------
# Sessions and interactions (a session counts on the UTC day it started, clipped to the stream)

INTERACTION_TYPES = frozenset({"comment_posted", "like_sent", "stream_shared", "creator_followed", "gift_sent"})


def viewer_sessions_by_day(ref: Reference) -> dict[dt.date, int]:
    return _count_by_day(session.day for session in ref.sessions)


def sessions_per_viewer_by_day(ref: Reference) -> dict[dt.date, float]:
    return _ratio(viewer_sessions_by_day(ref), viewers_by_day(ref))


def avg_session_minutes_by_day(ref: Reference) -> dict[dt.date, float]:
    return _ratio(watch_minutes_by_day(ref), viewer_sessions_by_day(ref))


def sessions_containing(ref: Reference, events: Iterable[Event]) -> dict[int, list[int]]:
    """Per event (row number), the indexes in ``ref.sessions`` of the sessions of its actor in its stream that
    are open at its event_at (session start and end included)."""
    by_viewer_stream: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, session in enumerate(ref.sessions):
        by_viewer_stream[(session.viewer_id, session.stream_id)].append(index)
    containing: dict[int, list[int]] = {}
    for event in events:
        candidates = by_viewer_stream.get((event.user_id, event.stream_id), [])
        containing[event.row_number] = [
            index for index in candidates if ref.sessions[index].started_at <= event.at <= ref.sessions[index].ended_at
        ]
    return containing


def interacted_sessions(ref: Reference) -> set[int]:
    """Indexes of sessions with at least one comment, like, share, follow or gift sent inside them."""
    interactions = [event for event in ref.ingestion.clean if event.event_type in INTERACTION_TYPES]
    return {index for indexes in sessions_containing(ref, interactions).values() for index in indexes}


def viewer_interaction_rate_by_day(ref: Reference) -> dict[dt.date, float]:
    """Sessions with at least one interaction / sessions, both on the session's day."""
    interacted = interacted_sessions(ref)
    with_interaction = _count_by_day(session.day for index, session in enumerate(ref.sessions) if index in interacted)
    return _ratio(with_interaction, viewer_sessions_by_day(ref))


def new_followers_by_day(ref: Reference) -> dict[dt.date, int]:
    """Follows made inside a session of the follower in that stream, on the follow's day."""
    follows = clean_events(ref, "creator_followed")
    containing = sessions_containing(ref, follows)
    return _count_by_day(follow.day for follow in follows if containing[follow.row_number])


# ---------------------------------------------------------------------------------------------------
# Chat and reactions (each on the day of its event)


def likes_by_day(ref: Reference) -> dict[dt.date, int]:
    """The sum of like bursts' counts."""
    return _sum_by_day((like.day, as_whole_number(like.props["count"])) for like in clean_events(ref, "like_sent"))


def shares_by_day(ref: Reference) -> dict[dt.date, int]:
    return _count_events_by_day(ref, "stream_shared")


def comments_per_watch_hour_by_day(ref: Reference) -> dict[dt.date, float]:
    """Comments / (watch minutes / 60), each on its own day."""
    hours = {day: minutes / 60 for day, minutes in watch_minutes_by_day(ref).items()}
    return _ratio(comments_by_day(ref), hours)


# ---------------------------------------------------------------------------------------------------
# Notifications (each on the day of its event)


def notifications_by_day(ref: Reference) -> dict[dt.date, int]:
    return _count_by_day(notification.day for notification in ref.notifications)


def session_starts_by_viewer_creator(ref: Reference) -> dict[tuple[str, str], list[int]]:
    """Sorted session start times (the opening join, clipped to the stream) per (viewer, stream creator)."""
    starts: dict[tuple[str, str], list[int]] = defaultdict(list)
    for session in ref.sessions:
        starts[(session.viewer_id, session.creator_id)].append(session.started_at)
    for times in starts.values():
        times.sort()
    return dict(starts)


def joined_notifications(ref: Reference) -> list[Notification]:
    """Notifications whose recipient started a session in a stream of the notification's creator at or after
    the notification's event_at and at most 1 hour later (each notification once)."""
    starts = session_starts_by_viewer_creator(ref)
    joined: list[Notification] = []
    for notification in ref.notifications:
        times = starts.get((notification.recipient_id, notification.creator_id), [])
        index = bisect.bisect_left(times, notification.sent_at)
        if index < len(times) and times[index] <= notification.sent_at + CONVERSION_WINDOW:
            joined.append(notification)
    return joined


def notification_join_rate_by_day(ref: Reference) -> dict[dt.date, float]:
    """Notifications sent that day followed by a join within the hour / notifications sent that day."""
    joins = _count_by_day(notification.day for notification in joined_notifications(ref))
    return _ratio(joins, notifications_by_day(ref))


def notification_open_rate_by_day(ref: Reference) -> dict[dt.date, float]:
    """Notifications sent that day that were opened / notifications sent that day."""
    opened = {str(event.props["notification_id"]) for event in clean_events(ref, "notification_opened")}
    opens = _count_by_day(sent.day for sent in ref.notifications if sent.notification_id in opened)
    return _ratio(opens, notifications_by_day(ref))


def notification_opt_out_rate_by_day(ref: Reference) -> dict[dt.date, float]:
    """Opt-outs / notifications sent, each on its own day."""
    return _ratio(_count_events_by_day(ref, "notification_opt_out"), notifications_by_day(ref))


# ---------------------------------------------------------------------------------------------------
# Gifts: gifters, diamonds, refunds, blocks


def gifters_by_day(ref: Reference) -> dict[dt.date, int]:
    """Distinct viewers who sent a gift that day."""
    return _distinct_by_day((gift.day, gift.viewer_id) for gift in ref.gifts)


def gifter_conversion_rate_by_day(ref: Reference) -> dict[dt.date, float]:
    return _ratio(gifters_by_day(ref), viewers_by_day(ref))


def revenue_per_gifter_by_day(ref: Reference) -> dict[dt.date, Decimal]:
    gifters = gifters_by_day(ref)
    return {day: usd / gifters[day] for day, usd in gift_usd_by_day(ref).items()}


def creator_diamonds_by_day(ref: Reference) -> dict[dt.date, int]:
    """Diamonds credited by gifts on their send day, less the diamonds reversed by refunds on the refund's day."""
    credited = ((gift.day, gift.diamonds) for gift in ref.gifts)
    reversed_ = ((refund.day, -refund.diamonds) for refund in ref.refunds)
    return _sum_by_day([*credited, *reversed_])


def gift_refund_rate_by_day(ref: Reference) -> dict[dt.date, float]:
    """Refunded coins (on the refund's day) / gifted coins (on the send day)."""
    refunded = _sum_by_day((refund.day, refund.coins) for refund in ref.refunds)
    gifted = _sum_by_day((gift.day, gift.coins) for gift in ref.gifts)
    return _ratio(refunded, gifted)


def underage_gift_attempts_by_day(ref: Reference) -> dict[dt.date, int]:
    """gift_blocked events with reason underage (attempts, not quantities)."""
    return _count_by_day(
        event.day for event in clean_events(ref, "gift_blocked") if event.props["reason"] == "underage"
    )


# ---------------------------------------------------------------------------------------------------
# Ads (an impression on its day, a click on the day of the impression's first clean click)


def ad_impressions_by_day(ref: Reference) -> dict[dt.date, int]:
    return _count_by_day(ad.day for ad in ref.ads)


def ad_reach_by_day(ref: Reference) -> dict[dt.date, int]:
    """Distinct viewers shown an ad that day."""
    return _distinct_by_day((ad.day, ad.viewer_id) for ad in ref.ads)


def ad_clicks_by_day(ref: Reference) -> dict[dt.date, int]:
    """Clicked impressions, each once, on the day of its first click."""
    impressions = {ad.impression_id for ad in ref.ads}
    first_click: dict[str, int] = {}
    for click in clean_events(ref, "ad_clicked"):
        impression_id = str(click.props["impression_id"])
        if impression_id in impressions:
            first_click[impression_id] = min(first_click.get(impression_id, click.at), click.at)
    return _count_by_day(day_of(clicked_at) for clicked_at in first_click.values())


# ---------------------------------------------------------------------------------------------------
# Trust, safety and playback quality (each on the day of its event)


def reports_per_1k_watch_minutes_by_day(ref: Reference) -> dict[dt.date, float]:
    per_minute = _ratio(_count_events_by_day(ref, "stream_reported"), watch_minutes_by_day(ref))
    return {day: value * 1000 for day, value in per_minute.items()}


def moderation_actions_by_day(ref: Reference) -> dict[dt.date, int]:
    return _count_events_by_day(ref, "moderation_action")


def _playback_sums(ref: Reference, name: str) -> dict[dt.date, float]:
    return _sum_by_day((event.day, as_number(event.props[name])) for event in clean_events(ref, "playback_stats"))


def rebuffer_ratio_by_day(ref: Reference) -> dict[dt.date, float]:
    """Sum of rebuffer_ms / (sum of played_ms + sum of rebuffer_ms), over the day's playback_stats."""
    rebuffer, played = _playback_sums(ref, "rebuffer_ms"), _playback_sums(ref, "played_ms")
    return _ratio(rebuffer, {day: played.get(day, 0.0) + value for day, value in rebuffer.items()})


def avg_startup_seconds_by_day(ref: Reference) -> dict[dt.date, float]:
    """Mean startup_ms / 1000 over the day's playback_stats."""
    stats = clean_events(ref, "playback_stats")
    return _mean_by_day((event.day, as_number(event.props["startup_ms"]) / 1000) for event in stats)


# ---------------------------------------------------------------------------------------------------
# Growth stage (docs/contract/metrics.md §Growth stage): acquisition, retention, live analytics

EARLY_EXIT = MICROS_PER_MINUTE


def last_live_day(ref: Reference) -> dt.date:
    """The last UTC day on which any stream was live: the latest stream end day (the retention metrics' last
    day; it can be earlier than ``last_data_day`` when events arrive after the last stream ended)."""
    return max(day_of(stream.ended_at) for stream in ref.streams.values())


def new_viewers_by_day(ref: Reference) -> dict[dt.date, int]:
    """Viewers whose first session in the whole data starts that day: 0 (not missing) on a day with sessions
    but no first session."""
    first_start: dict[str, int] = {}
    for session in ref.sessions:
        first_start[session.viewer_id] = min(first_start.get(session.viewer_id, session.started_at), session.started_at)
    new = _count_by_day(day_of(started_at) for started_at in first_start.values())
    return {day: new.get(day, 0) for day in viewers_by_day(ref)}


def d7_retention_by_day(starts: Iterable[tuple[str, int]], last_day: dt.date) -> dict[dt.date, float]:
    """From (actor, start time) pairs: per day D with D + 7 days <= ``last_day``, the share of actor-days on D
    (an actor with a start on D) whose actor starts again on one of the calendar days D+1 to D+7 (UTC; another
    start later on D does not count; docs/contract/metrics.md §Changes, 2026-12-06). Days without an eligible
    actor-day have no value."""
    days_of_actor: dict[str, set[dt.date]] = defaultdict(set)
    for actor, started_at in starts:
        days_of_actor[actor].add(day_of(started_at))
    eligible: dict[dt.date, int] = defaultdict(int)
    retained: dict[dt.date, int] = defaultdict(int)
    for days in days_of_actor.values():
        for day in days:
            if day + dt.timedelta(days=7) > last_day:
                continue
            eligible[day] += 1
            if any(day + dt.timedelta(days=offset) in days for offset in range(1, 8)):
                retained[day] += 1
    return _ratio(retained, eligible)


def viewer_d7_retention_by_day(ref: Reference) -> dict[dt.date, float]:
    """Viewer-days (a viewer with a session starting that day, D) followed by a session start of the viewer on one
    of the days D+1 to D+7 / viewer-days, on days whose 7 following days are in the data."""
    return d7_retention_by_day(((s.viewer_id, s.started_at) for s in ref.sessions), last_live_day(ref))


def creator_d7_retention_by_day(ref: Reference) -> dict[dt.date, float]:
    """Creator-days (a creator with a stream started that day, D) followed by a stream start of the creator on one
    of the days D+1 to D+7 / creator-days, on days whose 7 following days are in the data."""
    streams = ref.streams.values()
    return d7_retention_by_day(((s.creator_id, s.started_at) for s in streams), last_live_day(ref))


def live_minutes_by_day(ref: Reference) -> dict[dt.date, float]:
    """Minutes live per UTC day: stream_hours x 60."""
    return {day: hours * 60 for day, hours in stream_hours_by_day(ref).items()}


def avg_concurrent_viewers_by_day(ref: Reference) -> dict[dt.date, float]:
    """live_watch_minutes / (stream_hours x 60), each on its own day."""
    return _ratio(watch_minutes_by_day(ref), live_minutes_by_day(ref))


def viewer_comments(ref: Reference) -> list[Event]:
    """Clean comments posted by a viewer: a creator commenting in their own stream is not a viewer
    (docs/contract/metrics.md §Changes, 2026-12-06)."""
    return [
        event
        for event in clean_events(ref, "comment_posted")
        if event.user_id != ref.streams[event.stream_id].creator_id
    ]


def unique_chatters_by_day(ref: Reference) -> dict[dt.date, int]:
    """Distinct viewers who posted a clean comment that day (the comment's event day), not in their own stream."""
    return _distinct_by_day((event.day, event.user_id) for event in viewer_comments(ref))


def chatter_rate_by_day(ref: Reference) -> dict[dt.date, float]:
    """Live viewers of the day (a session starting that day) who posted a comment that day, not in their own
    stream / live viewers of the day: never above 1 (docs/contract/metrics.md §Changes, 2026-12-06)."""
    commented = {(event.day, event.user_id) for event in viewer_comments(ref)}
    watched = {(session.day, session.viewer_id) for session in ref.sessions}
    return _ratio(_distinct_by_day(commented & watched), viewers_by_day(ref))


def chat_messages_per_live_minute_by_day(ref: Reference) -> dict[dt.date, float]:
    """comments / (stream_hours x 60), each on its own day."""
    return _ratio(comments_by_day(ref), live_minutes_by_day(ref))


def follow_conversion_rate_by_day(ref: Reference) -> dict[dt.date, float]:
    return _ratio(new_followers_by_day(ref), viewers_by_day(ref))


def diamonds_per_stream_hour_by_day(ref: Reference) -> dict[dt.date, float]:
    return _ratio(creator_diamonds_by_day(ref), stream_hours_by_day(ref))


def session_sources(ref: Reference) -> list[str]:
    """The join source of each session of ``ref.sessions`` (same order): the source of the viewer_joined that
    opened it (reconnects do not change it; "unknown" when missing or unlisted)."""
    return [session.source for session in ref.sessions]


def notification_session_share_by_day(ref: Reference) -> dict[dt.date, float]:
    """Sessions starting that day opened by a join with source notification / sessions starting that day."""
    sessions = zip(ref.sessions, session_sources(ref), strict=True)
    from_notification = _count_by_day(session.day for session, source in sessions if source == "notification")
    return _ratio(from_notification, viewer_sessions_by_day(ref))


def early_exit_rate_by_day(ref: Reference) -> dict[dt.date, float]:
    """Sessions starting that day shorter than 1 minute (clipped to the stream) / sessions starting that day."""
    early = _count_by_day(s.day for s in ref.sessions if s.ended_at - s.started_at < EARLY_EXIT)
    return _ratio(early, viewer_sessions_by_day(ref))


# ---------------------------------------------------------------------------------------------------
# Every catalogue metric by UTC day

DAILY_METRICS: dict[str, Any] = {
    # north star
    "live_watch_minutes": watch_minutes_by_day,
    # core
    "live_viewers": viewers_by_day,
    "watch_minutes_per_viewer": watch_minutes_per_viewer_by_day,
    "live_streams": streams_by_day,
    "live_creators": live_creators_by_day,
    "notification_join_rate": notification_join_rate_by_day,
    "viewer_interaction_rate": viewer_interaction_rate_by_day,
    "creator_reply_rate": creator_reply_rate_by_day,
    "new_followers": new_followers_by_day,
    "creator_diamonds": creator_diamonds_by_day,
    "gift_revenue_usd": gift_usd_by_day,
    "gifter_conversion_rate": gifter_conversion_rate_by_day,
    "revenue_per_gifter_usd": revenue_per_gifter_by_day,
    "platform_net_revenue_usd": platform_net_revenue_by_day,
    "ad_revenue_usd": ad_revenue_by_day,
    "ad_reach": ad_reach_by_day,
    "ad_ctr": ad_ctr_by_day,
    # supporting
    "viewer_sessions": viewer_sessions_by_day,
    "sessions_per_viewer": sessions_per_viewer_by_day,
    "avg_session_minutes": avg_session_minutes_by_day,
    "streams_per_creator": streams_per_creator_by_day,
    "stream_hours": stream_hours_by_day,
    "first_time_creators": first_time_creators_by_day,
    "avg_peak_concurrent_viewers": avg_peak_concurrent_viewers_by_day,
    "notifications_sent": notifications_by_day,
    "notification_open_rate": notification_open_rate_by_day,
    "comments": comments_by_day,
    "likes": likes_by_day,
    "shares": shares_by_day,
    "comments_per_watch_hour": comments_per_watch_hour_by_day,
    "median_reply_seconds": median_reply_seconds_by_day,
    "gifters": gifters_by_day,
    "gift_revenue_mtd_usd": gift_revenue_mtd_by_day,
    "watch_minutes_wow_growth": watch_minutes_wow_growth_by_day,
    "ad_impressions": ad_impressions_by_day,
    "ad_clicks": ad_clicks_by_day,
    # guardrails
    "reports_per_1k_watch_minutes": reports_per_1k_watch_minutes_by_day,
    "moderation_actions": moderation_actions_by_day,
    "stream_crash_rate": stream_crash_rate_by_day,
    "creator_burnout_rate": creator_burnout_rate_by_day,
    "rebuffer_ratio": rebuffer_ratio_by_day,
    "avg_startup_seconds": avg_startup_seconds_by_day,
    "notification_opt_out_rate": notification_opt_out_rate_by_day,
    "gift_refund_rate": gift_refund_rate_by_day,
    "whale_revenue_share": whale_revenue_share_by_day,
    "underage_gift_attempts": underage_gift_attempts_by_day,
    # growth stage
    "new_viewers": new_viewers_by_day,
    "viewer_d7_retention": viewer_d7_retention_by_day,
    "creator_d7_retention": creator_d7_retention_by_day,
    "avg_concurrent_viewers": avg_concurrent_viewers_by_day,
    "unique_chatters": unique_chatters_by_day,
    "chatter_rate": chatter_rate_by_day,
    "chat_messages_per_live_minute": chat_messages_per_live_minute_by_day,
    "follow_conversion_rate": follow_conversion_rate_by_day,
    "diamonds_per_stream_hour": diamonds_per_stream_hour_by_day,
    "notification_session_share": notification_session_share_by_day,
    "early_exit_rate": early_exit_rate_by_day,
}
