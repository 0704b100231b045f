"""Why a metric moved: exact splits of a change along the metric tree.

Every metric is written as a *monomial* over base quantities when its definition allows it: a simple
metric is its own base; a ratio is numerator / denominator; a derived metric whose expression only
multiplies and divides its inputs (and constants) is that product. A derived metric whose expression is
a linear combination of its inputs (platform net revenue) is a *sum*. Anything else (conversion,
cumulative, median, offsets, filtered inputs) is opaque: its own base, never split.

A metric's *relation* is the identity that explains it:

* a **product** over tree children whose monomials multiply to the metric's (watch minutes = viewers ×
  minutes per viewer), completed by at most one other metric of the tree when the children leave a
  single factor over (gift revenue = viewers × gifter conversion × revenue per gifter);
* otherwise a **sum** when the metric is a linear derived metric;
* otherwise a **product** over its own definition's inputs (a ratio: numerator ÷ denominator).

Splits are exact: a sum splits additively (coefficient × change of each part); a product splits with the
log-mean Divisia index (LMDI): part *i* gets ``L(x1, x0) · e_i · ln(p_i1 / p_i0)``, where ``L`` is the
logarithmic mean. The parts are normalised by ``Σ e_j ln(p_j1 / p_j0)`` so that they add up to the change
to floating-point precision even when the warehouse's values satisfy the identity only to 1e-12.
"""

from __future__ import annotations

import ast
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from live_metrics.engine.manifest import ManifestMetric, SemanticManifest
from live_metrics.tree.tree import MetricTree

PRODUCT = "product"
SUM = "sum"

Monomial = dict[str, float]  # base quantity -> exponent


@dataclass(frozen=True)
class Relation:
    """An identity ``metric = Π part^exponent`` (product) or ``metric = Σ coefficient·part`` (sum)."""

    metric: str
    kind: str
    parts: tuple[tuple[str, float], ...]  # (metric name, exponent or coefficient)

    @property
    def part_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.parts)

    def text(self) -> str:
        if self.kind == SUM:
            text = ""
            for index, (name, weight) in enumerate(self.parts):
                term = f"{_weight_text(abs(weight))}{name}"
                sign = "−" if weight < 0 else "+"
                text += (f"{'−' if weight < 0 else ''}{term}") if index == 0 else f" {sign} {term}"
            return f"{self.metric} = {text}"
        up = [name if weight == 1 else f"{name}^{weight:g}" for name, weight in self.parts if weight > 0]
        down = [name if weight == -1 else f"{name}^{-weight:g}" for name, weight in self.parts if weight < 0]
        text = " × ".join(up) if up else "1"
        if down:
            text += " ÷ " + (down[0] if len(down) == 1 else "(" + " × ".join(down) + ")")
        return f"{self.metric} = {text}"


def _weight_text(weight: float) -> str:
    return "" if weight == 1 else f"{weight:g} × "


@dataclass(frozen=True)
class Split:
    """A change split among a relation's parts (in the metric's own units)."""

    relation: Relation
    change: float  # value - previous
    contributions: tuple[tuple[str, float], ...]  # (part, contribution); they add up to ``change``

    @property
    def residual(self) -> float:
        return abs(sum(value for _, value in self.contributions) - self.change)

    def share(self, part: str) -> float | None:
        if self.change == 0:
            return None
        return dict(self.contributions).get(part, 0.0) / self.change


# ---------------------------------------------------------------------------------------------------
# Monomials and linear forms from the semantic manifest


class _NotAlgebraic(Exception):
    pass


