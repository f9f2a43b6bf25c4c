"""Shapes as kernel contracts write them: `[h] @ [V, h]^T → [V]`, `A ∈ ℝ^{m×r}, A @ B ∈ ℝ^{m×n}` (PV354).

A shape is a list of dimensions, each an expression (`n_h*d_k`, `4096`). Shapes come
from shape literals `[a, b]` and from memberships in a space `X ∈ ℝ^{m×n}` written in the
same string or in the equation's `domain`. `@` needs equal inner dimensions and gives
the outer ones; `^T` swaps the last two. Two dimensions are equal when they are the same
expression or the same number once the equation's values are bound (`d_k = 128`); a
mismatch is reported only between dimensions the author wrote differently, in the
author's own shape algebra. No sympy.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from pv.checks.formulas.exact import Evaluator, NoValue, Open
from pv.checks.formulas.nodes import BinOp, Call, Compare, Logic, Many, Name, Node, Note, Quant, Vector, show
from pv.checks.formulas.words import SPACE_NAMES


@dataclass(frozen=True)
class Mismatch:
    start: int
    end: int
    message: str


class _Found(Exception):
    def __init__(self, mismatch: Mismatch) -> None:
        super().__init__(mismatch.message)
        self.mismatch = mismatch


def _core(node: Node) -> Node:
    while isinstance(node, Note):
        node = node.body
    return node


def space_dims(node: Node, text: str) -> tuple[Node, ...] | None:
    """`ℝ^{m×n}` -> (m, n); `ℝ^n` -> (n,); None when `node` is not a power of a number space.

    A product in the exponent is several dimensions only where the author wrote `×` or `x`
    between them (`ℝ^{2d}` is one dimension).
    """
    node = _core(node)
    if not (isinstance(node, BinOp) and node.op == "^" and isinstance(node.left, Name)
            and node.left.name in SPACE_NAMES):
        return None
    dims: list[Node] = []

    def split(part: Node) -> None:
        if isinstance(part, BinOp) and part.op == "*" and any(c in text[part.left.end:part.right.start]
                                                              for c in "×x"):
            split(part.left)
            split(part.right)
        else:
            dims.append(part)

    split(node.right)
    return tuple(dims)


def declared_shapes(node: Node, text: str) -> dict[str, tuple[Node, ...]]:
    """`W ∈ ℝ^{m×n}` parts of a statement: name -> dimensions."""
    out: dict[str, tuple[Node, ...]] = {}
    items = node.items if isinstance(node, Many) else (node,)
    for item in items:
        item = _core(item)
        if isinstance(item, Compare) and item.ops == ("in",) and isinstance(item.operands[0], Name):
            dims = space_dims(item.operands[1], text)
            if dims is not None:
                out[item.operands[0].name] = dims
    return out


class _Shapes:
    def __init__(self, declared: dict[str, tuple[Node, ...]], env: dict[str, Fraction]) -> None:
        self.declared = declared
        self.env = env

    def key(self, dim: Node) -> str:
        try:
            value = Evaluator(self.env).value(dim)
        except (Open, NoValue, ZeroDivisionError, OverflowError, ValueError, RecursionError):
            return show(dim)
        return str(value) if isinstance(value, Fraction) else show(dim)

    def same(self, a: Node, b: Node) -> bool:
        return self.key(a) == self.key(b)

    def of(self, node: Node) -> tuple[Node, ...] | None:
        node = _core(node)
        if isinstance(node, Vector) and node.bracket == "[":
            return node.items
        if isinstance(node, Name):
            return self.declared.get(node.name)
        if isinstance(node, Call) and node.func == "transpose" and len(node.args) == 1:
            inner = self.of(node.args[0])
            if inner is None:
                return None
            return inner if len(inner) < 2 else inner[:-2] + (inner[-1], inner[-2])
        if isinstance(node, BinOp) and node.op == "@":
            left, right = self.of(node.left), self.of(node.right)
            if left is None or right is None or not left or not right or len(left) > 2 or len(right) > 2:
                return None
            inner_left = left[-1]
            inner_right = right[0] if len(right) == 1 else right[-2]
            if not self.same(inner_left, inner_right):
                raise _Found(Mismatch(node.start, node.end, f"`{show(node)}`: the inner dimensions "
                                      f"`{show(inner_left)}` and `{show(inner_right)}` differ"))
            return left[:-1] + (right[-1:] if len(right) == 2 else ())
        return None

    def equal(self, a: tuple[Node, ...], b: tuple[Node, ...]) -> bool:
        return len(a) == len(b) and all(self.same(x, y) for x, y in zip(a, b, strict=True))


def _shape_like(node: Node) -> bool:
    node = _core(node)
    return isinstance(node, Vector) and node.bracket == "[" or (isinstance(node, BinOp) and node.op == "@") or (
        isinstance(node, Call) and node.func == "transpose")


def _text(dims: tuple[Node, ...]) -> str:
    return "[" + ", ".join(show(d) for d in dims) + "]"


def mismatches(node: Node, text: str, outer: dict[str, tuple[Node, ...]] | None = None,
               env: dict[str, Fraction] | None = None) -> list[Mismatch]:
    """Shape mismatches in one statement: in `@`, along `→` chains of shapes, and against `∈ ℝ^{…}`."""
    declared = dict(outer or {})
    declared.update(declared_shapes(node, text))
    shapes = _Shapes(declared, dict(env or {}))
    out: list[Mismatch] = []
    stack: list[Any] = [node]
    while stack:
        current = _core(stack.pop())
        try:
            if isinstance(current, Many):
                stack.extend(current.items)
            elif isinstance(current, Quant):
                stack.append(current.body)
            elif isinstance(current, Logic) and current.op == "implies" and isinstance(
                    _core(current.operands[0]), BinOp | Call) and all(_shape_like(o) for o in current.operands):
                left, right = (shapes.of(o) for o in current.operands)
                if left is not None and right is not None and not shapes.equal(left, right):
                    first, second = current.operands
                    out.append(Mismatch(current.start, current.end, f"`{show(first)}` has shape {_text(left)}, "
                                        f"not {_text(right)}"))
            elif isinstance(current, Compare) and current.ops == ("in",) and _shape_like(current.operands[0]):
                dims = space_dims(current.operands[1], text)
                shape = shapes.of(current.operands[0])
                if dims is not None and shape is not None and not shapes.equal(shape, dims):
                    out.append(Mismatch(current.start, current.end, f"`{show(current.operands[0])}` has shape "
                                        f"{_text(shape)}, not {_text(dims)}"))
            elif isinstance(current, Compare | BinOp | Call | Logic):
                shapes.of(current) if isinstance(current, BinOp) and current.op == "@" else None
                if isinstance(current, Compare | Logic):
                    stack.extend(current.operands)
                elif isinstance(current, Call):
                    stack.extend(current.args)
        except _Found as found:
            out.append(found.mismatch)
    return out
