"""Decide an obligation over its domain: proved, refuted, or undecided.

1. Prove with sympy, the domains as assumptions: a statement in one variable
   is solved over the variable's interval (`solveset`) and the set where it
   fails must be empty (integers in it, for an integer variable); otherwise
   each comparison's difference is shifted onto the domain's lower bound and
   its sign asked of sympy's assumption system.
2. Else search the domain for a counterexample: boundaries, small values,
   large values and seeded random samples (sequences get generated traces).
   A candidate is confirmed with exact arithmetic before it is reported.
3. Else report undecided with the number of points tried.

Runs inside a step of `pv.checks.formulas.limits.run_steps`; returns plain data.
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import sympy as sp

from pv.checks.formulas import numeric
from pv.checks.formulas.domains import Domain
from pv.checks.formulas.limits import StepTimeout, soft_deadline
from pv.checks.formulas.nodes import Compare, Logic, Name, Node, Not, Num, show
from pv.checks.formulas.outcome import Outcome
from pv.checks.formulas.sampling import MAX_POINTS, MAX_TRACE, candidates, make_trace, points, used_symbols  # noqa: F401
from pv.checks.formulas.symbolic import Builder, NoValue, TooLarge, truth

PROVE_SECONDS = 2.5
SEARCH_SECONDS = 2.0


def decide(node: Node, defs: Mapping[str, Node], domains: Mapping[str, Domain | None]) -> Outcome:
    """Prove, refute or fail to decide the statement `node` over the domains."""
    note = ""
    try:
        with soft_deadline(PROVE_SECONDS):
            proof = _prove(node, defs, domains)
    except StepTimeout:
        proof, note = None, f"the symbolic proof gave up after {PROVE_SECONDS:g} s of CPU time"
    except (NoValue, TooLarge, TypeError, ValueError, NotImplementedError, RecursionError,
            AttributeError, ZeroDivisionError) as exc:
        proof, note = None, f"sympy could not handle it ({type(exc).__name__})"
    if isinstance(proof, Outcome):
        return proof
    if isinstance(proof, dict):  # a candidate counterexample from solving
        outcome = _confirm(node, defs, domains, proof)
        if outcome is not None:
            outcome.method = "solved over the domain"
            return outcome
    result = search(node, defs, domains)
    if note:
        result.note = note
        result.complete = False
    return result



# --- proof ------------------------------------------------------------------------------------------

def _prove(node: Node, defs: Mapping[str, Node], domains: Mapping[str, Domain | None]) -> Any:
    builder = Builder(defs, domains)
    expr = builder.build(node)
    if expr is sp.true:
        return Outcome("proved", method="sympy settles it from the symbols' domains")
    variables = sorted(expr.free_symbols, key=lambda s: s.name)
    if len(variables) == 1:
        result = _univariate(expr, variables[0], builder.domain_of(variables[0]), builder)
        if result is not None:
            return result
    if _sign_proof(expr, builder):
        return Outcome("proved", method="sign analysis under the domain assumptions")
    return None


def _interval(domain: Domain | None) -> sp.Set:
    if domain is None:
        return sp.S.Reals
    low = sp.Rational(domain.lower.numerator, domain.lower.denominator) if domain.lower is not None else -sp.oo
    high = sp.Rational(domain.upper.numerator, domain.upper.denominator) if domain.upper is not None else sp.oo
    return sp.Interval(low, high, domain.lower is not None and domain.lower_open,
                       domain.upper is not None and domain.upper_open)


def _truth_set(expr: Any, x: sp.Symbol, space: sp.Set) -> sp.Set | None:
    if expr is sp.true:
        return space
    if expr is sp.false:
        return sp.S.EmptySet
    if isinstance(expr, sp.core.relational.Relational):
        found = sp.solveset(expr, x, space)
        if found.has(sp.ConditionSet) or not isinstance(found, sp.Set):
            return None
        return found
    parts = [_truth_set(a, x, space) for a in expr.args] if isinstance(expr, sp.logic.boolalg.Boolean) else [None]
    if any(p is None for p in parts):
        return None
    if isinstance(expr, sp.And):
        return sp.Intersection(*parts)
    if isinstance(expr, sp.Or):
        return sp.Union(*parts)
    if isinstance(expr, sp.Not):
        return sp.Complement(space, parts[0])
    if isinstance(expr, sp.Implies):
        return sp.Union(sp.Complement(space, parts[0]), parts[1])
    if isinstance(expr, sp.Equivalent) and len(parts) == 2:
        return sp.Union(sp.Intersection(*parts),
                        sp.Intersection(sp.Complement(space, parts[0]), sp.Complement(space, parts[1])))
    return None


def _univariate(expr: Any, x: sp.Symbol, domain: Domain | None, builder: Builder) -> Any:
    real = sp.Dummy(x.name, real=True)
    space = _interval(domain)
    holds = _truth_set(expr.xreplace({x: real}), real, space)
    if holds is None:
        return None
    failing = sp.Complement(space, holds)
    if domain is not None and domain.integer:
        empty, point = _integer_points(failing)
    else:
        empty, point = _real_points(failing)
    if empty:
        where = domain.describe() if domain is not None else "all reals"
        return Outcome("proved", method=f"solved for `{x.name}` over {where}")
    if point is not None and x not in builder.elements:  # elements of sequences: let the search build traces
        return {x.name: point}
    return None


def _integer_points(found: sp.Set) -> tuple[bool, Fraction | None]:
    """(is the set free of integers, first integer in it) for unions of intervals and finite sets."""
    parts = found.args if isinstance(found, sp.Union) else (found,)
    first: Fraction | None = None
    for part in parts:
        if part is sp.S.EmptySet:
            continue
        if isinstance(part, sp.FiniteSet):
            ints = sorted(int(v) for v in part if v.is_integer)
            if ints and first is None:
                first = Fraction(ints[0])
            continue
        if not isinstance(part, sp.Interval):
            return False, None
        low, high = part.start, part.end
        lo = (sp.floor(low) + 1 if part.left_open else sp.ceiling(low)) if low != -sp.oo else None
        hi = (sp.ceiling(high) - 1 if part.right_open else sp.floor(high)) if high != sp.oo else None
        if lo is not None and hi is not None and lo > hi:
            continue
        point = lo if lo is not None else hi if hi is not None else sp.Integer(0)
        if first is None:
            first = Fraction(int(point))
    return first is None, first


def _real_points(found: sp.Set) -> tuple[bool, Fraction | None]:
    if found.is_empty:
        return True, None
    parts = found.args if isinstance(found, sp.Union) else (found,)
    for part in parts:
        if isinstance(part, sp.FiniteSet) and part.is_finite_set:
            for value in part:
                if value.is_number and value.is_real:
                    return False, _to_fraction(value)
        if isinstance(part, sp.Interval):
            low, high = part.start, part.end
            if low == -sp.oo and high == sp.oo:
                return False, Fraction(0)
            if low == -sp.oo:
                return False, _to_fraction(high - 1)
            if high == sp.oo:
                return False, _to_fraction(low if not part.left_open else low + 1)
            return False, _to_fraction((low + high) / 2) if low != high else _to_fraction(low)
    return False, None


def _to_fraction(value: Any) -> Fraction | None:
    if value.is_Rational:
        return Fraction(int(value.p), int(value.q))
    approx = sp.N(value, 20)
    return Fraction(str(approx)) if approx.is_real and approx.is_finite else None


def _sign_proof(expr: Any, builder: Builder) -> bool:
    """True when sympy's assumptions settle every comparison (bounds shifted to 0)."""
    shift: dict[sp.Symbol, Any] = {}
    for sym in expr.free_symbols:
        domain = builder.domain_of(sym)
        if domain is None:
            continue
        t_kw: dict[str, bool] = {"integer": True} if domain.integer else {"real": True}
        if domain.lower is not None:
            low = sp.Rational(domain.lower.numerator, domain.lower.denominator)
            t_kw["positive" if domain.lower_open else "nonnegative"] = True
            shift[sym] = low + sp.Dummy(sym.name, **t_kw)
        elif domain.upper is not None:
            high = sp.Rational(domain.upper.numerator, domain.upper.denominator)
            t_kw["positive" if domain.upper_open else "nonnegative"] = True
            shift[sym] = high - sp.Dummy(sym.name, **t_kw)
    return _holds(expr.xreplace(shift) if shift else expr)


