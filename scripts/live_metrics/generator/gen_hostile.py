"""Hostile input: raw records that a real producer can send and the warehouse must survive.

``generate --hostile`` appends these records to a generated CSV event log. Each record says
what the warehouse must make of it (outcome and reason code, docs/contract/events.md and the
reason-code seed), so a build on the file can be checked record by record:

- CSV damage: too many or too few columns, a quote that is not doubled, bytes that are not
  UTF-8, a record over the size limit (quarantined by the reader's own reason codes);
- extreme numbers: quantities and counts far beyond any real burst (``implausible_value``),
  and NaN / Infinity / 1e400 as numbers (``invalid_property_value``);
- timestamps in every ISO-8601 form with an explicit offset (clean, converted to UTC), and
  without a zone (quarantined);
- event types in upper case or padded with a tab (clean: types match case-insensitively);
- a good copy of an event delivered after a bad first copy (``superseded_by_bad_copy``);
- a viewer missing from ``users`` (clean: an unknown profile, not an error);
- real chat text: quotes, escaped NULs, right-to-left and zero-width characters, SQL and
  Jinja look-alikes, a 100 KB message (clean, byte for byte).

All records belong to one extra stream (``hx_stream``) on the first day of the data, by the
first user of ``users``, so they do not disturb the generated world.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from dataclasses import dataclass
from pathlib import Path

# Kept in step with macros/raw_files.sql (raw_max_record_bytes) and the at_most bounds of
# macros/live_event_contract.sql.
MAX_RECORD_BYTES = 1_048_576
QUANTITY_BOUND = 10_000

HOSTILE_STREAM = "hx_stream"
UNKNOWN_VIEWER = "hx_viewer_not_in_users"
UNKNOWN_RECIPIENT = "hx_follower_not_in_users"  # receives an alert, does nothing else

CHAT_TEXTS: dict[str, str] = {
    "quotes_and_commas": 'he said "hi", then \'bye\'; "" ,,, \\"escaped\\"',
    "newlines": "line one\nline two\r\nline three",
    "nul_escape": "before\u0000after",
    "rtl_and_zero_width": "\u05e9\u05dc\u05d5\u05dd \u202eevil\u202c z\u200bw\u200dj \ufeffbom",
    "emoji": "\U0001f525\U0001f525 LETS GO \U0001f1fa\U0001f1f8 \U0001f468\u200d\U0001f469\u200d\U0001f467",
    "sql_lookalike": "'); drop table marts.fct_comments; --",
    "jinja_lookalike": "{{ ref('dim_viewers') }} {% if true %}x{% endif %} {# c #}",
    "long_message": "spam " * 20_000,
}


@dataclass(frozen=True)
class HostileRecord:
    """One raw record: the exact bytes written, and what the warehouse must make of it."""

    case: str
    data: bytes
    outcome: str
    reason: str | None
    event_id: str | None = None


@dataclass(frozen=True)
class HostileContext:
    """What the records refer to: ids that exist in the reference tables, and a day."""

    creator_id: str
    viewer_ids: tuple[str, str, str]
    gift_id: str
    campaign_id: str
    day: dt.date


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _csv_field(value: str | None) -> str:
    if value is None:
        return ""
    return '"' + value.replace('"', '""') + '"'


def _csv_record(values: list[str | None]) -> bytes:
    return (",".join(_csv_field(v) for v in values) + "\n").encode("utf-8")


class _Builder:
    """Builds event records on the hostile stream, one second apart."""

    def __init__(self, context: HostileContext) -> None:
        self.context = context
        self.start = dt.datetime.combine(context.day, dt.time(12, 0))
        self.seconds = 0
        self.records: list[HostileRecord] = []

    def at(self) -> dt.datetime:
        self.seconds += 1
        return self.start + dt.timedelta(seconds=self.seconds)

    def fields(
        self,
        event_id: str,
        event_type: str,
        user_id: str,
        properties: object,
        event_at: str | None = None,
        received_at: str | None = None,
    ) -> list[str | None]:
        moment = self.at()
        props = properties if isinstance(properties, str) else json.dumps(properties, ensure_ascii=False)
        return [
            event_id,
            event_type,
            event_at or _iso(moment),
            received_at or _iso(moment + dt.timedelta(milliseconds=400)),
            user_id,
            HOSTILE_STREAM,
            props,
            "android",
            "34.1.0",
            "US",
        ]

    def add(
        self,
        case: str,
        outcome: str,
        reason: str | None,
        event_id: str,
        event_type: str,
        user_id: str,
        properties: object,
        **times: str,
    ) -> None:
        data = _csv_record(self.fields(event_id, event_type, user_id, properties, **times))
        self.records.append(HostileRecord(case, data, outcome, reason, event_id))

    def add_raw(self, case: str, reason: str, data: bytes) -> None:
        self.records.append(HostileRecord(case, data, "quarantined", reason))


def hostile_records(context: HostileContext) -> list[HostileRecord]:
    """Every hostile record, in file order, with the outcome the warehouse must give it."""
    b = _Builder(context)
    creator = context.creator_id
    v1, v2, v3 = context.viewer_ids
    gift = context.gift_id

    b.add(
        "stream", "clean", None, "hx_start", "stream_started", creator, {"title": "hostile input", "category": "talk"}
    )
    for viewer in (v1, v2, v3, UNKNOWN_VIEWER):
        b.add("join", "clean", None, f"hx_join_{viewer}", "viewer_joined", viewer, {"source": "for_you"})

    # 1. CSV damage: the reader rejects the record, the rest of the file loads.
    good = b.fields("hx_csv", "like_sent", v1, {"count": 1})
    b.add_raw("too_many_columns", "malformed_csv_row", (",".join(_csv_field(v) for v in good) + ',"extra"\n').encode())
    b.add_raw("too_few_columns", "malformed_csv_row", (",".join(_csv_field(v) for v in good[:7]) + "\n").encode())
    b.add_raw(
        "unescaped_quote",
        "malformed_csv_row",
        (
            '"hx_quote","comment_posted","'
            + good[2]
            + '","'
            + good[3]
            + '","'
            + v1
            + '","'
            + HOSTILE_STREAM
            + '","{""comment_id"": ""hx_cq"", ""text"": ""he said "hi" ok""}",'
            '"ios","1.0","US"\n'
        ).encode(),
    )
    b.add_raw(
        "invalid_utf8",
        "invalid_encoding",
        _csv_record(b.fields("hx_latin1", "comment_posted", v1, {"comment_id": "hx_cl", "text": "caf"})).replace(
            b"caf", b"caf\xe9 \xff\xfe"
        ),
    )
    b.add_raw(
        "oversized_row",
        "oversized_row",
        _csv_record(
            b.fields("hx_huge", "comment_posted", v1, {"comment_id": "hx_ch", "text": "x" * (3 * 1024 * 1024)})
        ),
    )

    # 2. Extreme numbers: above the bound of plausibility.
    b.add(
        "huge_quantity",
        "quarantined",
        "implausible_value",
        "hx_q1e10",
        "gift_sent",
        v1,
        {"gift_txn_id": "hx_t1", "gift_id": gift, "quantity": 10_000_000_000},
    )
    for n in range(3):
        b.add(
            "huge_like_count",
            "quarantined",
            "implausible_value",
            f"hx_like_4e18_{n}",
            "like_sent",
            v2,
            {"count": 4_000_000_000_000_000_000},
        )
    b.add(
        "slow_startup",
        "quarantined",
        "implausible_value",
        "hx_startup",
        "playback_stats",
        v3,
        {"startup_ms": 700_000, "rebuffer_ms": 0, "played_ms": 1000},
    )
    b.add(
        "quantity_at_bound",
        "clean",
        None,
        "hx_q_bound",
        "gift_sent",
        v2,
        {"gift_txn_id": "hx_t2", "gift_id": gift, "quantity": QUANTITY_BOUND},
    )

    # 3. Not numbers.
    b.add(
        "nan_startup",
        "quarantined",
        "invalid_property_value",
        "hx_nan",
        "playback_stats",
        v1,
        {"startup_ms": "NaN", "rebuffer_ms": 0, "played_ms": 1000},
    )
    b.add(
        "infinite_rebuffer",
        "quarantined",
        "invalid_property_value",
        "hx_inf",
        "playback_stats",
        v2,
        {"startup_ms": 100, "rebuffer_ms": "Infinity", "played_ms": 1000},
    )
    b.add(
        "overflowing_played",
        "quarantined",
        "invalid_property_value",
        "hx_1e400",
        "playback_stats",
        v3,
        '{"startup_ms": 100, "rebuffer_ms": 0, "played_ms": 1e400}',
    )
    b.add("nan_like_count", "quarantined", "invalid_property_value", "hx_like_nan", "like_sent", v1, {"count": "NaN"})

    # 4. Timestamps: every ISO-8601 form with an offset is UTC; no zone is quarantined.
    moment = b.at()
    base = moment.strftime("%Y-%m-%dT%H:%M:%S")
    for case, text in (
        ("iso_plus_zero", f"{base}.195+00:00"),
        ("nine_digit_fraction", f"{base}.195000000Z"),
        ("offset_plus_one", (moment + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S") + ".195+01:00"),
        ("offset_minus_0530", (moment - dt.timedelta(hours=5, minutes=30)).strftime("%Y-%m-%dT%H:%M:%S") + ".195-0530"),
    ):
        b.add(
            case,
            "clean",
            None,
            f"hx_ts_{case}",
            "stream_shared",
            v1,
            {"channel": "whatsapp"},
            event_at=text,
            received_at=f"{base}.900Z",
        )
    b.add(
        "no_zone",
        "quarantined",
        "unparseable_event_at",
        "hx_ts_no_zone",
        "stream_shared",
        v1,
        {"channel": "sms"},
        event_at=f"{base}.195",
    )
    b.add(
        "received_no_zone",
        "quarantined",
        "unparseable_received_at",
        "hx_ts_received_no_zone",
        "stream_shared",
        v1,
        {"channel": "sms"},
        received_at=f"{base}.900",
    )

    # Event types match case-insensitively, trimmed.
    b.add(
        "upper_case_type",
        "clean",
        None,
        "hx_upper",
        "COMMENT_POSTED",
        v2,
        {"comment_id": "hx_c_upper", "text": "upper"},
    )
    b.add(
        "tab_padded_type", "clean", None, "hx_tab", "\tcomment_posted ", v3, {"comment_id": "hx_c_tab", "text": "tab"}
    )

    # A bad first copy wins; the later good copy is counted as superseded.
    b.add("bad_first_copy", "quarantined", "properties_not_object", "hx_copy", "like_sent", v3, "{truncated")
    b.add("good_later_copy", "duplicate", "superseded_by_bad_copy", "hx_copy", "like_sent", v3, {"count": 2})

    # 7. A viewer with no row in users acts like any other.
    b.add(
        "viewer_not_in_users",
        "clean",
        None,
        "hx_unknown_comment",
        "comment_posted",
        UNKNOWN_VIEWER,
        {"comment_id": "hx_c_unknown", "text": "who am I"},
    )
    b.add(
        "viewer_not_in_users_gift",
        "clean",
        None,
        "hx_unknown_gift",
        "gift_sent",
        UNKNOWN_VIEWER,
        {"gift_txn_id": "hx_t3", "gift_id": gift, "quantity": 1},
    )
    b.add(
        "viewer_not_in_users_ad",
        "clean",
        None,
        "hx_unknown_ad",
        "ad_impression",
        UNKNOWN_VIEWER,
        {"impression_id": "hx_i1", "campaign_id": context.campaign_id},
    )
    b.add(
        "recipient_not_in_users",
        "clean",
        None,
        "hx_unknown_alert",
        "notification_sent",
        UNKNOWN_RECIPIENT,
        {"notification_id": "hx_n1", "creator_id": creator},
    )

    # Real chat text survives byte for byte.
    for name, text in CHAT_TEXTS.items():
        b.add(
            f"chat_{name}",
            "clean",
            None,
            f"hx_chat_{name}",
            "comment_posted",
            v2,
            {"comment_id": f"hx_c_{name}", "text": text},
        )

    for viewer in (v1, v2, v3, UNKNOWN_VIEWER):
        b.add("leave", "clean", None, f"hx_leave_{viewer}", "viewer_left", viewer, {})
    b.add("stream", "clean", None, "hx_end", "stream_ended", creator, {"end_reason": "creator_ended"})
    return b.records


def context_from_reference(
    users: list[str], gift_ids: list[str], campaign_ids: list[str], day: dt.date
) -> HostileContext:
    """The hostile stream's creator and viewers are the first users of the reference table."""
    if len(users) < 4 or not gift_ids or not campaign_ids:
        raise ValueError("hostile records need 4 users, a gift and an ad campaign in the reference tables")
    return HostileContext(
        creator_id=users[0],
        viewer_ids=(users[1], users[2], users[3]),
        gift_id=gift_ids[0],
        campaign_id=campaign_ids[0],
        day=day,
    )


def append_to_event_log(path: Path, records: list[HostileRecord]) -> None:
    """Append the records' bytes to a CSV event log (plain or .gz), as one more gzip member."""
    payload = b"".join(r.data for r in records)
    if path.suffix == ".gz":
        with open(path, "ab") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
            gz.write(payload)
    else:
        with open(path, "ab") as raw:
            raw.write(payload)
