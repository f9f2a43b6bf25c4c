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
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from pv.checks.formulas.nodes import (
    BinOp,
    Call,
    Compare,
    Index,
    Interval,
    Logic,
    Many,
    Name,
    Neg,
    Node,
    Note,
    Num,
    Quant,
    Reduce,
    SetOf,
    Vector,
    show,
)

DIGITS = 50
APPROX_RELATIVE = Fraction(1, 100)
MAX_TERMS = 10_000  # terms of one closed reduction
MAX_BITS = 20_000  # bits of one exact intermediate value


class Open(Exception):
    """The expression has a free name (not closed)."""


class NoValue(Exception):
    """The expression has no value pv can compute (unknown function, log of 0, huge number)."""


@dataclass(frozen=True)
class Link:
    """One comparison of a (chained) statement, with both sides' values."""

    node: Compare
    index: int  # which operator of the chain
    left: Any
    right: Any
    verdict: bool | None  # None: too close to call
    tolerance: Fraction | None = None

    @property
    def start(self) -> int:
        return self.node.operands[self.index].start

    @property
    def end(self) -> int:
        return self.node.operands[self.index + 1].end


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


def unit_of(node: Node) -> Fraction | None:
    """One unit in the last written digit of a literal side (`5.286` -> 0.001, `7.62B` -> 0.01e9)."""
    while isinstance(node, Note):
        node = node.body
    sign = 1
    if isinstance(node, Neg):
        node, sign = node.operand, -1
    if not isinstance(node, Num):
        return None
    text = node.text.lower().lstrip("+-")
    digits = "".join(c for c in text if c.isdigit() or c in ".e")
    mantissa, _, exponent = digits.partition("e")
    places = len(mantissa.partition(".")[2])
    if not places and not exponent and node.value == Fraction(int(mantissa or 0)) * sign:
        return Fraction(1)  # an integer as written
    scale = node.value / (Fraction(mantissa) * Fraction(10) ** int(exponent or 0)) if Fraction(mantissa) else 1
    return abs(Fraction(1, 10 ** places) * Fraction(10) ** int(exponent or 0) * scale)


def decimal_side(node: Node) -> bool:
    """A side written as a rounded figure (`5.286`, `524K`), so it stands for every value that rounds to it."""
    while isinstance(node, Note):
        node = node.body
    if isinstance(node, Neg):
        node = node.operand
    return isinstance(node, Num) and ("." in node.text or node.value != _plain(node.text))


def _plain(text: str) -> Fraction | None:
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        return None  # a suffix (`524K`): a rounded figure


def compare(op: str, a: Any, b: Any, left: Node, right: Node) -> tuple[bool | None, Fraction | None]:
    """(verdict, tolerance used); verdict None when too close to call."""
    if isinstance(a, tuple) or isinstance(b, tuple):
        if op not in ("=", "!=") or not (isinstance(a, tuple) and isinstance(b, tuple)):
            raise NoValue("only `=` compares lists")
        same = len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=False))
        return (same if op == "=" else not same), None
    tolerance: Fraction | None = None
    if op == "≈":
        units = [u for u in (unit_of(left), unit_of(right)) if u is not None]
        scale = max(abs(_as_fraction(a)), abs(_as_fraction(b)))
        tolerance = max([APPROX_RELATIVE * scale] + units)
    elif op in ("=", "!=") and (decimal_side(left) or decimal_side(right)):
        rounded, other = (left, b) if decimal_side(left) and not decimal_side(right) else (right, a)
        unit = unit_of(rounded)
        # a value the figure could have shown exactly must be shown exactly (4.5 is not 4.6);
        # any other may be rounded or cut at the last digit
        if unit is not None and not (is_exact(other) and (other / unit).denominator == 1):
            tolerance = unit
    diff = _difference(a, b)
    if diff is None:
        return None, tolerance
    if tolerance is not None and op in ("≈", "=", "!="):
        within = abs(diff) <= tolerance
        return (within if op != "!=" else not within), tolerance
    sign = 0 if diff == 0 else (1 if diff > 0 else -1)
    return {"<": sign < 0, "<=": sign <= 0, "=": sign == 0, "≈": sign == 0, "!=": sign != 0,
            ">=": sign >= 0, ">": sign > 0}[op], tolerance


def _as_fraction(value: Any) -> Fraction:
    if is_exact(value):
        return value
    return Fraction(_mp().nstr(value, 30, min_fixed=-10**6, max_fixed=10**6)) if _mp().isfinite(value) else Fraction(0)


def _difference(a: Any, b: Any) -> Any:
    """a - b exactly when both are rational; else at 50 digits, None when too close to call."""
    if is_exact(a) and is_exact(b):
        return a - b
    mp = _mp()
    with mp.workdps(DIGITS):
        diff = _float(a) - _float(b)
        scale = max(abs(_float(a)), abs(_float(b)), mp.mpf(1))
        if abs(diff) <= scale * mp.mpf(10) ** (-(DIGITS - 10)):
            return None
        return _as_fraction(diff)


