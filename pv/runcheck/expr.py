"""A tiny, safe evaluator for the cap expressions written in contracts.

Contracts are untrusted input, so no eval: numbers, names bound by the
caller, + - * / ^ (also · and ×), parentheses and ln/log/exp/sqrt.
"""

from __future__ import annotations

import math
import re

_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+)|([A-Za-z_][A-Za-z_0-9]*)|(.))")
_FUNCS = {"ln": math.log, "log": math.log, "exp": math.exp, "sqrt": math.sqrt}
_MAX_LEN = 200


class ExprError(ValueError):
    pass


def evaluate(text: str, names: dict[str, float]) -> float:
    if len(text) > _MAX_LEN:
        raise ExprError(f"expression longer than {_MAX_LEN} characters")
    tokens: list[tuple[str, object]] = []
    pos = 0
    text = text.replace("·", "*").replace("×", "*").replace("−", "-").strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            break
        pos = m.end()
        if m.group(1):
            tokens.append(("num", float(m.group(1))))
        elif m.group(2):
            tokens.append(("name", m.group(2)))
        elif m.group(3).strip():
            tokens.append(("op", m.group(3)))
    tokens.append(("end", None))
    parser = _Parser(tokens, names)
    value = parser.sum()
    if parser.peek() != ("end", None):
        raise ExprError(f"unexpected {parser.peek()[1]!r}")
    return value


class _Parser:
    def __init__(self, tokens: list[tuple[str, object]], names: dict[str, float]) -> None:
        self.tokens, self.names, self.i, self.depth = tokens, names, 0, 0

    def peek(self) -> tuple[str, object]:
        return self.tokens[self.i]

    def take(self) -> tuple[str, object]:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def sum(self) -> float:
        value = self.product()
        while self.peek() in (("op", "+"), ("op", "-")):
            value = value + self.product() if self.take()[1] == "+" else value - self.product()
        return value

    def product(self) -> float:
        value = self.unary()
        while self.peek() in (("op", "*"), ("op", "/")):
            op = self.take()[1]
            rhs = self.unary()
            if op == "/" and rhs == 0:
                raise ExprError("division by zero")
            value = value * rhs if op == "*" else value / rhs
        return value

    def power(self) -> float:
        base = self.atom()
        if self.peek() == ("op", "^"):
            self.take()
            exponent = self.unary()
            try:
                return float(base**exponent)
            except (OverflowError, ZeroDivisionError) as exc:
                raise ExprError(str(exc)) from None
        return base

    def unary(self) -> float:
        if self.peek() in (("op", "-"), ("op", "+")):
            sign = -1.0 if self.take()[1] == "-" else 1.0
            return sign * self.unary()
        return self.power()

    def atom(self) -> float:
        self.depth += 1
        if self.depth > 50:
            raise ExprError("expression nested too deeply")
        try:
            kind, value = self.take()
            if kind == "num":
                return float(value)  # type: ignore[arg-type]
            if kind == "name" and value in _FUNCS and self.peek() == ("op", "("):
                self.take()
                arg = self.sum()
                self._expect(")")
                try:
                    return _FUNCS[value](arg)  # type: ignore[index]
                except (ValueError, OverflowError) as exc:
                    raise ExprError(f"{value}({arg:g}): {exc}") from None
            if kind == "name":
                if value not in self.names:
                    raise ExprError(f"unknown name {value!r}")
                return float(self.names[value])  # type: ignore[index]
            if (kind, value) == ("op", "("):
                inner = self.sum()
                self._expect(")")
                return inner
            raise ExprError("unexpected end of expression" if kind == "end" else f"unexpected {value!r}")
        finally:
            self.depth -= 1

    def _expect(self, op: str) -> None:
        if self.take() != ("op", op):
            raise ExprError(f"expected {op!r}")
