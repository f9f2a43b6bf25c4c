"""The syntax tree pv's formula parser builds (plain data, no sympy).

Every node keeps `start`/`end`, character offsets into the formula string,
so a finding about a node can point at its exact line and column.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Node:
    start: int
    end: int


@dataclass(frozen=True)
class Num(Node):
    value: Fraction  # exact: "2.0" is 2, "21.64" is 541/25
    text: str


@dataclass(frozen=True)
class Name(Node):
    name: str  # normalised: Greek letters spelled out, subscripts as _x
    raw: str  # as written


@dataclass(frozen=True)
class Index(Node):
    base: Node  # a Name in pv's own notation; a call in kernel text (`σ(x)_i`)
    index: Node


@dataclass(frozen=True)
class Call(Node):
    func: str  # normalised function name, e.g. "ln", "abs", "max"
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Neg(Node):
    operand: Node


@dataclass(frozen=True)
class BinOp(Node):
    op: str  # one of + - * / ^
    left: Node
    right: Node


# The four arithmetic operations by BinOp.op, for evaluators whose numbers (Fraction, sympy) need no
# extra care beyond what the caller checks first (division by zero, powers).
ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


@dataclass(frozen=True)
class Compare(Node):
    """A (possibly chained) comparison: `a ≤ b < c` means a ≤ b and b < c."""

    ops: tuple[str, ...]  # each one of < <= = != >= >
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Logic(Node):
    op: str  # "and", "or", "implies", "iff"
    operands: tuple[Node, ...]  # "implies"/"iff": exactly two


@dataclass(frozen=True)
class Not(Node):
    operand: Node


# --- nodes of the loose notation (kernel contracts); see pv.checks.formulas.notation --------------

@dataclass(frozen=True)
class Reduce(Node):
    """`Σ_{i=1}^{n} body`, `∏_j body`, `max_b body`: a reduction over a bound variable."""

    op: str  # "sum" | "prod" | "max" | "min" | "argmax" | "argmin" | "mean"
    var: str  # "" when not written (`Σ x`)
    low: Node | None
    high: Node | None
    body: Node


@dataclass(frozen=True)
class Vector(Node):
    """`[a, b]` (a shape or a list) or `(B, D)` (a tuple)."""

    items: tuple[Node, ...]
    bracket: str  # "[" or "("


@dataclass(frozen=True)
class SetOf(Node):
    """`{a, b}` (a set literal)."""

    items: tuple[Node, ...]


@dataclass(frozen=True)
class Interval(Node):
    """`[a, b)` as a set, on the right of `∈`."""

    low: Node
    high: Node
    left_open: bool
    right_open: bool


@dataclass(frozen=True)
class Cond(Node):
    """`a if P else b`."""

    value: Node
    cond: Node
    other: Node


@dataclass(frozen=True)
class Quant(Node):
    """`E for all i`, `∀ x ∈ S: E`, `∃ x: E`, `E for large n` (asymptotic: never decided)."""

    kind: str  # "forall" | "exists" | "large"
    names: tuple[str, ...]
    domain: Node | None
    body: Node


@dataclass(frozen=True)
class Note(Node):
    """A statement with words that are not maths: `(broadcast)`, `for Qwen2.5-7B`, `bytes`, `Label:`."""

    body: Node
    kind: str  # "comment" | "context" | "where" | "within" | "unit" | "label"
    text: str


@dataclass(frozen=True)
class Many(Node):
    """Several statements on one line, separated by `,` or `;`."""

    items: tuple[Node, ...]


@dataclass(frozen=True)
class Dots(Node):
    """`…` / `...` in a pattern such as `x_1 + … + x_n`."""


def children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Index):
        return (node.base, node.index)
    if isinstance(node, Call):
        return node.args
    if isinstance(node, Neg | Not):
        return (node.operand,)
    if isinstance(node, BinOp):
        return (node.left, node.right)
    if isinstance(node, Compare | Logic):
        return node.operands
    if isinstance(node, Reduce):
        return tuple(n for n in (node.low, node.high, node.body) if n is not None)
    if isinstance(node, Vector | SetOf | Many):
        return node.items
    if isinstance(node, Interval):
        return (node.low, node.high)
    if isinstance(node, Cond):
        return (node.value, node.cond, node.other)
    if isinstance(node, Quant):
        return (node.body,) if node.domain is None else (node.domain, node.body)
    if isinstance(node, Note):
        return (node.body,)
    return ()


def walk(node: Node):
    """Every node of the tree, parents first (iterative: trees may be deep)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


