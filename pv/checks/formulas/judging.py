"""Judge closed statements: every comparison whose two sides have values, with the stated tolerances.

`2+2+12+128 = 144`, every link of `n_h mod n_kv = 28 mod 4 = 0`, `37/7 ≈ 5.286`, `x ∈ [0, 1]`.
Values come from `pv.checks.formulas.exact`; the tolerances are documented there and in
`pv explain PV350`. No sympy.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from pv.checks.formulas.exact import (
    APPROX_RELATIVE,
    DIGITS,
    Evaluator,
    NoValue,
    Open,
    _float,
    _mp,
    is_exact,
)
from pv.checks.formulas.nodes import (
    Compare,
    Interval,
    Logic,
    Many,
    Name,
    Neg,
    Node,
    Note,
    Num,
    Quant,
    SetOf,
    show,
)


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
    from pv.checks.formulas.written import exact_decimal

    return exact_decimal(text)  # None for a suffix (`524K`): a rounded figure


def compare(op: str, a: Any, b: Any, left: Node, right: Node,
            stated: tuple[Fraction, bool] | None = None) -> tuple[bool | None, Fraction | None]:
    """(verdict, tolerance used); verdict None when too close to call.

    `stated` is the statement's own tolerance (`within 1e-5`: absolute; `within 2%`: relative),
    which replaces the defaults for `≈` and `=`.
    """
    if isinstance(a, tuple) or isinstance(b, tuple):
        if op not in ("=", "!=") or not (isinstance(a, tuple) and isinstance(b, tuple)):
            raise NoValue("only `=` compares lists")
        same = len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=False))
        return (same if op == "=" else not same), None
    tolerance: Fraction | None = None
    if stated is not None and op in ("≈", "=", "!="):
        amount, relative = stated
        tolerance = amount * max(abs(_as_fraction(a)), abs(_as_fraction(b))) if relative else amount
    elif op == "≈":
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
    if isinstance(space, Name) and space.name in ("NonNegReals", "PosReals", "NonNegIntegers", "PosIntegers"):
        if space.name.endswith("Integers") and not (is_exact(value) and value.denominator == 1):
            return False
        return value > 0 or (value == 0 and space.name.startswith("NonNeg"))
    if isinstance(space, Name) and space.name in ("Reals", "Integers", "Naturals"):
        if space.name == "Reals":
            return True
        whole = is_exact(value) and value.denominator == 1
        return whole and (space.name == "Integers" or value >= 0)
    return None


_WITHIN = re.compile(r"^within\s+(?:±\s*)?([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(%)?\s*$")


def stated_tolerance(text: str) -> tuple[Fraction, bool] | None:
    """`within 1e-5` -> (1e-5, absolute); `within 20%` -> (0.2, relative); anything else None."""
    match = _WITHIN.match(" ".join(text.split()))
    if not match:
        return None
    amount = Fraction(match.group(1))
    return (amount / 100, True) if match.group(2) else (amount, False)


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
            if current.kind == "within":
                stated = stated_tolerance(current.text)
                if stated is not None:  # `within 1e-5`: judged with it; `within 8 ULP`: not judged
                    inner_ev = Evaluator(ev.env)
                    inner_ev.tolerance = stated
                    stack.append((current.body, inner_ev))
            elif not conditional(current):
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
            verdict, tolerance = compare(op, a, b, left, right, ev.tolerance)
        except (NoValue, ValueError, TypeError):
            continue
        out.append(Link(node, i, a, b, verdict, tolerance))
    return out
