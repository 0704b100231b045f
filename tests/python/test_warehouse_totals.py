"""The warehouse marts against an independent Python reading of the raw files (tests/python/raw_reference.py).

The reference implements docs/contract/events.md from the raw folder the warehouse was built from; every number here is
computed from raw rows, none is copied from the warehouse. A failure prints both sides.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from raw_reference import CLEAN, DUPLICATE, QUARANTINED, REASONS, Reference, cached_reference

CENT = Decimal("0.01")


@pytest.fixture(scope="session")
def reference(warehouse: Any) -> Reference:
    """The reference numbers for the raw data the warehouse was built from (computed once per session)."""
    return cached_reference(warehouse.raw_data_path)


@pytest.fixture(scope="module")
def marts(warehouse: Any) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the built warehouse, closed after this module (MetricFlow opens the file too)."""
    connection = duckdb.connect(str(warehouse.duckdb_path), read_only=True)
    yield connection
    connection.close()


def scalar(marts: duckdb.DuckDBPyConnection, sql: str) -> Any:
    return marts.execute(sql).fetchone()[0]  # type: ignore[index]


def audit_by_outcome(marts: duckdb.DuckDBPyConnection) -> dict[str, int]:
    rows = marts.execute("select outcome, sum(row_count) from marts.fct_ingestion_audit group by outcome").fetchall()
    return {outcome: int(count) for outcome, count in rows}


def describe_differences(warehouse: dict[Any, Any], reference: dict[Any, Any]) -> str:
    keys = sorted(set(warehouse) | set(reference), key=str)
    lines = [
        f"  {key}: warehouse={warehouse.get(key)!r} reference={reference.get(key)!r}"
        for key in keys
        if warehouse.get(key) != reference.get(key)
    ]
    return "\n".join(lines[:40]) + (f"\n  … {len(lines) - 40} more" if len(lines) > 40 else "")


# ---------------------------------------------------------------------------------------------------
# Ingestion


def test_raw_row_count(marts: duckdb.DuckDBPyConnection, reference: Reference) -> None:
    total = int(scalar(marts, "select sum(row_count) from marts.fct_ingestion_audit"))
    assert total == reference.raw_rows, f"raw rows: warehouse audit={total} reference={reference.raw_rows}"


def test_audit_equation_holds(marts: duckdb.DuckDBPyConnection, reference: Reference) -> None:
    """raw rows (counted from the file) = clean + duplicate deliveries + quarantined (from the audit)."""
    outcomes = audit_by_outcome(marts)
    assert set(outcomes) <= {CLEAN, DUPLICATE, QUARANTINED}, f"unexpected outcomes in the audit: {sorted(outcomes)}"
    accounted = outcomes.get(CLEAN, 0) + outcomes.get(DUPLICATE, 0) + outcomes.get(QUARANTINED, 0)
    assert reference.raw_rows == accounted, (
        f"raw rows {reference.raw_rows} != clean {outcomes.get(CLEAN, 0)} + duplicate {outcomes.get(DUPLICATE, 0)}"
        f" + quarantined {outcomes.get(QUARANTINED, 0)} = {accounted}"
    )
    quarantined_rows = int(scalar(marts, "select count(*) from marts.fct_quarantined_events"))
    assert quarantined_rows == outcomes.get(QUARANTINED, 0), (
        f"fct_quarantined_events has {quarantined_rows} rows, the audit counts {outcomes.get(QUARANTINED, 0)}"
    )


def test_clean_duplicate_quarantined_counts(marts: duckdb.DuckDBPyConnection, reference: Reference) -> None:
    expected = {outcome: reference.ingestion.count(outcome) for outcome in (CLEAN, DUPLICATE, QUARANTINED)}
    actual = audit_by_outcome(marts)
    assert actual == expected, "rows by outcome differ:\n" + describe_differences(actual, expected)


def test_quarantined_rows_by_reason(marts: duckdb.DuckDBPyConnection, reference: Reference) -> None:
    rows = marts.execute(
        "select reason, sum(row_count) from marts.fct_ingestion_audit where outcome = 'quarantined' group by reason"
    ).fetchall()
    actual = {reason: int(count) for reason, count in rows}
    expected = reference.ingestion.quarantined_by_reason()
    assert set(actual) <= set(REASONS), f"reason codes outside the contract: {sorted(set(actual) - set(REASONS))}"
    assert actual == expected, "quarantined rows by reason differ:\n" + describe_differences(actual, expected)


