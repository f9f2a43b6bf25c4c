"""Domain strings: parsing, normalisation of integer bounds, membership."""

from __future__ import annotations

from fractions import Fraction

import pytest

from pv.checks.formulas.domains import parse_domain
from pv.checks.formulas.grammar import FormulaError


@pytest.mark.parametrize(("text", "inside", "outside"), [
    ("integer ≥ 2", [2, 3, 50257], [1, Fraction(5, 2), -4]),
    ("integer >= 2", [2], [1]),
    ("integer > 2", [3], [2]),
    ("natural", [0, 7], [-1]),
    ("real > 0", [Fraction(1, 10**9), 5], [0, -1]),
    ("real ≥ 0", [0], [Fraction(-1, 10)]),
    ("real in [0, 1]", [0, 1, Fraction(1, 2)], [Fraction(11, 10)]),
    ("real in (0, 1)", [Fraction(1, 2)], [0, 1]),
    ("integer in [1, 10)", [1, 9], [10, 0]),
    ("real > 0, ≤ 100", [100], [Fraction(1001, 10)]),
    ("real > 0 and < 100", [99], [100]),
    ("real", [-10**6, 0, 10**6], []),
    ("int ≤ -1", [-1], [0]),
])
def test_domains(text: str, inside: list, outside: list) -> None:
    domain = parse_domain(text)
    assert all(domain.contains(v) for v in inside)
    assert not any(domain.contains(v) for v in outside)


def test_sequence_domain_and_element() -> None:
    domain = parse_domain("sequence of real > 0")
    assert domain.sequence and not domain.element().sequence
    assert domain.describe() == "sequence of real > 0"


def test_integer_bounds_are_normalised() -> None:
    domain = parse_domain("integer > 1.5")
    assert domain.lower == 2 and not domain.lower_open


@pytest.mark.parametrize("text", ["integr", "integer ≥", "real in [1, 0]", "integer > 2 and < 3",
                                  "sequence real", "real ≥ 1e999", "real ≥ 2 3"])
def test_bad_domains(text: str) -> None:
    with pytest.raises(FormulaError):
        parse_domain(text)
