"""Human formatting of metric values and changes, and the small pieces of an exported document every output
shows the same way (the period sentence, the guardrail table): shared by the text, Markdown and HTML outputs."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

_PERCENT_SUFFIXES = ("_rate", "_ratio", "_share", "_growth", "_ctr", "_retention")


def value_kind(metric_name: str) -> str:
    """Guess how a metric's value reads best: ``usd``, ``percent`` or ``number``."""
    if metric_name.endswith("_usd"):
        return "usd"
    if metric_name.endswith(_PERCENT_SUFFIXES):
        return "percent"
    return "number"


def is_rate(metric_name: str) -> bool:
    """A rate, ratio or share: a value shown as a percent (by its name, like ``value_kind``), whose change
    reads in percentage points rather than as a relative change."""
    return value_kind(metric_name) == "percent"


def is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(float(value))


def format_value(value: object, metric_name: str = "") -> str:
    """Format a metric value; ``—`` when missing."""
    if value is None:
        return "—"
    if not is_number(value):
        return str(value)
    number = float(value)  # type: ignore[arg-type]
    kind = value_kind(metric_name)
    if kind == "percent":
        return f"{number * 100:.2f}%"
    if kind == "usd":
        return f"${number:,.2f}"
    if number == int(number) and abs(number) < 1e15:
        return f"{int(number):,}"
    if abs(number) >= 100:
        return f"{number:,.1f}"
    if abs(number) >= 1:
        return f"{number:,.2f}"
    return f"{number:.4g}"


NO_BASELINE = "no baseline"
NOT_FINAL = "not final yet"


def format_node_value(node: Mapping[str, Any]) -> str:
    """An exported node's value for a reader: ``not final yet`` while the data lacks the history or the days
    after that it needs (a 7-day retention of last week), since the number would look final and is not."""
    if node.get("final") is False:
        return NOT_FINAL
    return format_value(node.get("value"), str(node["name"]))


def format_change(change: float | None, baseline: bool = True) -> str:
    """Format a relative change (0.032 → ``+3.2%``); ``—`` when not computable; ``no baseline`` when the
    metric's history before the data starts is missing (the change would not mean what it says)."""
    if not baseline:
        return NO_BASELINE
    if change is None or not is_number(change):
        return "—"
    return f"{change * 100:+.1f}%"


def change_points(metric_name: str, value: object, previous: object) -> float | None:
    """A rate's change in percentage points (0.0001 → 0.0054: 0.53); None for counts and amounts, or
    when either value is missing."""
    if not is_rate(metric_name) or not is_number(value) or not is_number(previous):
        return None
    return (float(value) - float(previous)) * 100  # type: ignore[arg-type]


def format_metric_change(
    metric_name: str, value: object, previous: object, change: float | None, baseline: bool = True
) -> str:
    """A metric's change as people read it: in percentage points for a rate (0.0001 → 0.0054: ``+0.53 pp``,
    not ``+5300.0%``), relative for counts and amounts (``+3.2%``); ``no baseline`` and ``—`` as
    ``format_change``."""
    if not baseline:
        return NO_BASELINE
    if change_points(metric_name, value, previous) is not None:
        return format_signed(float(value) - float(previous), metric_name)  # type: ignore[arg-type]
    return format_change(change)


def format_node_change(node: Mapping[str, Any]) -> str:
    """``format_metric_change`` of an exported document's node (name, value, previous, change, baseline)."""
    return format_metric_change(
        str(node["name"]),
        node.get("value"),
        node.get("previous"),
        node.get("change"),
        node.get("baseline") is not False,
    )


def format_threshold(threshold: object, metric_name: str = "") -> str:
    if threshold is None:
        return ""
    if isinstance(threshold, str):
        return threshold
    return format_value(threshold, metric_name)


def format_signed(value: float | None, metric_name: str = "") -> str:
    """A change in the metric's own units with its sign (``+3,240.5``, ``-$12.00``); ``—`` when missing."""
    if value is None or not is_number(value):
        return "—"
    sign = "-" if value < 0 else "+"
    if value_kind(metric_name) == "percent":
        return f"{sign}{abs(value) * 100:.2f} pp"  # a change of a rate is in percentage points
    return sign + format_value(abs(value), metric_name)


SHARE_SLACK = 1e-9  # a share this far outside 0–100 % is rounding, not an offsetting part
MORE_THAN_ALL = "more than all (offsetting)"
AGAINST = "against (offsetting)"


def format_share(share: float | None) -> str:
    """A part's share of a change, as a person reads it: 0.907 → ``90.7%``; ``—`` when there is no change to
    share. Parts of one change may move in opposite directions (viewers up, minutes per viewer down): a part
    against the change has a negative share and a part pushing with it more than 100 %. Those are arithmetic,
    not readable percentages, so they are said in words: ``more than all (offsetting)`` and
    ``against (offsetting)``; the part's contribution in the metric's own units says how much."""
    if share is None or not is_number(share):
        return "—"
    if share > 1 + SHARE_SLACK:
        return MORE_THAN_ALL
    if share < -SHARE_SLACK:
        return AGAINST
    return f"{min(max(share, 0.0), 1.0) * 100:.1f}%"


def material_residual(residual: float | None, change: float | None, tolerance: float = 1e-6) -> bool:
    """Whether a split's residual (the change its parts leave unexplained) is worth printing: above
    ``tolerance`` of the change; floating-point dust such as 3.6e-12 is not."""
    if residual is None or not is_number(residual):
        return False
    scale = abs(change) if change is not None and is_number(change) and change != 0 else 1.0
    return abs(residual) > tolerance * scale


def period_sentence(document: Mapping[str, Any]) -> str:
    """The sentence that dates an exported tree document's values."""
    if not document.get("has_values"):
        return "Tree only (exported without values)."
    period = document["period"]
    previous = document["previous_period"]
    which = f"the latest complete {period['grain']}, " if document.get("period_is_latest", True) else ""
    return (
        f"Values for {which}{period['label']}, against {previous['label']} "
        f"(last complete day {document['last_complete_day']}; data through {document['last_data_day']})."
    )


def guardrail_rows(nodes: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The guardrail table of an exported document, built once from its nodes (tree order): each guardrail
    with the metric it protects (its parent), its threshold, value, previous value and status."""
    return [
        {
            "metric": node["name"],
            "label": node["label"],
            "stakeholder": node["stakeholder"],
            "protects": node["parent"],
            "threshold": node["threshold"],
            "value": node.get("value"),
            "previous": node.get("previous"),
            "status": node.get("status"),
        }
        for node in nodes
        if node["tier"] == "guardrail"
    ]


def guardrail_table(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A document's ``guardrails`` rows; for a document exported before they were part of it, built now."""
    rows = document.get("guardrails")
    return list(rows) if rows is not None else guardrail_rows(document["nodes"])
