"""Evaluate closed statements exactly: `2+2+12+128 = 144`, `28 mod 4 = 0`, `37/7 ≈ 5.286`.

No sympy. Rational arithmetic is exact (`fractions.Fraction`); only a value
that is not rational (`sqrt(2)`, `ln(10)`) is computed with mpmath at 50
digits, and a comparison too close to call at that precision is left
undecided rather than judged. Names take values only from `env` (the
contract's own numeric assignments) and the constant `pi`.

Tolerances (documented in `pv explain PV350`):
- `=` is exact, except that a side written as a rounded figure (`5.286`, `524K`)
  stands for a value that is not exactly representable at its precision: then it
  may differ by one unit in its last written digit (rounded or cut, as claims'
  default tolerance); a value it could show exactly it must show exactly;
- `≈` holds within one unit in the last written digit of a number-literal side,
  or within 1 % of the larger side, whichever is larger.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from fractions import Fraction
from typing import Any

from pv.checks.formulas.nodes import (
    BinOp,
    Call,
    Index,
    Name,
    Neg,
    Node,
    Note,
    Num,
    Reduce,
    Vector,
    show,
)

DIGITS = 50
APPROX_RELATIVE = Fraction(1, 100)
MAX_TERMS = 10_000  # terms of one closed reduction
MAX_BITS = 20_000  # bits of one exact intermediate value
MAX_STEPS = 100_000  # nodes evaluated for one statement


class Open(Exception):
    """The expression has a free name (not closed)."""


class NoValue(Exception):
    """The expression has no value pv can compute (unknown function, log of 0, huge number)."""


def _mp():
    import mpmath

    return mpmath


def is_exact(value: Any) -> bool:
    return isinstance(value, Fraction)


def _float(value: Any) -> Any:
    mp = _mp()
    if isinstance(value, Fraction):
        return mp.mpf(value.numerator) / value.denominator
    return value


class Evaluator:
    def __init__(self, env: Mapping[str, Fraction] | None = None) -> None:
        self.env = dict(env or {})
        self.steps = 0  # nodes evaluated: a deterministic work limit (never a clock)
        self.tolerance: tuple[Fraction, bool] | None = None  # a statement's own `within …` tolerance

    def value(self, node: Node) -> Any:
        mp = _mp() if not self._rational_only(node) else None
        if mp is None:
            return self._eval(node)
        with mp.workdps(DIGITS):
            return self._eval(node)

    @staticmethod
    def _rational_only(node: Node) -> bool:
        from pv.checks.formulas.nodes import walk

        return not any(isinstance(n, Call) and n.func not in ("abs", "max", "min", "floor", "ceil")
                       or isinstance(n, BinOp) and n.op == "^" or isinstance(n, Name) and n.name == "pi"
                       for n in walk(node))

    def _eval(self, node: Node) -> Any:
        self.steps += 1
        if self.steps > MAX_STEPS:  # nested reductions: Σ_{i=1}^{10000} Σ_{j=1}^{10000} …
            raise NoValue(f"more than {MAX_STEPS} evaluation steps")
        if isinstance(node, Num):
            return node.value
        if isinstance(node, Note):
            return self._eval(node.body)
        if isinstance(node, Name):
            if node.name in self.env:
                return self.env[node.name]
            if node.name == "pi":
                return +_mp().pi
            raise Open(node.name)
        if isinstance(node, Neg):
            return -self._number(node.operand)
        if isinstance(node, BinOp):
            return self._binop(node)
        if isinstance(node, Call):
            return self._call(node)
        if isinstance(node, Reduce):
            return self._reduce(node)
        if isinstance(node, Vector):
            return tuple(self._eval(i) for i in node.items)
        if isinstance(node, Index):
            names = [n for n in _names(node)]
            raise Open(names[0] if names else show(node))
        raise NoValue(f"`{show(node)}` is not a number")

    def _number(self, node: Node) -> Any:
        value = self._eval(node)
        if isinstance(value, tuple | bool):
            raise NoValue(f"`{show(node)}` is not a number")
        return value

    def _binop(self, node: BinOp) -> Any:
        if node.op in ("@", "⊗", "⊙", "union", "intersect"):
            raise NoValue(f"`{node.op}` of numbers is not evaluated")
        a, b = self._number(node.left), self._number(node.right)
        if not (is_exact(a) and is_exact(b)) and node.op != "mod":
            a, b = _float(a), _float(b)  # one side is not rational: both at 50 digits
        if node.op == "+":
            return _check(a + b)
        if node.op == "-":
            return _check(a - b)
        if node.op == "*":
            return _check(a * b)
        if node.op == "/":
            if b == 0:
                raise NoValue("division by zero")
            return _check(a / b)
        if node.op == "mod":
            if not (is_exact(a) and is_exact(b)) or b == 0:
                raise NoValue("mod needs two exact numbers, the second non-zero")
            return a - b * math.floor(a / b)
        # power
        if is_exact(a) and is_exact(b) and b.denominator == 1:
            if abs(b) > 10_000 or (a.numerator.bit_length() + a.denominator.bit_length()) * abs(b) > MAX_BITS:
                raise NoValue("the power is too large to compute exactly")
            if a == 0 and b < 0:
                raise NoValue("0 to a negative power")
            return a ** int(b)
        if a < 0 or (a == 0 and b <= 0):
            raise NoValue("a power of a non-positive number with a fractional exponent")
        mp = _mp()
        if abs(_float(b) * mp.log(_float(a), 10)) > 10_000:
            raise NoValue("the power overflows")
        return _float(a) ** _float(b)

    def _call(self, node: Call) -> Any:
        func = node.func
        if func == "norm" or func == "transpose":
            raise NoValue(f"`{func}` of numbers is not evaluated")
        args = [self._number(a) for a in node.args]
        if not all(is_exact(a) for a in args):
            args = [_float(a) for a in args]
        if func in ("max", "min") and args:
            return max(args) if func == "max" else min(args)
        if func == "abs" and len(args) == 1:
            return abs(args[0])
        if func in ("floor", "ceil") and len(args) == 1:
            x = args[0]
            return Fraction(math.floor(x) if func == "floor" else math.ceil(x)) if is_exact(x) else \
                Fraction(int(_mp().floor(x) if func == "floor" else _mp().ceil(x)))
        if len(args) != 1 and not (func == "log" and len(args) == 2):
            raise NoValue(f"`{func}` is not a function pv evaluates")
        x = args[0]
        mp = _mp()
        if func in ("ln", "log", "log2", "log10"):
            if x <= 0:
                raise NoValue(f"{func} of a non-positive number")
            if x == 1:
                return Fraction(0)
            base = {"log2": 2, "log10": 10}.get(func)
            if func == "log" and len(args) == 2:
                base = args[1]
                if base <= 0 or base == 1:
                    raise NoValue("bad logarithm base")
            exact = _exact_log(x, base) if base is not None and is_exact(x) and is_exact(Fraction(base)) else None
            if exact is not None:
                return exact
            return mp.log(_float(x)) / (mp.log(_float(Fraction(base))) if base is not None else 1)
        if func == "sqrt":
            if x < 0:
                raise NoValue("sqrt of a negative number")
            if is_exact(x):
                root = _exact_root(x)
                if root is not None:
                    return root
            return mp.sqrt(_float(x))
        if func in ("exp", "sin", "cos", "tan", "tanh"):
            if x == 0:
                return Fraction(1) if func in ("exp", "cos") else Fraction(0)
            if func == "exp" and x > 23_000:
                raise NoValue("exp overflows")
            return getattr(mp, func)(_float(x))
        raise NoValue(f"`{func}` is not a function pv evaluates")

    def _reduce(self, node: Reduce) -> Any:
        if node.op not in ("sum", "prod") or not node.var or node.low is None or node.high is None:
            if node.op in ("max", "min") and not node.var and isinstance(node.body, Vector):
                items = [self._number(i) for i in node.body.items]
                return max(items) if node.op == "max" else min(items)
            raise NoValue("a reduction without numeric bounds is not evaluated")
        low, high = self._number(node.low), self._number(node.high)
        if not (is_exact(low) and is_exact(high)) or low.denominator != 1 or high.denominator != 1:
            raise NoValue("a reduction's bounds must be integers")
        if high - low + 1 > MAX_TERMS:
            raise NoValue(f"a reduction of more than {MAX_TERMS} terms is not evaluated")
        total: Any = Fraction(0 if node.op == "sum" else 1)
        saved = self.env.get(node.var)
        try:
            for k in range(int(low), int(high) + 1):
                self.env[node.var] = Fraction(k)
                term = self._number(node.body)
                if not (is_exact(total) and is_exact(term)):
                    total, term = _float(total), _float(term)
                total = _check(total + term if node.op == "sum" else total * term)
        finally:
            if saved is None:
                self.env.pop(node.var, None)
            else:
                self.env[node.var] = saved
        return total


def _check(value: Any) -> Any:
    if is_exact(value) and value.numerator.bit_length() + value.denominator.bit_length() > MAX_BITS:
        raise NoValue("an intermediate value is too large")
    return value


def _exact_root(x: Fraction) -> Fraction | None:
    n, d = math.isqrt(x.numerator), math.isqrt(x.denominator)
    return Fraction(n, d) if n * n == x.numerator and d * d == x.denominator else None


def _exact_log(x: Fraction, base: Any) -> Fraction | None:
    base = Fraction(base)
    if x.denominator != 1 or base.denominator != 1 or base.numerator < 2:
        return None
    k, value = 0, 1
    while value < x.numerator and k < 4096:
        value *= base.numerator
        k += 1
    return Fraction(k) if value == x.numerator else None


def _names(node: Node) -> Iterator[str]:
    from pv.checks.formulas.nodes import walk

    for n in walk(node):
        if isinstance(n, Name):
            yield n.name


def fmt(value: Any) -> str:
    """A value for messages: exact integers and fractions as such, others to 12 significant digits."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "[" + ", ".join(fmt(v) for v in value) + "]"
    if isinstance(value, str):
        return value
    if is_exact(value):
        if value.denominator == 1:
            return str(value.numerator)
        decimal = _mp().nstr(_float(value), 12) if True else ""
        return f"{value.numerator}/{value.denominator} ≈ {decimal}" if len(str(value)) < 40 else decimal
    return _mp().nstr(value, 12)
