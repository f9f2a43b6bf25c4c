"""Numeric claims: "at vocab_size = 50257 the value is 21.64 ± 0.01".

Evaluated with exact arithmetic (the point and the claimed value are
rationals; transcendental results are compared at 60 significant digits).
Runs inside a step of `pv.checks.formulas.limits.run_steps`; returns plain data.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import sympy as sp

from pv.checks.formulas.domains import Domain
from pv.checks.formulas.nodes import Node
from pv.checks.formulas.symbolic import Builder, number, truth
from pv.checks.formulas.written import default_tolerance  # noqa: F401  -- re-exported


def decimals_of(value: Fraction, tolerance: Fraction) -> int:
    """How many decimals to show a true value with, so it reads like the claim."""
    digits = 2
    probe = tolerance if tolerance else value
    while digits < 12 and probe and probe.denominator > 10 ** digits:
        digits += 1
    return digits


def evaluate_claim(node: Node, defs: Mapping[str, Node], domains: Mapping[str, Domain | None],
                   at: Mapping[str, Any], expected: Fraction | bool, tolerance: Fraction) -> dict[str, Any]:
    """{"ok": bool, "actual": text} or {"error": text}."""
    value = Builder(defs, domains, dict(at)).build(node)
    if isinstance(expected, bool):
        actual = truth(value)
        if actual is None:
            return {"error": "sympy cannot decide the statement at this point"}
        return {"ok": actual == expected, "actual": "true" if actual else "false"}
    approx = number(value, 40)
    if approx is None:
        return {"error": "the formula has no real value at this point"}
    target = sp.Rational(expected.numerator, expected.denominator)
    tol = sp.Rational(tolerance.numerator, tolerance.denominator)
    verdict = truth(sp.Le(sp.Abs(value - target), tol, evaluate=False))
    if verdict is None:  # exactly on the tolerance edge and not provably so: compare numerically
        verdict = bool(abs(approx - target) <= tol)
    places = decimals_of(expected, tolerance)
    precise = sp.sstr(sp.N(value, 12))
    shown = f"{float(approx):.{places}f}" if abs(approx) < 10**15 else precise
    return {"ok": verdict, "actual": shown, "precise": precise}