def _strip_nullif(node: ast.AST) -> ast.AST:
    """``nullif(x, 0)`` only guards a division: algebraically it is ``x``."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id.lower() == "nullif":
        node = node.args[0]
    return node


def _parse(expr: str) -> ast.AST:
    try:
        return ast.parse(expr.strip(), mode="eval").body
    except SyntaxError as error:
        raise _NotAlgebraic(expr) from error


def _monomial_of_expr(node: ast.AST, symbols: Mapping[str, Monomial]) -> Monomial:
    node = _strip_nullif(node)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return {}
    if isinstance(node, ast.Name) and node.id in symbols:
        return dict(symbols[node.id])
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div)):
        left = _monomial_of_expr(node.left, symbols)
        right = _monomial_of_expr(node.right, symbols)
        sign = 1.0 if isinstance(node.op, ast.Mult) else -1.0
        return _combine(left, right, sign)
    raise _NotAlgebraic(ast.dump(node))


def _linear_of_expr(node: ast.AST, names: set[str]) -> dict[str, float]:
    """``expr`` as {input name: coefficient}; constants are not allowed (they would not be a metric)."""
    node = _strip_nullif(node)
    if isinstance(node, ast.Name) and node.id in names:
        return {node.id: 1.0}
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        left = _linear_of_expr(node.left, names)
        right = _linear_of_expr(node.right, names)
        return _combine(left, right, 1.0 if isinstance(node.op, ast.Add) else -1.0)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        for constant, other in ((node.left, node.right), (node.right, node.left)):
            if isinstance(constant, ast.Constant) and isinstance(constant.value, (int, float)):
                return {name: weight * float(constant.value) for name, weight in _linear_of_expr(other, names).items()}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return {name: -weight for name, weight in _linear_of_expr(node.operand, names).items()}
    raise _NotAlgebraic(ast.dump(node))


def _combine(left: Mapping[str, float], right: Mapping[str, float], sign: float) -> dict[str, float]:
    result = dict(left)
    for key, value in right.items():
        result[key] = result.get(key, 0.0) + sign * value
    return {key: value for key, value in result.items() if value != 0}


def _input_symbol(metric: ManifestMetric, index: int) -> str:
    """The base symbol of a filtered or offset input: a quantity of its own, not its metric."""
    item = metric.inputs[index]
    return f"{metric.name}:{item.alias or item.name}"


def monomials(manifest: SemanticManifest) -> dict[str, Monomial]:
    """Every metric as a monomial over base quantities (opaque metrics are their own base)."""
    by_name = {metric.name: metric for metric in manifest.metrics}
    result: dict[str, Monomial] = {}

    def of(name: str, stack: tuple[str, ...] = ()) -> Monomial:
        if name in result:
            return result[name]
        metric = by_name.get(name)
        value: Monomial = {name: 1.0}
        if metric is not None and name not in stack:
            value = _definition_monomial(metric, lambda other: of(other, (*stack, name))) or value
        result[name] = value
        return value

    for metric in manifest.metrics:
        of(metric.name)
    return result


def _input_symbols(metric: ManifestMetric, of: object) -> dict[str, Monomial]:
    symbols: dict[str, Monomial] = {}
    for index, item in enumerate(metric.inputs):
        if item.kind != "metric":
            continue
        key = item.alias or item.name
        opaque = item.filtered or item.offset is not None
        symbols[key] = {_input_symbol(metric, index): 1.0} if opaque else of(item.name)  # type: ignore[operator]
    return symbols


def _definition_monomial(metric: ManifestMetric, of: object) -> Monomial | None:
    symbols = _input_symbols(metric, of)
    if metric.type == "ratio":
        numerator = next((i for i, item in enumerate(metric.inputs) if item.role == "numerator"), None)
        denominator = next((i for i, item in enumerate(metric.inputs) if item.role == "denominator"), None)
        if numerator is None or denominator is None:
            return None
        top = metric.inputs[numerator]
        bottom = metric.inputs[denominator]
        return _combine(symbols[top.alias or top.name], symbols[bottom.alias or bottom.name], -1.0)
    if metric.type == "derived" and metric.expr:
        try:
            return _monomial_of_expr(_parse(metric.expr), symbols)
        except _NotAlgebraic:
            return None
    return None


def linear_form(metric: ManifestMetric) -> dict[str, float] | None:
    """A derived metric's expression as {input metric: coefficient}, when it is linear in plain inputs."""
    if metric.type != "derived" or not metric.expr:
        return None
    plain = {item.alias or item.name: item.name for item in metric.inputs if item.kind == "metric"}
    if any(item.filtered or item.offset for item in metric.inputs if item.kind == "metric"):
        return None
    try:
        form = _linear_of_expr(_parse(metric.expr), set(plain))
    except _NotAlgebraic:
        return None
    return {plain[key]: weight for key, weight in form.items()} if len(form) > 1 else None


# ---------------------------------------------------------------------------------------------------
# Relations


def find_relations(manifest: SemanticManifest, tree: MetricTree) -> dict[str, Relation]:
    """The identity that explains each metric of the tree, where one exists (see the module docstring)."""
    monos = monomials(manifest)
    by_name = {metric.name: metric for metric in manifest.metrics}
    relations: dict[str, Relation] = {}
    for name in tree.nodes:
        relation = _children_product(name, tree, monos) or _linear_relation(by_name.get(name), tree)
        relation = relation or _definition_product(by_name.get(name), tree, monos)
        if relation is not None:
            relations[name] = relation
    return relations


def _is_plain(mono: Monomial, name: str) -> bool:
    """A monomial that says something beyond the metric itself (not opaque)."""
    return mono != {name: 1.0}


