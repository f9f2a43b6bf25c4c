"""Numbers as written in a contract: the default tolerance a written value implies (no sympy)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any


def default_tolerance(value: Any) -> Fraction:
    """One unit in the last decimal place written: 21.64 -> 0.01, "21.640" -> 0.001; integers exactly."""
    if isinstance(value, float | str):
        try:
            exponent = Decimal(value if isinstance(value, str) else repr(value)).as_tuple().exponent
        except InvalidOperation:
            return Fraction(0)
        if isinstance(exponent, int) and exponent < 0:
            return Fraction(1, 10 ** -exponent)
    return Fraction(0)