def _holds(expr: Any) -> bool:
    if expr is sp.true:
        return True
    if isinstance(expr, sp.And):
        return all(_holds(a) for a in expr.args)
    if isinstance(expr, sp.Or):
        return any(_holds(a) for a in expr.args)
    if isinstance(expr, sp.Implies):
        return (_holds(expr.args[1]) or _holds(sp.Not(expr.args[0]))
                or _follows(expr.args[0], expr.args[1]))
    if isinstance(expr, sp.Not) and isinstance(expr.args[0], sp.core.relational.Relational):
        return _holds(expr.args[0].negated)
    if isinstance(expr, sp.core.relational.Relational):
        op = expr.rel_op
        diff = expr.lhs - expr.rhs
        for form in (diff, sp.simplify(diff), sp.expand_log(diff, force=True), sp.factor(diff)):
            if op in ("<", "<=") and ((-form).is_positive if op == "<" else (-form).is_nonnegative):
                return True
            if op in (">", ">=") and (form.is_positive if op == ">" else form.is_nonnegative):
                return True
            if op == "==" and form.is_zero:
                return True
            if op == "!=" and form.is_nonzero:
                return True
    return False


def _normal(rel: Any) -> tuple[Any, bool] | None:
    """`a ≤ b` -> (b - a, False) meaning b - a ≥ 0; strict comparisons give True."""
    if not isinstance(rel, sp.core.relational.Relational) or rel.rel_op not in ("<", "<=", ">", ">="):
        return None
    if rel.rel_op in ("<", "<="):
        return rel.rhs - rel.lhs, rel.rel_op == "<"
    return rel.lhs - rel.rhs, rel.rel_op == ">"