def _children_product(name: str, tree: MetricTree, monos: Mapping[str, Monomial]) -> Relation | None:
    target = monos.get(name)
    if target is None:
        return None
    children = [child for child in tree.children(name) if child in monos]
    others = {other: mono for other, mono in monos.items() if other in tree.nodes and other != name and len(mono) >= 1}
    for size in range(2, len(children) + 1):
        for subset in itertools.combinations(children, size):
            if not any(_is_plain(monos[child], child) for child in subset):
                continue
            product: Monomial = {}
            for child in subset:
                product = _combine(product, monos[child], 1.0)
            residual = _combine(target, product, -1.0)
            if not residual:
                return Relation(name, PRODUCT, tuple((child, 1.0) for child in subset))
            extra = _single_factor(residual, others, set(subset))
            if extra is not None:
                return Relation(name, PRODUCT, (*((child, 1.0) for child in subset), extra))
    return None


def _single_factor(residual: Monomial, others: Mapping[str, Monomial], used: set[str]) -> tuple[str, float] | None:
    for other in sorted(others):
        if other in used:
            continue
        mono = others[other]
        if mono == residual:
            return other, 1.0
        if mono == {key: -value for key, value in residual.items()}:
            return other, -1.0
    return None


def _linear_relation(metric: ManifestMetric | None, tree: MetricTree) -> Relation | None:
    if metric is None:
        return None
    form = linear_form(metric)
    if not form or any(part not in tree.nodes for part in form):
        return None
    return Relation(metric.name, SUM, tuple(form.items()))


def _definition_product(
    metric: ManifestMetric | None, tree: MetricTree, monos: Mapping[str, Monomial]
) -> Relation | None:
    """A ratio (or product-only derived metric) over its own plain metric inputs."""
    if metric is None or metric.type not in ("ratio", "derived"):
        return None
    items = [item for item in metric.inputs if item.kind == "metric"]
    if not items or any(item.filtered or item.offset or item.name not in tree.nodes for item in items):
        return None
    if metric.type == "ratio":
        parts: dict[str, float] = {}
        for item in items:
            weight = 1.0 if item.role == "numerator" else -1.0
            parts[item.name] = parts.get(item.name, 0.0) + weight
        parts = {key: value for key, value in parts.items() if value}
        return Relation(metric.name, PRODUCT, tuple(parts.items())) if parts else None
    symbols = {item.alias or item.name: {item.name: 1.0} for item in items}
    try:
        mono = _monomial_of_expr(_parse(metric.expr or ""), symbols)
    except _NotAlgebraic:
        return None
    return Relation(metric.name, PRODUCT, tuple(mono.items())) if mono and mono != {metric.name: 1.0} else None


# ---------------------------------------------------------------------------------------------------
# Splitting a change


def log_mean(a: float, b: float) -> float:
    """The logarithmic mean L(a, b) = (a - b) / (ln a - ln b), with L(a, a) = a (positive a, b)."""
    if math.isclose(a, b, rel_tol=1e-15, abs_tol=0.0):
        return a
    return (a - b) / (math.log(a) - math.log(b))


def split_change(
    relation: Relation, values: Mapping[str, float | None], previous: Mapping[str, float | None]
) -> Split | None:
    """Split ``values[metric] - previous[metric]`` among the relation's parts; None if it cannot be split
    (a value is missing, or a product factor is not positive in both periods)."""
    now = values.get(relation.metric)
    before = previous.get(relation.metric)
    if now is None or before is None:
        return None
    change = float(now) - float(before)
    pairs = [(name, weight, values.get(name), previous.get(name)) for name, weight in relation.parts]
    if any(value is None or old is None for _, _, value, old in pairs):
        return None
    if relation.kind == SUM:
        raw = [(name, weight * (float(value) - float(old))) for name, weight, value, old in pairs]  # type: ignore[arg-type]
        return Split(relation, change, _normalised(raw, change))
    if float(now) <= 0 or float(before) <= 0 or any(float(v) <= 0 or float(o) <= 0 for _, _, v, o in pairs):  # type: ignore[arg-type]
        return None
    logs = [(name, weight * math.log(float(value) / float(old))) for name, weight, value, old in pairs]  # type: ignore[arg-type]
    return Split(relation, change, _normalised(logs, change))


def _normalised(raw: Sequence[tuple[str, float]], change: float) -> tuple[tuple[str, float], ...]:
    """Scale raw part effects so that they add up to ``change`` exactly (LMDI's L cancels out)."""
    total = sum(value for _, value in raw)
    if total == 0:
        if change == 0:
            return tuple((name, 0.0) for name, _ in raw)
        # the parts did not move but the whole did: the identity does not hold for these values
        return tuple((name, change / len(raw)) for name, _ in raw)
    contributions = [(name, change * value / total) for name, value in raw]
    # put the rounding remainder on the largest part so the sum is exact in floating point
    remainder = change - sum(value for _, value in contributions)
    if remainder and contributions:
        index = max(range(len(contributions)), key=lambda i: abs(contributions[i][1]))
        name, value = contributions[index]
        contributions[index] = (name, value + remainder)
    return tuple(contributions)
