"""Build sympy objects from pv's formula trees (never from text).

Only imported when a contract has formulas. Each tree node maps to one
sympy constructor; names resolve to symbols carrying their domain as
assumptions, to definitions (inlined), or to the constants pi and e.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import sympy as sp

from pv.checks.formulas.domains import Domain
from pv.checks.formulas.nodes import ARITHMETIC, BinOp, Call, Compare, Index, Logic, Name, Neg, Node, Not, Num, show

MAX_EXACT_DIGITS = 20_000  # an exact power larger than this is not computed


class TooLarge(Exception):
    """Exact evaluation would build a number too large to compute safely."""


class NoValue(Exception):
    """A name or index cannot be given a value."""


def rational(value: Any) -> sp.Expr:
    if isinstance(value, bool):
        raise NoValue("a truth value is not a number")
    if isinstance(value, int):
        return sp.Integer(value)
    if isinstance(value, float):
        value = Fraction(value)  # the exact binary value the float holds
    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator)
    raise NoValue(f"not a number: {value!r}")


def symbol_for(name: str, domain: Domain | None) -> sp.Symbol:
    """A sympy symbol whose assumptions encode what the domain says about its sign."""
    kw: dict[str, bool] = {"real": True}
    if domain is not None:
        if domain.integer:
            kw["integer"] = True
        if domain.lower is not None and (domain.lower > 0 or (domain.lower == 0 and domain.lower_open)):
            kw["positive"] = True
        elif domain.lower is not None and domain.lower >= 0:
            kw["nonnegative"] = True
        elif domain.upper is not None and (domain.upper < 0 or (domain.upper == 0 and domain.upper_open)):
            kw["negative"] = True
        elif domain.upper is not None and domain.upper <= 0:
            kw["nonpositive"] = True
    return sp.Symbol(name, **kw)


class Builder:
    """Convert trees to sympy.

    `env` maps symbols to concrete values (numbers, or lists for sequences);
    symbols without a value become sympy symbols with their domain's
    assumptions, and an element of a sequence whose index is not concrete
    becomes a symbol of its own, named like `val_loss[N - 1]`.
    """

    def __init__(self, defs: Mapping[str, Node], domains: Mapping[str, Domain | None],
                 env: Mapping[str, Any] | None = None) -> None:
        self.defs = defs
        self.domains = domains
        self.env = dict(env or {})
        self.symbols: dict[str, sp.Symbol] = {}
        self.elements: dict[sp.Symbol, tuple[str, Domain | None]] = {}  # element symbol -> (sequence, dom)
        self._defs_cache: dict[str, Any] = {}

    def domain_of(self, sym: sp.Symbol) -> Domain | None:
        if sym in self.elements:
            return self.elements[sym][1]
        return self.domains.get(sym.name)

    def build(self, node: Node) -> Any:
        if isinstance(node, Num):
            return rational(node.value)
        if isinstance(node, Name):
            return self._name(node)
        if isinstance(node, Index):
            return self._index(node)
        if isinstance(node, Neg):
            return -self.build(node.operand)
        if isinstance(node, BinOp):
            left, right = self.build(node.left), self.build(node.right)
            apply = ARITHMETIC.get(node.op)
            return apply(left, right) if apply is not None else self._power(left, right)
        if isinstance(node, Call):
            return self._call(node.func, [self.build(a) for a in node.args])
        if isinstance(node, Compare):
            values = [self.build(o) for o in node.operands]
            parts = [_RELATION[op](a, b) for op, a, b in zip(node.ops, values, values[1:], strict=False)]
            return parts[0] if len(parts) == 1 else sp.And(*parts)
        if isinstance(node, Not):
            return sp.Not(self.build(node.operand))
        if isinstance(node, Logic):
            parts = [self.build(o) for o in node.operands]
            if node.op == "and":
                return sp.And(*parts)
            if node.op == "or":
                return sp.Or(*parts)
            if node.op == "implies":
                return sp.Implies(parts[0], parts[1])
            return sp.Equivalent(parts[0], parts[1])
        raise NoValue(f"cannot convert {type(node).__name__}")

    def _name(self, node: Name) -> Any:
        name = node.name
        if name in self.env:
            value = self.env[name]
            if isinstance(value, list):
                raise NoValue(f"`{name}` is a sequence")
            return rational(value)
        if name in self.defs:
            if name not in self._defs_cache:
                self._defs_cache[name] = self.build(self.defs[name])
            return self._defs_cache[name]
        if name in self.domains:
            if name not in self.symbols:
                self.symbols[name] = symbol_for(name, self.domains[name])
            return self.symbols[name]
        if name == "pi":
            return sp.pi
        if name == "e":
            return sp.E
        raise NoValue(f"`{name}` has no value")

    def _index(self, node: Index) -> Any:
        name = node.base.name
        index = self.build(node.index)
        seq = self.env.get(name)
        if isinstance(seq, list):
            if not (index.is_Integer and 0 <= int(index) < len(seq)):
                raise NoValue(f"`{show(node)}` is outside the given sequence")
            return rational(seq[int(index)])
        domain = self.domains.get(name)
        element = domain.element() if domain is not None else None
        label = f"{name}[{sp.sstr(index)}]"
        if label not in self.symbols:
            sym = symbol_for(label, element)
            self.symbols[label] = sym
            self.elements[sym] = (name, element)
        return self.symbols[label]

    @staticmethod
    def _power(base: Any, exponent: Any) -> Any:
        if exponent.is_Integer and base.is_number and base.is_Rational:
            size = abs(int(exponent)) * math.log10(max(abs(base.p), base.q, 2))
            if size > MAX_EXACT_DIGITS:
                raise TooLarge(f"an exact power would have about {size:.0f} digits")
        elif exponent.is_number and base.is_number and not exponent.is_Integer:
            magnitude = abs(sp.N(exponent, 15)) if exponent.is_real else None
            if magnitude is not None and magnitude > 10**6:
                raise TooLarge("a power with a huge exponent")
        elif exponent.is_Integer and abs(int(exponent)) > 10_000:
            raise TooLarge("a power with a huge exponent")
        return sp.Pow(base, exponent)

    @staticmethod
    def _call(func: str, args: list[Any]) -> Any:
        x = args[0]
        if func in ("ln", "log"):
            return sp.log(x) if len(args) == 1 else sp.log(x, args[1])
        if func == "log2":
            return sp.log(x, 2)
        if func == "log10":
            return sp.log(x, 10)
        if func == "exp":
            return sp.exp(x)
        if func == "sqrt":
            return sp.sqrt(x)
        if func == "abs":
            return sp.Abs(x)
        if func in ("max", "min"):
            return _extremum(sp.Max if func == "max" else sp.Min, args)
        if func == "floor":
            return sp.floor(x)
        if func == "ceil":
            return sp.ceiling(x)
        return {"sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "tanh": sp.tanh}[func](x)


def _extremum(kind: type, args: list) -> sp.Expr:
    """Max/Min of the arguments. sympy refuses an argument whose 2-digit estimate has no precision
    (`log(tanh(29))`: 1 − tanh(29) ≈ 1e-25), and which argument it tries first depends on the hash seed, so
    the same claim passed or failed from run to run. Left unevaluated, it is compared at full precision."""
    try:
        return kind(*args)
    except ValueError:
        return kind(*args, evaluate=False)


_RELATION = {"<": sp.Lt, "<=": sp.Le, "=": sp.Eq, "!=": sp.Ne, ">=": sp.Ge, ">": sp.Gt}


def truth(value: Any, digits: int = 60) -> bool | None:
    """Decide a concrete sympy statement exactly where sympy can, else at `digits` digits."""
    if value is sp.true or value is True:
        return True
    if value is sp.false or value is False:
        return False
    if isinstance(value, sp.Not):
        inner = truth(value.args[0], digits)
        return None if inner is None else not inner
    if isinstance(value, sp.And | sp.Or):
        parts = [truth(a, digits) for a in value.args]
        if isinstance(value, sp.And):
            return False if False in parts else (None if None in parts else True)
        return True if True in parts else (None if None in parts else False)
    if isinstance(value, sp.Implies):
        a, b = (truth(x, digits) for x in value.args)
        return None if a is None or b is None else (not a or b)
    if isinstance(value, sp.Equivalent):
        parts = [truth(x, digits) for x in value.args]
        return None if None in parts else len(set(parts)) == 1
    if isinstance(value, sp.core.relational.Relational):
        diff = sp.nsimplify(0) + value.lhs - value.rhs
        if diff.free_symbols:
            return None
        if diff.is_zero:
            sign = 0
        else:
            approx = sp.N(diff, digits)
            if not approx.is_real:
                return None
            if abs(approx) < sp.Float(10) ** (-(digits - 10)) * max(1, abs(sp.N(value.lhs, 15))):
                return None  # too close to call and not provably zero
            sign = 1 if approx > 0 else -1
        op = value.rel_op
        return {"<": sign < 0, "<=": sign <= 0, "==": sign == 0, "!=": sign != 0,
                ">=": sign >= 0, ">": sign > 0}[op]
    return None


def number(value: Any, digits: int = 30) -> Any:
    """A sympy Float of a concrete numeric expression, or None if it is not a real number."""
    try:
        approx = sp.N(value, digits)
    except (TypeError, ValueError):
        return None
    if not approx.is_real or approx.free_symbols or not approx.is_finite:
        return None
    return approx
