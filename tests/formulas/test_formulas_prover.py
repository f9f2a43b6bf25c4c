"""The prover directly: refutations carry exact points that really violate the obligation,
checked here with plain Python arithmetic, independently of pv's evaluators."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from pv.checks.formulas.domains import parse_domain
from pv.checks.formulas.grammar import parse
from pv.checks.formulas.prover import candidates, decide

DOMAINS = {
    "x": parse_domain("real"),
    "v": parse_domain("integer ≥ 2"),
    "s": parse_domain("sequence of real > 0"),
    "N": parse_domain("integer ≥ 1"),
    "p": parse_domain("real in (0, 1)"),
}
DEFS = {"cap": parse("2·ln(v)"), "nd": parse("s[N] ≤ 2 × s[N-1]")}

def _ratio_at_most(pt: dict, ratio) -> bool:
    return pt["s"][pt["N"]] <= ratio * pt["s"][pt["N"] - 1]


CASES = [
    ("x^2 ≥ x", lambda pt: pt["x"] ** 2 >= pt["x"]),
    ("ln(v) ≥ cap", lambda pt: math.log(pt["v"]) >= 2 * math.log(pt["v"])),
    ("cap > 10 ⟺ v ≥ 150", lambda pt: (2 * math.log(pt["v"]) > 10) == (pt["v"] >= 150)),
    ("cap ≤ 10", lambda pt: 2 * math.log(pt["v"]) <= 10),
    ("nd", lambda pt: pt["s"][pt["N"]] <= 2 * pt["s"][pt["N"] - 1]),
    ("nd ⟹ s[N] ≤ 1.5 × s[N-1]", lambda pt: not _ratio_at_most(pt, 2) or _ratio_at_most(pt, Fraction(3, 2))),
    ("p^2 > p / 2", lambda pt: pt["p"] ** 2 > pt["p"] / 2),
    ("v ≠ 7 ∧ v ≠ 2", lambda pt: pt["v"] != 7 and pt["v"] != 2),
]


@pytest.mark.parametrize(("text", "holds"), CASES)
def test_counterexamples_really_violate(text: str, holds) -> None:
    outcome = decide(parse(text), DEFS, DOMAINS)
    assert outcome.status == "refuted", outcome
    point = {k: (int(v) if isinstance(v, Fraction) and v.denominator == 1 and DOMAINS[k].integer else v)
             for k, v in outcome.point.items()}
    for name, value in point.items():
        domain = DOMAINS[name]
        values = value if isinstance(value, list) else [value]
        assert all(domain.element().contains(Fraction(v)) for v in values)  # inside the domain
    assert not holds(point)


@pytest.mark.parametrize("text", ["ln(v) ≤ cap", "cap > 10 ⟺ v ≥ 149", "p^2 < p", "nd ⟹ s[N] ≤ 3 × s[N-1]"])
def test_proofs(text: str) -> None:
    assert decide(parse(text), DEFS, DOMAINS).status == "proved"


def test_candidates_start_at_the_boundaries() -> None:
    import random

    values = candidates(parse_domain("integer ≥ 2"), random.Random(0))
    assert values[:3] == [2, 3, 4]
    values = candidates(parse_domain("real in (0, 1]"), random.Random(0))
    assert 0 not in values and 1 in values and all(0 < v <= 1 for v in values)


def test_a_point_only_40_digits_call_false_is_no_counterexample() -> None:
    """1/(1 - p^N) > 1 holds for p ∈ (0, 1), N ≥ 1; at p = 0.999999, N = 104717952 it equals 1 at 40 digits.
    Exact arithmetic cannot afford that power, so the point must not be reported as a counterexample."""
    outcome = decide(parse("1 / (1 - p^N) > 1"), {}, DOMAINS)
    assert outcome.status != "refuted", outcome
