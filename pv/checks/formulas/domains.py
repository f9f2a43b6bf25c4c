"""Variable domains: `integer ≥ 2`, `real > 0`, `natural`, `real in [0, 100]`,
`sequence of real > 0`.

Grammar (words are case-insensitive):

    domain     := ['sequence of'] type [constraint ((',' | 'and') constraint)*]
    type       := 'integer' | 'int' | 'natural' | 'real'
    constraint := relop number | 'in' ('[' | '(') number ',' number (']' | ')')

`natural` means integer ≥ 0. A `sequence of T` symbol is indexed in
formulas (`val_loss[N]`); each element has domain T.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from pv.checks.formulas.grammar import FormulaError, Token, tokenize

_TYPES = {"integer": "integer", "int": "integer", "natural": "integer", "real": "real"}


@dataclass(frozen=True)
class Domain:
    kind: str  # "integer" or "real"
    lower: Fraction | None = None
    lower_open: bool = False
    upper: Fraction | None = None
    upper_open: bool = False
    sequence: bool = False

    @property
    def integer(self) -> bool:
        return self.kind == "integer"

    def element(self) -> Domain:
        """The domain of one element (itself for scalars)."""
        return Domain(self.kind, self.lower, self.lower_open, self.upper, self.upper_open)

    def contains(self, value: Fraction | int | float) -> bool:
        if isinstance(value, float) and not math.isfinite(value):
            return False
        if self.integer and Fraction(value).denominator != 1:
            return False
        if self.lower is not None and (value < self.lower or (self.lower_open and value == self.lower)):
            return False
        if self.upper is not None and (value > self.upper or (self.upper_open and value == self.upper)):
            return False
        return True

    def is_empty(self) -> bool:
        if self.lower is None or self.upper is None:
            return False
        if self.lower > self.upper:
            return True
        if self.lower == self.upper:
            return self.lower_open or self.upper_open
        if self.integer:
            first = math.ceil(self.lower) + (1 if self.lower_open and self.lower.denominator == 1 else 0)
            last = math.floor(self.upper) - (1 if self.upper_open and self.upper.denominator == 1 else 0)
            return first > last
        return False

    def describe(self) -> str:
        text = self.kind
        if self.lower is not None and self.upper is not None:
            text += f" in {'(' if self.lower_open else '['}{_fmt(self.lower)}, {_fmt(self.upper)}" \
                    f"{')' if self.upper_open else ']'}"
        elif self.lower is not None:
            text += f" {'>' if self.lower_open else '≥'} {_fmt(self.lower)}"
        elif self.upper is not None:
            text += f" {'<' if self.upper_open else '≤'} {_fmt(self.upper)}"
        return f"sequence of {text}" if self.sequence else text


def _fmt(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else str(float(value))


class _Reader:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.pos = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def word(self) -> str | None:
        return self.tok.value.lower() if self.tok.kind == "name" else None

    def fail(self, what: str) -> FormulaError:
        found = "the end" if self.tok.kind == "end" else f"`{self.tok.value}`"
        return FormulaError(f"expected {what} in the domain, found {found}", self.tok.start)

    def number(self) -> Fraction:
        sign = 1
        while self.tok.kind == "op" and self.tok.value in ("-", "+"):
            sign *= -1 if self.tok.value == "-" else 1
            self.pos += 1
        if self.tok.kind != "num":
            raise self.fail("a number")
        token = self.tok
        self.pos += 1
        mantissa, _, exponent = token.value.lower().partition("e")
        if len(mantissa) > 40 or (exponent and abs(int(exponent)) > 300):
            raise FormulaError(f"bound `{token.value}` is too large", token.start, kind="limit")
        return sign * Fraction(mantissa) * Fraction(10) ** int(exponent or 0)


def parse_domain(text: str) -> Domain:
    """Parse a domain string; raise FormulaError pointing at the offending offset."""
    if not isinstance(text, str) or not text.strip():
        raise FormulaError("the domain is empty; write e.g. `integer ≥ 2` or `real > 0`", 0)
    reader = _Reader(text)
    sequence = False
    if reader.word() == "sequence":
        reader.pos += 1
        if reader.word() != "of":
            raise reader.fail("`of` after `sequence`")
        reader.pos += 1
        sequence = True
    word = reader.word()
    if word not in _TYPES:
        raise reader.fail("a type (integer, natural or real)")
    kind = _TYPES[word]
    reader.pos += 1
    lower: Fraction | None = Fraction(0) if word == "natural" else None
    upper: Fraction | None = None
    lower_open = upper_open = False
    first = True
    while reader.tok.kind != "end":
        if not first:
            if reader.tok.kind == "," or (reader.tok.kind == "op" and reader.tok.value == "and"):
                reader.pos += 1
            else:
                raise reader.fail("`,` or `and` between constraints")
        first = False
        token = reader.tok
        if token.kind == "op" and token.value in ("<", "<=", ">", ">=", "="):
            reader.pos += 1
            bound = reader.number()
            if token.value in (">", ">=", "="):
                if lower is None or bound >= lower:
                    lower, lower_open = bound, token.value == ">"
            if token.value in ("<", "<=", "="):
                if upper is None or bound <= upper:
                    upper, upper_open = bound, token.value == "<"
        elif reader.word() == "in":
            reader.pos += 1
            if reader.tok.kind not in ("[", "("):
                raise reader.fail("`[` or `(` to open the interval")
            left_open = reader.tok.kind == "("
            reader.pos += 1
            low = reader.number()
            if reader.tok.kind != ",":
                raise reader.fail("`,` inside the interval")
            reader.pos += 1
            high = reader.number()
            if reader.tok.kind not in ("]", ")"):
                raise reader.fail("`]` or `)` to close the interval")
            right_open = reader.tok.kind == ")"
            reader.pos += 1
            lower, lower_open, upper, upper_open = low, left_open, high, right_open
        else:
            raise reader.fail("a constraint such as `≥ 2` or `in [0, 1]`")
    if kind == "integer":  # normalise to closed integer bounds
        if lower is not None:
            lower = Fraction(math.floor(lower) + 1 if lower_open and lower.denominator == 1
                             else math.ceil(lower))
            lower_open = False
        if upper is not None:
            upper = Fraction(math.ceil(upper) - 1 if upper_open and upper.denominator == 1
                             else math.floor(upper))
            upper_open = False
    domain = Domain(kind, lower, lower_open, upper, upper_open, sequence)
    if domain.is_empty():
        raise FormulaError(f"the domain `{text.strip()}` contains no value", 0)
    return domain