def test_quarantined_rows_one_by_one(marts: duckdb.DuckDBPyConnection, reference: Reference) -> None:
    """The same raw rows (1-based data row number in file order) carry the same reason."""
    actual = dict(marts.execute("select raw_row_number, reason from marts.fct_quarantined_events").fetchall())
    expected = reference.ingestion.reason
    assert actual == expected, "quarantined rows differ (raw row number: reason):\n" + describe_differences(
        actual, expected
    )


# ---------------------------------------------------------------------------------------------------
# Streams and sessions


def test_number_of_streams(marts: duckdb.DuckDBPyConnection, reference: Reference) -> None:
    actual = int(scalar(marts, "select count(*) from marts.fct_live_streams"))
    assert actual == len(reference.streams), f"streams: warehouse={actual} reference={len(reference.streams)}"


def test_streams_by_end_reason(marts: duckdb.DuckDBPyConnection, reference: Reference) -> None:
    sql = "select end_reason, count(*) from marts.fct_live_streams group by end_reason"
    actual = dict(marts.execute(sql).fetchall())
    expected: dict[str, int] = {}
    for stream in reference.streams.values():
        expected[stream.end_reason] = expected.get(stream.end_reason, 0) + 1
    assert actual == expected, "streams by end reason differ:\n" + describe_differences(actual, expected)


def test_session_count(marts: duckdb.DuckDBPyConnection, reference: Reference) -> None:
    actual = int(scalar(marts, "select count(*) from marts.fct_viewer_sessions"))
    assert actual == len(reference.sessions), f"sessions: warehouse={actual} reference={len(reference.sessions)}"


def test_distinct_viewers(marts: duckdb.DuckDBPyConnection, reference: Reference) -> None:
    actual = int(scalar(marts, "select count(distinct viewer_id) from marts.fct_viewer_sessions"))
    expected = len({session.viewer_id for session in reference.sessions})
    assert actual == expected, f"distinct viewers: warehouse={actual} reference={expected}"


def test_total_watch_minutes(marts: duckdb.DuckDBPyConnection, reference: Reference) -> None:
    actual = float(scalar(marts, "select sum(watch_minutes) from marts.fct_viewer_sessions"))
    expected = sum(session.ended_at - session.started_at for session in reference.sessions) / 60_000_000
    assert actual == pytest.approx(expected, rel=1e-9), f"watch minutes: warehouse={actual} reference={expected}"


def test_peak_concurrent_viewers_per_stream(marts: duckdb.DuckDBPyConnection, reference: Reference) -> None:
    actual = {
        stream_id: int(peak)
        for stream_id, peak in marts.execute(
            "select stream_id, peak_concurrent_viewers from marts.fct_live_streams"
        ).fetchall()
    }
    assert actual == reference.peaks, "peak concurrent viewers by stream differ:\n" + describe_differences(
        actual, reference.peaks
    )


# ---------------------------------------------------------------------------------------------------
# Money and replies


def test_gift_usd_gross(marts: duckdb.DuckDBPyConnection, reference: Reference) -> None:
    actual = Decimal(str(scalar(marts, "select coalesce(sum(sent_usd), 0) from marts.fct_gifts")))
    expected = sum((gift.usd for gift in reference.gifts), Decimal(0))
    assert actual.quantize(CENT) == expected.quantize(CENT), f"gift USD gross: warehouse={actual} reference={expected}"


def test_gift_usd_refunded(marts: duckdb.DuckDBPyConnection, reference: Reference) -> None:
    actual = Decimal(str(scalar(marts, "select coalesce(sum(refunded_usd), 0) from marts.fct_gifts")))
    expected = sum((refund.usd for refund in reference.refunds), Decimal(0))
    assert actual.quantize(CENT) == expected.quantize(CENT), (
        f"gift USD refunded: warehouse={actual} reference={expected}"
    )


def test_comments_answered(marts: duckdb.DuckDBPyConnection, reference: Reference) -> None:
    actual = int(scalar(marts, "select count(*) from marts.fct_comments where is_replied"))
    expected = sum(1 for comment in reference.comments if comment.replied_at is not None)
    total = int(scalar(marts, "select count(*) from marts.fct_comments"))
    assert (actual, total) == (expected, len(reference.comments)), (
        f"answered comments / comments: warehouse={actual}/{total} reference={expected}/{len(reference.comments)}"
    )
