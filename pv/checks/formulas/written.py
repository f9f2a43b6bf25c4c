"""Numbers as written in a contract: the default tolerance a written value implies (no sympy)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from pv.core.document import Document, YamlPath, source_lines

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


def exact_as_written(doc: Document, path: YamlPath, value: int | float) -> Fraction:
    """The exact number a scalar stands for: its decimal text, not the nearest binary double."""
    if isinstance(value, int):
        return Fraction(value)
    text = written_text(doc, path, value)
    try:
        return Fraction(text) if text is not None else Fraction(repr(value))
    except (ValueError, ZeroDivisionError):
        return Fraction(repr(value))


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
        if isinstance(exponent, int) and exponent < 0:
            return Fraction(1, 10 ** -exponent)
    return Fraction(0)