def _follows(hypothesis: Any, conclusion: Any) -> bool:
    """The conclusion q ≥ 0 follows from a hypothesis p ≥ 0 when q - p ≥ 0 is provable."""
    hypotheses = hypothesis.args if isinstance(hypothesis, sp.And) else (hypothesis,)
    conclusions = conclusion.args if isinstance(conclusion, sp.And) else (conclusion,)
    for goal in conclusions:
        q = _normal(goal)
        if q is None:
            return False
        proved = False
        for premise in hypotheses:
            p = _normal(premise)
            if p is None:
                continue
            gap = sp.simplify(q[0] - p[0])
            if q[1] and not p[1]:
                proved = bool(gap.is_positive)
            else:
                proved = bool(gap.is_nonnegative)
            if proved:
                break
        if not proved:
            return False
    return True


# --- search -----------------------------------------------------------------------------------------

def search(node: Node, defs: Mapping[str, Node], domains: Mapping[str, Domain | None],
           seconds: float = SEARCH_SECONDS, limit: int = MAX_POINTS) -> Outcome:
    seed = zlib.crc32(show(node).encode())
    tried = skipped = 0
    cut = False
    # A fixed number of points (a work limit), so the verdict and the count in it do not depend on
    # the machine's load; the CPU-time deadline is only a backstop, and a search it cuts short is
    # not `complete` (never cached).
    try:
        with soft_deadline(seconds):
            for point in points(node, defs, domains, seed, limit):
                tried += 1
                try:
                    verdict: bool | None = bool(numeric.evaluate(node, defs, point))
                except numeric.EvalError:
                    skipped += 1
                    continue
                except numeric.Close:
                    verdict = None
                if verdict:
                    continue
                outcome = _confirm(node, defs, domains, point, numeric_verdict=verdict)
                if outcome is not None:
                    outcome.method = "search"
                    outcome.points, outcome.skipped = tried, skipped
                    return outcome
    except StepTimeout:
        cut = True
    return Outcome("undecided", method="search", points=tried, skipped=skipped, complete=not cut)


