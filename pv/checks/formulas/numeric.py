"""Fast high-precision evaluation of a formula tree at one point (mpmath).

Used to search domains for counterexamples and to compare bound
implementations with their formulas. A candidate counterexample found here
is confirmed with exact sympy arithmetic before pv reports it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import mpmath

from pv.checks.formulas.nodes import BinOp, Call, Compare, Index, Logic, Name, Neg, Node, Not, Num

PRECISION_DIGITS = 40
MAX_MAGNITUDE = mpmath.mpf(10) ** 10000  # beyond this a value is "not evaluable" (overflow guard)
MAX_INDEX = 10_000


class EvalError(Exception):
    """The formula has no real value at this point (log of 0, index out of range, …)."""


class Close(Exception):
    """A comparison is too close to call numerically; decide it exactly instead."""


def to_mpf(value: Any) -> mpmath.mpf:
    if isinstance(value, Fraction):
        return mpmath.mpf(value.numerator) / value.denominator
    if isinstance(value, bool):
        raise EvalError("a truth value is not a number")
    return mpmath.mpf(value)


class Evaluator:
    """Evaluate trees with `env` (symbol -> number, or list for sequences) and `defs` (name -> tree)."""

    def __init__(self, defs: Mapping[str, Node], env: Mapping[str, Any], *, strict_close: bool = True,
                 close_digits: int = PRECISION_DIGITS - 8) -> None:
        self.defs = defs
        self.env = {k: ([to_mpf(x) for x in v] if isinstance(v, list | tuple) else to_mpf(v))
                    for k, v in env.items()}
        self.strict_close = strict_close
        self.close_digits = close_digits  # comparisons closer than this (relative) raise Close
        self.cache: dict[str, Any] = {}

    def value(self, node: Node) -> Any:
        with mpmath.workdps(PRECISION_DIGITS):
            return self._eval(node)

    def _eval(self, node: Node) -> Any:
        if isinstance(node, Num):
            return to_mpf(node.value)
        if isinstance(node, Name):
            if node.name in self.env:
                return self.env[node.name]
            if node.name in self.defs:
                if node.name not in self.cache:
                    self.cache[node.name] = self._eval(self.defs[node.name])
                return self.cache[node.name]
            if node.name == "pi":
                return +mpmath.pi
            if node.name == "e":
                return +mpmath.e
            raise EvalError(f"`{node.name}` has no value")
        if isinstance(node, Index):
            seq = self.env.get(node.base.name)
            if not isinstance(seq, list):
                raise EvalError(f"`{node.base.name}` is not a sequence here")
            index = self._eval(node.index)
            if index != mpmath.floor(index) or abs(index) > MAX_INDEX:
                raise EvalError("index is not a small integer")
            i = int(index)
            if not 0 <= i < len(seq):
                raise EvalError(f"index {i} is outside the sequence (length {len(seq)})")
            return seq[i]
        if isinstance(node, Neg):
            return -self._eval(node.operand)
        if isinstance(node, BinOp):
            return self._check(self._binop(node.op, self._eval(node.left), self._eval(node.right)))
        if isinstance(node, Call):
            return self._check(self._call(node.func, [self._eval(a) for a in node.args]))
        if isinstance(node, Compare):
            values = [self._eval(o) for o in node.operands]
            return all(self._compare(op, a, b)
                       for op, a, b in zip(node.ops, values, values[1:], strict=False))
        if isinstance(node, Not):
            return not self._eval(node.operand)
        if isinstance(node, Logic):
            if node.op == "and":
                return all(self._eval(o) for o in node.operands)
            if node.op == "or":
                return any(self._eval(o) for o in node.operands)
            left, right = self._eval(node.operands[0]), self._eval(node.operands[1])
            return (not left or right) if node.op == "implies" else left == right
        raise EvalError(f"cannot evaluate {type(node).__name__}")

    @staticmethod
    def _check(value: Any) -> Any:
        if not isinstance(value, mpmath.mpf):
            raise EvalError("not a real number")
        if not mpmath.isfinite(value) or abs(value) > MAX_MAGNITUDE:
            raise EvalError("value overflows")
        return value

    @staticmethod
    def _binop(op: str, a: Any, b: Any) -> Any:
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            if b == 0:
                raise EvalError("division by zero")
            return a / b
        # power: keep it real and bounded
        if a == 0 and b <= 0:
            raise EvalError("0 to a non-positive power")
        if a < 0 and b != mpmath.floor(b):
            raise EvalError("negative base with a fractional exponent")
        if a != 0 and abs(b * mpmath.log(abs(a), 10)) > 10000:
            raise EvalError("power overflows")
        return a ** b

    @staticmethod
    def _call(func: str, args: list[Any]) -> Any:
        x = args[0]
        if func in ("ln", "log", "log2", "log10"):
            if x <= 0:
                raise EvalError(f"{func} of a non-positive number")
            if func == "log" and len(args) == 2:
                base = args[1]
                if base <= 0 or base == 1:
                    raise EvalError("bad logarithm base")
                return mpmath.log(x) / mpmath.log(base)
            return mpmath.log(x, {"log2": 2, "log10": 10}.get(func, mpmath.e))
        if func == "exp":
            if x > 23000:
                raise EvalError("exp overflows")
            return mpmath.exp(x)
        if func == "sqrt":
            if x < 0:
                raise EvalError("sqrt of a negative number")
            return mpmath.sqrt(x)
        if func == "abs":
            return abs(x)
        if func == "max":
            return max(args)
        if func == "min":
            return min(args)
        if func == "floor":
            return mpmath.floor(x)
        if func == "ceil":
            return mpmath.ceil(x)
        if func in ("sin", "cos", "tan", "tanh"):
            return getattr(mpmath, func)(x)
        raise EvalError(f"unknown function {func}")

    def _compare(self, op: str, a: Any, b: Any) -> bool:
        scale = max(abs(a), abs(b), mpmath.mpf(1))
        if self.strict_close and a != b and abs(a - b) <= scale * mpmath.mpf(10) ** (-self.close_digits):
            raise Close()
        return {"<": a < b, "<=": a <= b, "=": a == b, "!=": a != b, ">=": a >= b, ">": a > b}[op]


def evaluate(node: Node, defs: Mapping[str, Node], env: Mapping[str, Any]) -> Any:
    """Value of `node` at `env`: an mpf or a bool. Raises EvalError or Close."""
    return Evaluator(defs, env).value(node)


def fmt(value: Any, digits: int = 6) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Sequence) and not isinstance(value, str):
        return "[" + ", ".join(fmt(v, digits) for v in value) + "]"
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return str(value.numerator)
        value = to_mpf(value)
    if isinstance(value, int):
        return str(value)
    value = mpmath.mpf(value)
    if value == mpmath.floor(value) and abs(value) < 10**15:
        return str(int(value))
    return mpmath.nstr(value, digits)
