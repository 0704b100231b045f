"""Turn the integer event columns into the text columns of docs/contract/events.md, and write files.

All formatting is vectorised (NumPy byte matrices and Arrow compute kernels); rows are
formatted in chunks so that ten million events never sit in memory as text at once.
Empty values (an opt-out's stream_id, a missing user_id, an empty birth_year, ...) are
written as empty CSV fields, which DuckDB's ``read_csv`` reads as NULL; the Parquet
files store NULL in the same cells, so both formats read back as the same relation.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from live_metrics.generator.gen_interactions import AD_CAMPAIGNS, COMMENT_TEXTS, GIFTS, REPLY_TEXTS
from live_metrics.generator.gen_model import (
    ALL_EVENT_TYPE_NAMES,
    BLOCK_REASONS,
    CATEGORIES,
    END_REASONS,
    EVENT_TYPES,
    JOIN_SOURCES,
    MISSING_PROPERTY,
    MODERATION_ACTIONS,
    MS_PER_DAY,
    PLATFORMS,
    PVAR_ARRAY,
    PVAR_MISSING_PROPERTY,
    PVAR_NULL,
    PVAR_PRETTY,
    PVAR_TEXT,
    PVAR_TRUNCATED,
    REPORT_REASONS,
    SHARE_CHANNELS,
    UNKNOWN_CAMPAIGN_IDS,
    UNKNOWN_EVENT_TYPES,
    UNKNOWN_GIFT_IDS,
    UNKNOWN_ID_BASE,
    Events,
    GeneratorConfig,
)
from live_metrics.generator.gen_problems import GARBAGE_TIMESTAMPS
from live_metrics.generator.gen_streams import TITLES
from live_metrics.generator.gen_world import World

EVENT_COLUMN_NAMES: tuple[str, ...] = (
    "event_id",
    "event_type",
    "event_at",
    "received_at",
    "user_id",
    "stream_id",
    "properties",
    "platform",
    "app_version",
    "country",
)
EVENT_SCHEMA = pa.schema([(name, pa.string()) for name in EVENT_COLUMN_NAMES])
REFERENCE_TABLES: tuple[str, ...] = ("users", "gift_catalog", "coin_prices", "ad_campaigns")
FORMATS: tuple[str, ...] = ("csv", "parquet")
CHUNK_ROWS = 1_000_000

NOT_OBJECT_TEXTS: tuple[str, ...] = ("undefined", "ERROR: payload too large", "gift=gift_01&qty=3")  # PVAR_TEXT
TRUNCATE_AT = 10  # PVAR_TRUNCATED keeps this many characters (every object is longer)

# Per event type: (json key, kind, source column, pool or id prefix). kind "pool": the column
# indexes a pool of JSON-encoded values; "id": a prefixed zero-padded counter; "num": a number.
PROPERTY_FIELDS: Mapping[str, tuple[tuple[str, str, str, str], ...]] = {
    "stream_started": (("title", "pool", "text", "titles"), ("category", "pool", "a", "categories")),
    "stream_ended": (("end_reason", "pool", "a", "end_reasons"),),
    "notification_sent": (("notification_id", "id", "a", "n_"), ("creator_id", "pool", "b", "users")),
    "notification_opened": (("notification_id", "id", "a", "n_"),),
    "notification_opt_out": (("creator_id", "pool", "b", "users"),),
    "viewer_joined": (("source", "pool", "a", "sources"), ("notification_id", "id", "b", "n_")),
    "viewer_left": (),
    "playback_stats": (("startup_ms", "num", "a", ""), ("rebuffer_ms", "num", "b", ""), ("played_ms", "num", "c", "")),
    "comment_posted": (("comment_id", "id", "a", "c_"), ("text", "pool", "text", "comments")),
    "creator_replied": (("comment_id", "id", "a", "c_"), ("text", "pool", "text", "replies")),
    "like_sent": (("count", "num", "a", ""),),
    "stream_shared": (("channel", "pool", "a", "channels"),),
    "creator_followed": (("creator_id", "pool", "b", "users"),),
    "gift_sent": (("gift_txn_id", "id", "a", "g_"), ("gift_id", "pool", "b", "gifts"), ("quantity", "num", "c", "")),
    "gift_refunded": (("gift_txn_id", "id", "a", "g_"),),
    "gift_blocked": (
        ("gift_id", "pool", "b", "gifts"),
        ("quantity", "num", "c", ""),
        ("reason", "pool", "d", "block_reasons"),
    ),
    "ad_impression": (("impression_id", "id", "a", "i_"), ("campaign_id", "pool", "b", "campaigns")),
    "ad_clicked": (("impression_id", "id", "a", "i_"),),
    "stream_reported": (("reason", "pool", "a", "report_reasons"),),
    "moderation_action": (("action", "pool", "a", "mod_actions"), ("target_user_id", "pool", "b", "users")),
}
OPTIONAL_FIELDS: frozenset[tuple[str, str]] = frozenset({("viewer_joined", "notification_id")})  # only when >= 0
EVENT_ID_HEX_DIGITS = 12
_EVENT_ID_MULT = np.uint64(0x9E3779B97F4B)  # odd: (n + offset) * MULT mod 2**48 is a bijection
_EVENT_ID_MASK = np.uint64((1 << 48) - 1)


def _u8(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("ascii"), dtype=np.uint8)


def _strings_from_matrix(matrix: np.ndarray) -> pa.Array:
    """Rows of an (n, w) uint8 ASCII matrix as an Arrow string array."""
    n, width = matrix.shape
    matrix = np.ascontiguousarray(matrix)
    offset_type, offset_np = (pa.string(), np.int32) if n * width < 2**31 else (pa.large_string(), np.int64)
    offsets = np.arange(0, (n + 1) * width, width, dtype=offset_np)
    array = pa.Array.from_buffers(offset_type, n, [None, pa.py_buffer(offsets), pa.py_buffer(matrix)])
    return array if offset_type == pa.string() else array.cast(pa.string())


def _json_pool(values: Sequence[str]) -> pa.Array:
    return pa.array([json.dumps(v, ensure_ascii=False) for v in values], type=pa.string())


@dataclass(frozen=True)
class _Tables:
    """Lookup tables for fast digit formatting."""

    dec4: np.ndarray  # (10000, 4) '0000'..'9999'
    hex4: np.ndarray  # (65536, 4) '0000'..'ffff'
    hms: np.ndarray  # (86400, 8) 'HH:MM:SS'
    ms3: np.ndarray  # (1000, 3)


def _make_tables() -> _Tables:
    v = np.arange(10_000)
    dec4 = np.stack([48 + v // 1000 % 10, 48 + v // 100 % 10, 48 + v // 10 % 10, 48 + v % 10], axis=1).astype(np.uint8)
    hexdig = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    h = np.arange(65_536)
    hex4 = np.stack([hexdig[h >> 12 & 15], hexdig[h >> 8 & 15], hexdig[h >> 4 & 15], hexdig[h & 15]], axis=1)
    s = np.arange(86_400)
    hms = np.empty((86_400, 8), dtype=np.uint8)
    hms[:, 0:2] = dec4[s // 3600, 2:4]
    hms[:, 2] = ord(":")
    hms[:, 3:5] = dec4[s // 60 % 60, 2:4]
    hms[:, 5] = ord(":")
    hms[:, 6:8] = dec4[s % 60, 2:4]
    return _Tables(dec4=dec4, hex4=hex4, hms=hms, ms3=dec4[:1000, 1:4].copy())


def _take(pool: pa.Array, index: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """``pool[index]`` as an Arrow array; rows where ``null`` is true are NULL."""
    return pc.take(pool, pa.array(index.astype(np.int64), mask=null))


class _IdAndTimeFormatter:
    """Zero-padded prefixed ids (s_00001), event ids (e_ + 12 hex digits) and ISO timestamps."""

    def __init__(self, id_counts: Mapping[str, int], event_id_offset: np.uint64) -> None:
        self._t = _make_tables()
        self._width = {
            "s_": max(5, len(str(id_counts["stream"]))),
            "n_": max(8, len(str(id_counts["notification"]))),
            "c_": max(8, len(str(id_counts["comment"]))),
            "g_": max(8, len(str(id_counts["gift_txn"] + 10_000))),
            "i_": max(9, len(str(id_counts["impression"]))),
        }
        self._event_id_offset = event_id_offset

    def _digits(self, values: np.ndarray, width: int) -> np.ndarray:
        """(n, width) ASCII zero-padded decimals of non-negative integers."""
        values = np.maximum(values, 0).astype(np.int64)
        chunks = -(-width // 4)
        out = np.empty((len(values), chunks * 4), dtype=np.uint8)
        for k in range(chunks):  # least significant 4 digits last
            out[:, (chunks - 1 - k) * 4 : (chunks - k) * 4] = self._t.dec4[values // 10 ** (4 * k) % 10_000]
        return out[:, chunks * 4 - width :]

    def prefixed_ids(self, prefix: str, values: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
        """``prefix`` + zero-padded ``values`` (s_00042); rows where ``null`` is true are NULL."""
        width = self._width[prefix]
        matrix = np.empty((len(values), len(prefix) + width), dtype=np.uint8)
        matrix[:, : len(prefix)] = _u8(prefix)
        matrix[:, len(prefix) :] = self._digits(values, width)
        ids = _strings_from_matrix(matrix)
        if null is not None and null.any():
            ids = pc.if_else(pa.array(null), pa.scalar(None, pa.string()), ids)
        return ids

    def event_ids(self, eid: np.ndarray) -> pa.Array:
        """e_ + 12 hex digits: a bijection of the event number, so ids are unique but unordered."""
        x = ((eid.astype(np.uint64) + self._event_id_offset) * _EVENT_ID_MULT) & _EVENT_ID_MASK
        matrix = np.empty((len(eid), 2 + EVENT_ID_HEX_DIGITS), dtype=np.uint8)
        matrix[:, 0:2] = _u8("e_")
        for k in range(3):
            part = (x >> np.uint64(16 * (2 - k))) & np.uint64(0xFFFF)
            matrix[:, 2 + 4 * k : 6 + 4 * k] = self._t.hex4[part.astype(np.int64)]
        return _strings_from_matrix(matrix)

    def timestamps(self, ms: np.ndarray) -> pa.Array:
        """ISO-8601 UTC with milliseconds and Z: 2026-11-09T20:15:03.123Z."""
        if len(ms) == 0:
            return pa.array([], type=pa.string())
        days, in_day = np.divmod(ms.astype(np.int64), MS_PER_DAY)
        d0 = int(days.min())
        span = np.arange(d0, int(days.max()) + 1).astype("datetime64[D]")
        date_tab = np.frombuffer("".join(np.datetime_as_string(span)).encode("ascii"), dtype=np.uint8).reshape(-1, 10)
        sec, milli = np.divmod(in_day, 1000)
        out = np.empty((len(ms), 24), dtype=np.uint8)
        out[:, 0:10] = date_tab[days - d0]
        out[:, 10] = ord("T")
        out[:, 11:19] = self._t.hms[sec]
        out[:, 19] = ord(".")
        out[:, 20:23] = self._t.ms3[milli]
        out[:, 23] = ord("Z")
        return _strings_from_matrix(out)


def _property_pools(actor_ids: Sequence[str]) -> dict[str, pa.Array]:
    """The JSON-encoded values of the "pool" property fields (see PROPERTY_FIELDS), by pool name.

    The gift and campaign pools end with the unknown ids (selected by slot values from UNKNOWN_ID_BASE).
    """
    return {
        "titles": _json_pool([t for titles in TITLES for t in titles]),
        "comments": _json_pool(COMMENT_TEXTS),
        "replies": _json_pool(REPLY_TEXTS),
        "categories": _json_pool(CATEGORIES),
        "end_reasons": _json_pool(END_REASONS),
        "sources": _json_pool(JOIN_SOURCES),
        "channels": _json_pool(SHARE_CHANNELS),
        "block_reasons": _json_pool(BLOCK_REASONS),
        "report_reasons": _json_pool(REPORT_REASONS),
        "mod_actions": _json_pool(MODERATION_ACTIONS),
        "users": _json_pool(actor_ids),
        "gifts": _json_pool([g[0] for g in GIFTS] + list(UNKNOWN_GIFT_IDS)),
        "campaigns": _json_pool([c[0] for c in AD_CAMPAIGNS] + list(UNKNOWN_CAMPAIGN_IDS)),
    }


class _PropertiesFormatter:
    """The properties column: a JSON object per event type (PROPERTY_FIELDS), or the text of a
    properties variant (pretty, missing a property, not an object: see gen_model.PVAR_*)."""

    def __init__(self, world: World, ids: _IdAndTimeFormatter) -> None:
        self._ids = ids
        self._unknown_props = pa.array([props for _, props in UNKNOWN_EVENT_TYPES], type=pa.string())
        self._not_object_text = pa.array(list(NOT_OBJECT_TEXTS), type=pa.string())
        self._pools = _property_pools(world.actor_ids)
        self._unknown_base = {"gifts": len(GIFTS), "campaigns": len(AD_CAMPAIGNS)}

    def properties(self, rows: Events) -> pa.Array:
        """The properties text of every row, in row order."""
        pieces: list[pa.Array] = []
        positions: list[np.ndarray] = []
        etype = rows["etype"]
        for code in np.unique(etype):
            of_type = etype == code
            if code >= len(EVENT_TYPES):  # unknown types carry fixed properties
                where = np.flatnonzero(of_type)
                pieces.append(_take(self._unknown_props, etype[where].astype(np.int64) - len(EVENT_TYPES)))
                positions.append(where)
                continue
            for where, text in self._properties_of_type(EVENT_TYPES[code], rows, of_type):
                pieces.append(text)
                positions.append(where)
        if not pieces:
            return pa.array([], type=pa.string())
        merged = pa.concat_arrays(pieces)
        order = np.argsort(np.concatenate(positions), kind="stable")
        return pc.take(merged, pa.array(order))

    def _properties_of_type(
        self, type_name: str, rows: Events, of_type: np.ndarray
    ) -> Iterator[tuple[np.ndarray, pa.Array]]:
        """(row positions, properties text) per group of rows of one known type that share a
        variant and the presence of the optional fields."""
        pvar = rows["pvar"]
        all_keys = [f[0] for f in PROPERTY_FIELDS[type_name]]
        optional = [k for k in all_keys if (type_name, k) in OPTIONAL_FIELDS]
        has_optional = np.ones(len(rows), dtype=bool)
        for key in optional:
            source = next(f[2] for f in PROPERTY_FIELDS[type_name] if f[0] == key)
            has_optional &= rows[source] >= 0
        for variant in np.unique(pvar[of_type]):
            for with_optional in (True, False):
                where = np.flatnonzero(of_type & (pvar == variant) & (has_optional == with_optional))
                if len(where) == 0:
                    continue
                keys = [k for k in all_keys if with_optional or k not in optional]
                if variant == PVAR_MISSING_PROPERTY:
                    keys = [k for k in keys if k != MISSING_PROPERTY[type_name]]
                sub = rows.take(where)
                text = self._object(type_name, sub, keys, pretty=variant == PVAR_PRETTY)
                yield where, self._not_object(text, sub, int(variant))

    def _field_value(self, kind: str, source: str, pool: str, rows: Events) -> pa.Array | str:
        """The JSON value of one field (see PROPERTY_FIELDS) for every row."""
        col = rows[source]
        if kind == "num":
            return pc.cast(pa.array(col), pa.string())
        if kind == "id":
            return pc.binary_join_element_wise('"', self._ids.prefixed_ids(pool, col + 1), '"', "")
        index = col.astype(np.int64)
        if pool in self._unknown_base:
            index = np.where(index >= UNKNOWN_ID_BASE, self._unknown_base[pool] + index - UNKNOWN_ID_BASE, index)
        return _take(self._pools[pool], index)

    def _object(self, type_name: str, rows: Events, keys: Sequence[str], pretty: bool) -> pa.Array:
        """A JSON object of the ``keys`` fields of ``type_name``, compact or pretty-printed."""
        fields = [f for f in PROPERTY_FIELDS[type_name] if f[0] in keys]
        if not fields:
            return pa.array(["{}"] * len(rows), type=pa.string())
        parts: list[pa.Array | str] = ["{\n  " if pretty else "{"]
        for i, (key, kind, source, pool) in enumerate(fields):
            if i:
                parts.append(",\n  " if pretty else ",")
            parts.append(f'"{key}": ' if pretty else f'"{key}":')
            parts.append(self._field_value(kind, source, pool, rows))
        parts.append("\n}" if pretty else "}")
        return pc.binary_join_element_wise(*parts, "")

    def _not_object(self, text: pa.Array, rows: Events, variant: int) -> pa.Array:
        """The object ``text`` damaged as a not-an-object variant says (unchanged for the others)."""
        if variant == PVAR_TRUNCATED:
            return pc.utf8_slice_codeunits(text, 0, TRUNCATE_AT)
        if variant == PVAR_NULL:
            return pa.array(["null"] * len(text), type=pa.string())
        if variant == PVAR_ARRAY:
            return pc.binary_join_element_wise("[", text, "]", "")
        if variant == PVAR_TEXT:
            return _take(self._not_object_text, rows["eid"] % len(NOT_OBJECT_TEXTS))
        return text


class EventFormatter:
    """Formats integer event rows as the ten text columns of raw_live_events."""

    def __init__(self, cfg: GeneratorConfig, world: World) -> None:
        event_id_offset = np.uint64(cfg.rng("event_ids").integers(0, 1 << 40))
        self._ids = _IdAndTimeFormatter(world.id_counts, event_id_offset)
        self._properties = _PropertiesFormatter(world, self._ids)
        self._type_pool = pa.array(list(ALL_EVENT_TYPE_NAMES), type=pa.string())
        self._user_pool = pa.array(world.actor_ids, type=pa.string())
        self._platform_pool = pa.array(list(PLATFORMS), type=pa.string())
        self._version_pool = pa.array(world.version_pool, type=pa.string())
        self._country_pool = pa.array(world.country_pool, type=pa.string())
        self._actor_platform = world.actor_platform
        self._actor_version = world.actor_version
        self._actor_country = world.actor_country
        self._garbage = pa.array(list(GARBAGE_TIMESTAMPS), type=pa.string())

    def table(self, rows: Events) -> pa.Table:
        """The rows as a table of the ten text columns (EVENT_SCHEMA)."""
        ids = self._ids
        tvar = rows["tvar"]
        event_at = ids.timestamps(rows["t_event"])
        bad_time = tvar >= 0
        if bad_time.any():
            garbage = _take(self._garbage, np.maximum(tvar, 0))
            event_at = pc.if_else(pa.array(bad_time), garbage, event_at)
        actor = rows["actor"]
        columns = [
            ids.event_ids(rows["eid"]),
            _take(self._type_pool, rows["etype"]),
            event_at,
            ids.timestamps(rows["t_recv"]),
            _take(self._user_pool, np.maximum(rows["user"], 0), null=rows["user"] < 0),
            ids.prefixed_ids("s_", rows["stream"] + 1, null=rows["stream"] < 0),
            self._properties.properties(rows),
            _take(self._platform_pool, self._actor_platform[actor]),
            _take(self._version_pool, self._actor_version[actor]),
            _take(self._country_pool, self._actor_country[actor]),
        ]
        return pa.Table.from_arrays(columns, schema=EVENT_SCHEMA)

    def batches(self, rows: Events, chunk_rows: int = CHUNK_ROWS) -> Iterator[pa.Table]:
        """The rows as tables of at most ``chunk_rows`` rows each, in order."""
        for lo in range(0, max(len(rows), 1), chunk_rows):
            yield self.table(rows.take(slice(lo, lo + chunk_rows)))


def reference_table(columns: Mapping[str, Sequence[str | None]]) -> pa.Table:
    return pa.table({name: pa.array(list(values), type=pa.string()) for name, values in columns.items()})


# --- writing -------------------------------------------------------------------------------------

CSV_OPTIONS = pcsv.WriteOptions(include_header=True, quoting_style="needed")  # quotes every text value


def file_names(fmt: str) -> dict[str, str]:
    """Table name -> file name for a format."""
    if fmt == "csv":
        return {"raw_live_events": "raw_live_events.csv.gz", **{t: f"{t}.csv" for t in REFERENCE_TABLES}}
    return {"raw_live_events": "raw_live_events.parquet", **{t: f"{t}.parquet" for t in REFERENCE_TABLES}}


PARTITIONS: tuple[str, ...] = ("received_date",)


def write_daily_drops(
    out_dir: Path, fmt: str, event_batches: Iterator[pa.Table], progress: Callable[[str], None] | None = None
) -> dict[str, int]:
    """Write the event log as daily drops, ``raw_live_events/received_date=YYYY-MM-DD/part-0.<ext>``: each
    row in the drop of the UTC day it was received (rows arrive in received_at order). The folder is written
    beside its final name and renamed into place. Returns relative file name -> size in bytes."""
    final = out_dir / "raw_live_events"
    tmp = out_dir / ".raw_live_events.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    writers: dict[str, tuple[object, object | None]] = {}
    written = 0
    try:
        for batch in event_batches:
            days = pc.utf8_slice_codeunits(batch.column("received_at"), 0, 10)
            for day in pc.unique(days).to_pylist():
                part = batch.filter(pc.equal(days, day))
                if day not in writers:
                    folder = tmp / f"received_date={day}"
                    folder.mkdir(parents=True)
                    if fmt == "csv":
                        handle = gzip.GzipFile(folder / "part-0.csv.gz", mode="wb", compresslevel=6, mtime=0)
                        writers[day] = (pcsv.CSVWriter(handle, EVENT_SCHEMA, write_options=CSV_OPTIONS), handle)
                    else:
                        writers[day] = (
                            pq.ParquetWriter(folder / "part-0.parquet", EVENT_SCHEMA, compression="zstd"),
                            None,
                        )
                writers[day][0].write_table(part)  # type: ignore[attr-defined]
            written += batch.num_rows
            if progress:
                progress(f"wrote {written:,} event rows in {len(writers)} daily drops")
        for writer, handle in writers.values():
            writer.close()  # type: ignore[attr-defined]
            if handle is not None:
                handle.close()  # type: ignore[attr-defined]
        shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {str(path.relative_to(out_dir)): path.stat().st_size for path in sorted(final.rglob("part-0.*"))}


def write_tables(
    out_dir: Path,
    fmt: str,
    event_batches: Iterator[pa.Table],
    reference: Mapping[str, pa.Table],
    progress: Callable[[str], None] | None = None,
    partition_by: str | None = None,
) -> dict[str, int]:
    """Write the event log and reference tables; returns file name -> size in bytes.

    Each file is written to a temporary name and renamed into place, so an interrupted
    run never leaves a half-written file under the final name. ``partition_by="received_date"``
    writes the event log as daily drops (``write_daily_drops``) instead of one file.
    """
    names = file_names(fmt)
    out_dir.mkdir(parents=True, exist_ok=True)
    if partition_by is not None:
        sizes = write_daily_drops(out_dir, fmt, event_batches, progress)
        sizes.update(_write_reference(out_dir, fmt, names, reference))
        return sizes
    sizes: dict[str, int] = {}
    final = out_dir / names["raw_live_events"]
    tmp = out_dir / f".{final.name}.tmp"
    written = 0
    try:
        if fmt == "csv":
            with (
                open(tmp, "wb") as raw_file,
                gzip.GzipFile(filename="", mode="wb", fileobj=raw_file, compresslevel=6, mtime=0) as gz,
            ):
                writer = pcsv.CSVWriter(gz, EVENT_SCHEMA, write_options=CSV_OPTIONS)
                for batch in event_batches:
                    writer.write_table(batch)
                    written += batch.num_rows
                    if progress:
                        progress(f"wrote {written:,} event rows")
                writer.close()
        else:
            writer = pq.ParquetWriter(tmp, EVENT_SCHEMA, compression="zstd", compression_level=3)
            for batch in event_batches:
                writer.write_table(batch, row_group_size=CHUNK_ROWS)
                written += batch.num_rows
                if progress:
                    progress(f"wrote {written:,} event rows")
            writer.close()
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()
    sizes[final.name] = final.stat().st_size
    sizes.update(_write_reference(out_dir, fmt, names, reference))
    return sizes


def _write_reference(
    out_dir: Path, fmt: str, names: Mapping[str, str], reference: Mapping[str, pa.Table]
) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for name in REFERENCE_TABLES:
        path = out_dir / names[name]
        tmp = out_dir / f".{path.name}.tmp"
        try:
            if fmt == "csv":
                pcsv.write_csv(reference[name], tmp, write_options=CSV_OPTIONS)
            else:
                pq.write_table(reference[name], tmp, compression="zstd")
            os.replace(tmp, path)
        finally:
            if tmp.exists():
                tmp.unlink()
        sizes[path.name] = path.stat().st_size
    return sizes