def _confirm(node: Node, defs: Mapping[str, Node], domains: Mapping[str, Domain | None],
             point: dict[str, Any], numeric_verdict: bool | None = None) -> Outcome | None:
    """Check a candidate counterexample exactly; return a refutation or None."""
    try:
        exact = truth(Builder(defs, domains, point).build(node))
    except (NoValue, TooLarge, TypeError, ValueError, ZeroDivisionError):
        exact = None
    # Only an exact verdict refutes: a point where exact arithmetic cannot decide (a power too large
    # to compute, a comparison too close to call) is no counterexample, whatever the 40-digit
    # evaluation said (1/(1 - 0.999999^104717952) is > 1, yet equals 1 at 40 digits).
    if exact is not False:
        return None
    shown = {name: numeric.fmt(value, 10) for name, value in sorted(point.items())}
    return Outcome("refuted", counterexample=shown, point=dict(point),
                   detail=explain_failure(node, defs, point))


def explain_failure(node: Node, defs: Mapping[str, Node], point: Mapping[str, Any]) -> str:
    """Say what is false at `point`: the two sides of a comparison, or which side of a connective."""
    ev = numeric.Evaluator(defs, point, strict_close=False)
    while isinstance(node, Name) and node.name in defs:  # explain the definition it names
        node = defs[node.name]
    try:
        if isinstance(node, Compare):
            values = [ev.value(o) for o in node.operands]
            for op, (a, b), (va, vb) in zip(node.ops, itertools.pairwise(node.operands),
                                             itertools.pairwise(values), strict=False):
                if not ev._compare(op, va, vb):
                    symbol = {"<=": "≤", ">=": "≥", "!=": "≠"}.get(op, op)
                    digits = separating_digits(va, vb)
                    return f"{_side(a, va, digits)} is not {symbol} {_side(b, vb, digits)}"
        if isinstance(node, Logic) and node.op in ("implies", "iff"):
            left, right = (ev.value(o) for o in node.operands)
            return (f"`{show(node.operands[0])}` is {numeric.fmt(bool(left))} but "
                    f"`{show(node.operands[1])}` is {numeric.fmt(bool(right))}")
        if isinstance(node, Not):
            return f"`{show(node.operand)}` is true"
        if isinstance(node, Logic) and node.op == "and":
            for operand in node.operands:
                if not ev.value(operand):
                    return explain_failure(operand, defs, point) or f"`{show(operand)}` is false"
        if isinstance(node, Logic) and node.op == "or":
            return "every alternative is false"
    except (numeric.EvalError, numeric.Close):
        pass
    return ""


def _side(node: Node, value: Any, digits: int = 6) -> str:
    return show(node) if isinstance(node, Num) else f"{show(node)} = {numeric.fmt(value, digits)}"


def separating_digits(a: Any, b: Any, least: int = 6, most: int = 40) -> int:
    """Significant digits that show why `a` and `b` compare as they do.

    Each shown value must be closer to its exact value than half the gap between
    them, so `tanh(y) = -0.9999995` is not shown as `-1.0` beside `-0.999999`.
    """
    try:
        x, y = numeric.to_mpf(a), numeric.to_mpf(b)
    except (numeric.EvalError, TypeError, ValueError):
        return least
    gap = abs(x - y)
    if gap == 0:
        return least
    for digits in range(least, most + 1):
        if all(abs(numeric.to_mpf(_shown(v, digits)) - v) * 2 < gap for v in (x, y)):
            return digits
    return most


def _shown(value: Any, digits: int) -> Any:
    import mpmath

    return mpmath.mpf(numeric.fmt(value, digits))