def names(node: Node) -> list[Name]:
    """Every name the formula mentions, in order, including indexed bases."""
    return [n for n in walk(node) if isinstance(n, Name)]


_SHOW_OP = {"<=": "≤", ">=": "≥", "!=": "≠", "*": "·", "implies": "⟹", "iff": "⟺", "in": "∈",
            "notin": "∉", "subset": "⊆", "union": "∪", "intersect": "∩"}
_REDUCE_SIGN = {"sum": "Σ", "prod": "∏"}


def show(node: Node) -> str:
    """Canonical text of a node (used for messages and to compare definitions)."""
    if isinstance(node, Num):
        return node.text
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Index):
        base = node.base.name if isinstance(node.base, Name) else _wrap(node.base)
        if isinstance(node.index, Vector) and node.index.bracket == "[":  # W[i, :]
            return f"{base}[{', '.join(show(i) for i in node.index.items)}]"
        return f"{base}[{show(node.index)}]"
    if isinstance(node, Call):
        if node.func == "norm":
            return f"‖{show(node.args[0])}‖" + (f"_{{{show(node.args[1])}}}" if len(node.args) > 1 else "")
        if node.func == "transpose":
            return f"{_wrap(node.args[0])}^T"
        return f"{node.func}({', '.join(show(a) for a in node.args)})"
    if isinstance(node, Reduce | Vector | SetOf | Interval | Cond | Quant | Note | Many | Dots):
        return _show_loose(node)
    if isinstance(node, Neg):
        return f"-{_wrap(node.operand)}"
    if isinstance(node, Not):
        return f"¬{_wrap(node.operand)}"
    if isinstance(node, BinOp):
        return f"{_wrap(node.left)} {_SHOW_OP.get(node.op, node.op)} {_wrap(node.right)}"
    if isinstance(node, Compare):
        out = _wrap(node.operands[0])
        for op, operand in zip(node.ops, node.operands[1:], strict=True):
            out += f" {_SHOW_OP.get(op, op)} {_wrap(operand)}"
        return out
    if isinstance(node, Logic):
        return f" {_SHOW_OP.get(node.op, node.op)} ".join(_wrap(a) for a in node.operands)
    raise TypeError(type(node).__name__)


def _show_loose(node: Node) -> str:
    if isinstance(node, Reduce):
        sign = _REDUCE_SIGN.get(node.op, node.op)
        if not node.var and node.low is None and node.high is None:
            return f"{sign}({show(node.body)})"
        sub = node.var
        if node.low is not None:
            sub = f"{node.var}={show(node.low)}"
        head = sign + (f"_{{{sub}}}" if sub else "") + (f"^{{{show(node.high)}}}" if node.high else "")
        return f"{head} {_wrap(node.body)}"
    if isinstance(node, Vector):
        inner = ", ".join(show(i) for i in node.items)
        return f"[{inner}]" if node.bracket == "[" else f"({inner}{',' if len(node.items) == 1 else ''})"
    if isinstance(node, SetOf):
        return "{" + ", ".join(show(i) for i in node.items) + "}"
    if isinstance(node, Interval):
        return f"{'(' if node.left_open else '['}{show(node.low)}, {show(node.high)}{')' if node.right_open else ']'}"
    if isinstance(node, Cond):
        return f"{_wrap(node.value)} if {_wrap(node.cond)} else {_wrap(node.other)}"
    if isinstance(node, Quant):
        if node.kind == "large":
            return f"{_wrap(node.body)} for large {', '.join(node.names)}"
        sign = "∀" if node.kind == "forall" else "∃"
        domain = f" ∈ {_wrap(node.domain)}" if node.domain is not None else ""
        return f"{sign} {', '.join(node.names)}{domain}: {show(node.body)}"
    if isinstance(node, Note):
        return show(node.body)  # words are kept for messages, not for the maths
    if isinstance(node, Many):
        return "; ".join(show(i) for i in node.items)
    return "…"


def _wrap(node: Node) -> str:
    text = show(node)
    loose = isinstance(node, Reduce) and bool(node.var or node.low or node.high) or isinstance(
        node, Cond | Quant | Many) or (isinstance(node, Note) and isinstance(
        node.body, BinOp | Compare | Logic | Reduce | Cond | Quant | Many))
    return f"({text})" if isinstance(node, BinOp | Compare | Logic) or loose else text