def _equal(a: Any, b: Any) -> bool:
    diff = _difference(a, b) if not (isinstance(a, tuple) or isinstance(b, tuple)) else None
    return diff == 0


def membership(value: Any, space: Node, ev: Evaluator) -> bool | None:
    """Is a closed number in an interval, a set literal, or ℕ/ℤ/ℝ? None when pv cannot say."""
    if isinstance(value, tuple | bool):
        return None
    if isinstance(space, Interval):
        low, high = ev._number(space.low), ev._number(space.high)
        d_low, d_high = _difference(value, low), _difference(value, high)
        if d_low is None or d_high is None:
            return None
        return (d_low > 0 or (d_low == 0 and not space.left_open)) and (
            d_high < 0 or (d_high == 0 and not space.right_open))
    if isinstance(space, SetOf):
        return any(_difference(value, ev._number(item)) == 0 for item in space.items)
    if isinstance(space, Name) and space.name in ("NonNegReals", "PosReals"):
        return value > 0 or (value == 0 and space.name == "NonNegReals")
    if isinstance(space, Name) and space.name in ("Reals", "Integers", "Naturals"):
        if space.name == "Reals":
            return True
        whole = is_exact(value) and value.denominator == 1
        return whole and (space.name == "Integers" or value >= 0)
    return None


def links(node: Node, env: Mapping[str, Fraction] | None = None) -> list[Link]:
    """Every comparison of `node` whose two sides are closed, evaluated; only where its truth is asserted.

    A comparison under `∧`, a quantifier whose body is closed, a label or note,
    or several statements on a line is asserted; one under `∨`, `¬`, `⟹` (unless
    its condition is closed and true) or `∃` is not, so it is not judged alone.
    """
    out: list[Link] = []
    stack: list[tuple[Node, Evaluator]] = [(node, Evaluator(env))]
    while stack:
        current, ev = stack.pop()
        if isinstance(current, Note):
            # `E if <words>`: a condition pv cannot read leaves E unjudged; `E for Qwen2.5-7B` does not
            if current.kind != "within" and not conditional(current):
                stack.append((current.body, ev))
        elif isinstance(current, Many):
            stack.extend((item, ev) for item in reversed(current.items))
        elif isinstance(current, Quant) and current.kind == "forall":
            # a quantified name is the quantifier's own, whatever value the contract gives it elsewhere
            inner = {k: v for k, v in ev.env.items() if k not in current.names}
            stack.append((current.body, Evaluator(inner)))
        elif isinstance(current, Logic) and current.op == "and":
            stack.extend((operand, ev) for operand in reversed(current.operands))
        elif isinstance(current, Logic) and current.op == "implies":
            if _holds(current.operands[0], ev):
                stack.append((current.operands[1], ev))
        elif isinstance(current, Compare):
            out.extend(_compare_links(current, ev))
    return out


_CONDITION_WORDS = ("if ", "when ", "whenever ", "given ", "unless ", "provided ", "assuming ", "iff ")


def conditional(note: Note) -> bool:
    """A note that states a condition in words (`if v is pendant`), so its statement is not asserted alone."""
    return note.kind == "context" and note.text.lower().startswith(_CONDITION_WORDS)


def _holds(node: Node, ev: Evaluator) -> bool:
    try:
        found = links(node, ev.env)
    except (Open, NoValue):
        return False
    if not found or any(link.verdict is not True for link in found):
        return False
    # every comparison of the condition must be closed for it to hold
    comparisons = [n for n in _walk_compares(node)]
    return sum(len(c.ops) for c in comparisons) == len(found)


def _walk_compares(node: Node) -> Iterator[Compare]:
    from pv.checks.formulas.nodes import walk

    for n in walk(node):
        if isinstance(n, Compare):
            yield n


def _compare_links(node: Compare, ev: Evaluator) -> list[Link]:
    values: list[Any] = []
    for operand in node.operands:
        try:
            values.append(("ok", ev.value(operand)) if not isinstance(operand, Interval | SetOf) else ("set", None))
        except (Open, NoValue, ZeroDivisionError, OverflowError, ValueError) as exc:
            values.append(("no", exc))
    out: list[Link] = []
    for i, op in enumerate(node.ops):
        (ka, a), (kb, b) = values[i], values[i + 1]
        left, right = node.operands[i], node.operands[i + 1]
        if op in ("in", "notin"):
            if ka != "ok" or not isinstance(right, Interval | SetOf | Name):
                continue
            try:
                inside = membership(a, right, ev)
            except (Open, NoValue, ZeroDivisionError, ValueError):
                continue
            if inside is None:
                continue
            out.append(Link(node, i, a, show(right), inside if op == "in" else not inside))
            continue
        if ka != "ok" or kb != "ok" or op == "subset":
            continue
        try:
            verdict, tolerance = compare(op, a, b, left, right)
        except (NoValue, ValueError, TypeError):
            continue
        out.append(Link(node, i, a, b, verdict, tolerance))
    return out


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
