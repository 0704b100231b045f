"""The gate's row rules and the raw reference of the tests are the same rules, in the same order.

The rules are data in macros/live_event_contract.sql (live_row_rules) and SQL the gate runs (live_row_reason);
tests/python/raw_reference.py checks rows in Python (ROW_RULES, PROPERTY_RULES) to compute every number
the warehouse is compared with. A rule added to one and not the other, a bound that differs, or another
order (the first rule a row breaks is its reason) fails here, read from the SQL the build compiled.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import raw_reference as rr
from conftest import Warehouse

GATE = Path("compiled/live_streaming/models/staging/live_raw/base/base_live__events.sql")
THEN = re.compile(r"\bthen\s+(?:'(\w+)'|\w+\.read_error)")


def row_reason_case(compiled: str) -> str:
    """The CASE that decides row_reason in the compiled gate."""
    start = compiled.index("row_checked as (")
    return compiled[start : compiled.index("as row_reason", start)]


def kind_of(condition: str) -> str:
    if "not in (" in condition:
        return "allowed"
    if "isfinite" in condition:
        return "non_negative"
    if re.search(r"\)\s*>\s*\d+\s*$", condition):
        return "at_most"
    if re.search(r"\bend\s+is null\s*$", condition):
        return "whole_number"
    if re.search(r"\bend\s*<\s*1\s*$", condition):
        return "positive"
    if re.search(r"is null(\s+or)?", condition):
        return "required"
    raise AssertionError(f"a rule of no known kind: {condition}")


def compiled_rules(compiled: str) -> tuple[list[str], list[tuple], str]:
    """(the rules on the row itself, the property rules as PROPERTY_RULES spells them, the missing_stream_id check)."""
    case = row_reason_case(compiled)
    row_rules, property_rules, stream_check = [], [], ""
    pieces = THEN.split(case)  # condition, reason, condition, reason, ..., the tail
    conditions = [re.sub(r"^.*?\bwhen\b", "", piece, count=1, flags=re.S).strip() for piece in pieces[0:-1:2]]
    for condition, reason in zip(conditions, pieces[1::2], strict=True):
        if reason is None:  # the landing's read_error names its own reason
            continue
        of_type = re.search(r"event_type = '(\w+)'", condition)
        if of_type is None:
            row_rules.append(reason)
            stream_check = condition if reason == "missing_stream_id" else stream_check
            continue
        kind = kind_of(condition)
        fields = tuple(dict.fromkeys(re.findall(r"property__(\w+)", condition)))
        value: int | frozenset[str] | None = None
        if kind == "at_most":
            value = int(re.search(r">\s*(\d+)\s*$", condition).group(1))  # type: ignore[union-attr]
        elif kind == "allowed":
            value = frozenset(re.findall(r"'(\w+)'", condition.split("not in", 1)[1]))
        property_rules.append((of_type.group(1), kind, reason, fields, value))
    return row_rules, property_rules, stream_check


def reference_property_rules() -> list[tuple]:
    """The raw reference's property rules, spelled as compiled_rules spells the gate's."""
    return [(rule.event_type, rule.kind, rule.reason, rule.fields, rule.value) for rule in rr.PROPERTY_RULES]


@pytest.fixture(scope="module")
def compiled_gate(warehouse: Warehouse) -> str:
    return (warehouse.target_path / GATE).read_text()


def test_the_rules_on_the_row_itself_are_the_same_and_in_order(compiled_gate: str) -> None:
    row_rules, _, _ = compiled_rules(compiled_gate)
    assert row_rules == [reason for reason, _ in rr.ROW_RULES]


def test_the_property_rules_are_the_same_and_in_order(compiled_gate: str) -> None:
    _, property_rules, _ = compiled_rules(compiled_gate)
    reference = reference_property_rules()
    assert property_rules == reference
    assert {kind for _, kind, *_ in property_rules} == {
        "required",
        "whole_number",
        "positive",
        "non_negative",
        "at_most",
        "allowed",
    }


def test_the_types_needing_a_stream_are_the_same(compiled_gate: str) -> None:
    _, _, stream_check = compiled_rules(compiled_gate)
    needing = set(re.findall(r"'(\w+)'", stream_check.split(" in (", 1)[1]))
    assert needing == set(rr.REQUIRED_PROPERTIES) - rr.TYPES_WITHOUT_STREAM
    assert rr.TYPES_WITHOUT_STREAM and needing


def test_a_rule_missing_from_the_reference_is_seen(compiled_gate: str) -> None:
    """The comparison is not vacuous: the gate's SQL without one bound no longer matches the reference."""
    bound = "\n                and try_cast(with_keys.property__startup_ms as double) > 600000"
    assert bound in compiled_gate
    case = row_reason_case(compiled_gate)
    clause = case[case.rindex("when", 0, case.index(bound)) : case.index("'implausible_value'", case.index(bound))]
    without = compiled_gate.replace(clause + "'implausible_value'", "", 1)
    _, property_rules, _ = compiled_rules(without)
    reference = reference_property_rules()
    assert len(property_rules) == len(reference) - 1 and property_rules != reference
