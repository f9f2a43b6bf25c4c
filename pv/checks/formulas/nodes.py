"""The syntax tree pv's formula parser builds (plain data, no sympy).

Every node keeps `start`/`end`, character offsets into the formula string,
so a finding about a node can point at its exact line and column.
"""

from __future__ import annotations

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
    base: Name
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


_SHOW_OP = {"<=": "≤", ">=": "≥", "!=": "≠", "*": "·", "implies": "⟹", "iff": "⟺"}


def show(node: Node) -> str:
    """Canonical text of a node (used for messages and to compare definitions)."""
    if isinstance(node, Num):
        return node.text
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Index):
        return f"{node.base.name}[{show(node.index)}]"
    if isinstance(node, Call):
        return f"{node.func}({', '.join(show(a) for a in node.args)})"
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


def _wrap(node: Node) -> str:
    text = show(node)
    return f"({text})" if isinstance(node, BinOp | Compare | Logic) else text
