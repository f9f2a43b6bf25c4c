"""Numbers as written in a contract: the default tolerance a written value implies (no sympy)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from pv.core.document import Document, YamlPath, source_lines

# Exponents pv turns into exact fractions: far past a double's ±308, and 10**4000 is instant, while the
# exact value of `1.7e-77513339` needs a 257-million-bit power of ten (minutes of CPU in the parent process).
MAX_EXPONENT = 4000

_DECIMAL = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")  # 21.640, 1e-400


def written_text(doc: Document, path: YamlPath, value: Any) -> str | None:
    """A float scalar's text exactly as written in the file (`2.9999999999999999`), else None."""
    if not isinstance(value, float):
        return None
    line, col, end_line, end_col = doc.span(path)
    lines = source_lines(doc.text)
    if line != end_line or not 0 < line <= len(lines):
        return None
    text = lines[line - 1][col - 1:end_col - 1].strip()
    return text if _DECIMAL.fullmatch(text) else None


def exact_decimal(text: str) -> Fraction | None:
    """The exact value of decimal text (`21.64`, `1e-400`); None when it is not a finite decimal or its
    exponent is beyond ±MAX_EXPONENT (see there)."""
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    if number.is_zero():
        return Fraction(0)
    if abs(number.adjusted()) > MAX_EXPONENT or abs(number.as_tuple().exponent) > MAX_EXPONENT + 100:
        return None
    return Fraction(number)


def exact_as_written(doc: Document, path: YamlPath, value: int | float) -> Fraction | None:
    """The exact number a scalar stands for: its decimal text, not the nearest binary double.

    None when the text's exponent is out of the range pv evaluates exactly (`exact_decimal`)."""
    if isinstance(value, int):
        return Fraction(value)
    text = written_text(doc, path, value)
    return exact_decimal(text if text is not None else repr(value))


def shown_as_written(doc: Document, path: YamlPath, value: Any) -> str:
    """A scalar for messages, as the author wrote it."""
    text = written_text(doc, path, value)
    return text if text is not None else repr(value)


def default_tolerance(value: Any) -> Fraction:
    """One unit in the last decimal place written: 21.64 -> 0.01, "21.640" -> 0.001; integers exactly."""
    if isinstance(value, float | str):
        try:
            exponent = Decimal(value if isinstance(value, str) else repr(value)).as_tuple().exponent
        except InvalidOperation:
            return Fraction(0)
        if isinstance(exponent, int) and -MAX_EXPONENT <= exponent < 0:
            return Fraction(1, 10 ** -exponent)
    return Fraction(0)
