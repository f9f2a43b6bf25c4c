"""pv's own formula grammar: a tokenizer and a recursive-descent parser.

Contract text comes from pull requests, so it never reaches `eval`,
`sympify`, `parse_expr` or `lambdify`. This module turns a formula string
into the plain tree of `pv.checks.formulas.nodes`; nothing here imports sympy, so
parsing stays cheap (the kernel-corpus summary only parses).

Grammar (loosest binding first):

    statement  := implies (('⟺' | '<=>' | 'iff') implies)*
    implies    := disjunct (('⟹' | '=>' | '→' | 'implies') implies)?     right-assoc
    disjunct   := conjunct (('∨' | 'or') conjunct)*
    conjunct   := negation (('∧' | 'and' | '&&') negation)*
    negation   := ('¬' | 'not') negation | comparison
    comparison := sum (relop sum)*                                  chained
    sum        := product (('+' | '-' | '−') product)*
    product    := unary (('*' | '×' | '·' | '/' | '÷') unary | implicit)*
    unary      := ('-' | '−' | '+') unary | power
    power      := postfix (('^' | '**') unary)?                     right-assoc
    postfix    := atom superscript? ('[' sum ']' | '_{' sum '}')?
    atom       := number | name | function '(' args ')' | '(' statement ')'
                | '|' sum '|' | '√' postfix | '⌊' sum '⌋' | '⌈' sum '⌉'

A statement may open with a quantifier `∀ x, y:` (obligations only) and a
comparison may be an interval membership `x ∈ [a, b)` (a ≤ x < b).

Implicit multiplication is allowed after a number or a closing bracket
(`2x`, `0.5(x+1)`, `(a+b)c`), never between two names (`a b` is prose).
"""

from __future__ import annotations

import math
from fractions import Fraction

from pv.checks.formulas.lexer import (  # re-exported: the grammar's public names
    CONSTANTS,
    DEFAULT_LIMITS,
    FUNCTIONS,
    FormulaError,
    Limits,
    Token,
    describe,
    greek_name,
    tokenize,
)
from pv.checks.formulas.nodes import ARITHMETIC, BinOp, Call, Compare, Index, Logic, Name, Neg, Node, Not, Num, children

__all__ = ["CONSTANTS", "DEFAULT_LIMITS", "FUNCTIONS", "FormulaError", "Limits", "Token", "greek_name",
           "parse", "tokenize"]

_RELOPS = ("<", "<=", "=", "!=", ">=", ">")
_describe = describe


class _Parser:
    def __init__(self, text: str, tokens: list[Token], strict: bool, limits: Limits) -> None:
        self.text = text
        self.tokens = tokens
        self.pos = 0
        self.depth = 0
        self.strict = strict
        self.limits = limits
        self.quantifier_allowed = True
        self.ambiguous: list[tuple[int, int]] = []  # (start, end) of each `a/b c` read as (a/b)·c

    # --- helpers -------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def at_op(self, *ops: str) -> bool:
        return self.tok.kind == "op" and self.tok.value in ops

    def expect(self, kind: str, what: str) -> Token:
        if self.tok.kind != kind:
            raise FormulaError(f"expected {what}, found {_describe(self.tok)}", self.tok.start,
                               reason=f"expected {what}")
        return self.advance()

    def finish(self) -> None:
        """Raise unless every token was read."""
        token = self.tok
        if token.kind != "end":
            previous = self.tokens[self.pos - 1]
            if token.kind in ("name", "num") and previous.kind in ("name", "num", ")", "]", "sup"):
                raise FormulaError(f"expected an operator between `{previous.value}` and `{token.value}`",
                                   token.start, reason="words without operators (prose)")
            raise FormulaError(f"unexpected {_describe(token)} after a complete formula", token.start,
                               reason=f"unexpected {_describe(token)}")

    def enter(self) -> None:
        self.depth += 1
        if self.depth > self.limits.max_depth:
            raise FormulaError(f"formula nests deeper than {self.limits.max_depth} levels",
                               self.tok.start, kind="limit", reason="nesting too deep")

    # --- grammar -------------------------------------------------------------
    def statement(self) -> Node:
        self.enter()
        left = self.implies()
        while self.at_op("iff"):
            self.advance()
            right = self.implies()
            left = Logic(left.start, right.end, "iff", (left, right))
        self.depth -= 1
        return left

    def implies(self) -> Node:
        left = self.disjunct()
        if self.at_op("implies"):
            self.advance()
            self.enter()
            right = self.implies()
            self.depth -= 1
            return Logic(left.start, right.end, "implies", (left, right))
        return left

    def _chain(self, op: str, sub) -> Node:
        parts = [sub()]
        while self.at_op(op):
            self.advance()
            parts.append(sub())
        if len(parts) == 1:
            return parts[0]
        return Logic(parts[0].start, parts[-1].end, op, tuple(parts))

    def disjunct(self) -> Node:
        return self._chain("or", self.conjunct)

    def conjunct(self) -> Node:
        return self._chain("and", self.negation)

    def negation(self) -> Node:
        if self.at_op("not"):
            start = self.advance().start
            self.enter()
            operand = self.negation()
            self.depth -= 1
            return Not(start, operand.end, operand)
        return self.comparison()

    def quantifier(self) -> None:
        """`∀ x, y:` / `forall x:` before a statement: its free symbols range over their domains anyway."""
        token = self.advance()
        if not self.quantifier_allowed:
            raise FormulaError("a quantifier (`∀`) may only open an obligation; free symbols of an "
                               "obligation already range over their whole domains", token.start,
                               reason="quantifier")
        self.expect("name", "a variable after `∀`")
        while self.tok.kind == ",":
            self.advance()
            self.expect("name", "a variable after `,`")
        self.expect(":", "`:` after the quantified variables")

    def comparison(self) -> Node:
        operands = [self.sum()]
        if self.at_op("in"):
            return self.membership(operands[0])
        ops: list[str] = []
        while self.tok.kind == "op" and self.tok.value in _RELOPS:
            ops.append(self.advance().value)
            operands.append(self.sum())
        if not ops:
            return operands[0]
        return Compare(operands[0].start, operands[-1].end, tuple(ops), tuple(operands))

    def membership(self, item: Node) -> Node:
        """`x ∈ [a, b)` means a ≤ x < b."""
        self.advance()
        if self.tok.kind not in ("[", "("):
            raise FormulaError(f"expected `[` or `(` to open an interval after `∈`, found {_describe(self.tok)}",
                               self.tok.start, reason="set notation")
        left_open = self.advance().kind == "("
        low = self.sum()
        self.expect(",", "`,` between the interval's bounds")
        high = self.sum()
        if self.tok.kind not in ("]", ")"):
            raise FormulaError(f"expected `]` or `)` to close the interval, found {_describe(self.tok)}",
                               self.tok.start, reason="set notation")
        close = self.advance()
        ops = ("<" if left_open else "<=", "<" if close.kind == ")" else "<=")
        return Compare(item.start, close.end, ops, (low, item, high))

    def sum(self) -> Node:
        left = self.product()
        while self.at_op("+", "-"):
            op = self.advance().value
            right = self.product()
            left = BinOp(left.start, right.end, op, left, right)
        return left

    PRODUCT_OPS: tuple[str, ...] = ("*", "/")

    def product(self) -> Node:
        left = self.unary()
        divisor_at: int | None = None  # where the last `/` was, while its divisor is being read
        while True:
            if self.at_op(*self.PRODUCT_OPS):
                token = self.advance()
                op = token.value
                right = self.unary()
                divisor_at = token.start if op == "/" else None
            elif self._implicit_product_follows():
                op = "*"
                if divisor_at is not None:
                    # `x/2y` reads as (x/2)·y; most authors mean x/(2y)
                    self.ambiguous.append((divisor_at, self.tok.end))
                right = self.unary()
            else:
                return left
            left = BinOp(left.start, right.end, op, left, right)

    def _implicit_product_follows(self) -> bool:
        previous = self.tokens[self.pos - 1] if self.pos else None
        if previous is None or previous.kind not in ("num", ")", "sup", "]", "}"):
            return False
        if self.tok.kind in ("name", "(", "sqrt"):
            return True
        return False

    def unary(self) -> Node:
        if self.at_op("-", "+"):
            token = self.advance()
            self.enter()
            operand = self.unary()
            self.depth -= 1
            return operand if token.value == "+" else Neg(token.start, operand.end, operand)
        return self.power()

    def power(self) -> Node:
        base = self.postfix()
        if self.at_op("^"):
            self.advance()
            self.enter()
            exponent = self.unary()
            self.depth -= 1
            return BinOp(base.start, exponent.end, "^", base, exponent)
        return base

    def postfix(self) -> Node:
        node = self.atom()
        if self.tok.kind == "sup":
            node = self._superscript(node)
        if isinstance(node, Name) and self.tok.kind == "[":
            self.advance()
            self.enter()
            index = self.sum()
            self.depth -= 1
            close = self.expect("]", "`]` to close the index")
            node = Index(node.start, close.end, node, index)
        elif isinstance(node, Name) and node.name.endswith("_") and self.tok.kind == "{":
            self.advance()
            self.enter()
            index = self.sum()
            self.depth -= 1
            close = self.expect("}", "`}` to close the subscript")
            base = Name(node.start, node.end - 1, node.name.rstrip("_"), node.raw.rstrip("_"))
            node = Index(node.start, close.end, base, index)
        return node

    def _superscript(self, node: Node) -> Node:
        token = self.advance()
        try:
            value = int(token.value)
        except ValueError:
            raise FormulaError(f"superscript `{self.text[token.start:token.end]}` is not an integer",
                               token.start, reason="bad superscript") from None
        exponent = Num(token.start, token.end, Fraction(value), token.value)
        return BinOp(node.start, token.end, "^", node, exponent)

    def atom(self) -> Node:
        token = self.tok
        if token.kind == "num":
            self.advance()
            return Num(token.start, token.end, _number_value(token, self.limits), token.value + token.unit)
        if token.kind == "name":
            self.advance()
            if self.tok.kind == "(":
                return self.call(token)
            if token.value in FUNCTIONS and self.strict:
                raise FormulaError(f"expected `(` after the function `{token.value}`, found "
                                   f"{_describe(self.tok)}", self.tok.start, reason="function without `(`")
            return Name(token.start, token.end, token.value, self.text[token.start:token.end])
        if token.kind == "(":
            self.advance()
            inner = self.statement()
            self.expect(")", "`)`")
            return inner
        if token.kind == "|":
            self.advance()
            self.enter()
            inner = self.sum()
            self.depth -= 1
            close = self.expect("|", "`|` to close the absolute value")
            return Call(token.start, close.end, "abs", (inner,))
        if token.kind == "sqrt":
            self.advance()
            self.enter()
            inner = self.postfix()
            self.depth -= 1
            return Call(token.start, inner.end, "sqrt", (inner,))
        if token.kind in ("floor(", "ceil("):
            self.advance()
            self.enter()
            inner = self.sum()
            self.depth -= 1
            closer = token.kind[:-1] + ")"
            close = self.expect(closer, "`⌋`" if closer == "floor)" else "`⌉`")
            return Call(token.start, close.end, token.kind[:-1], (inner,))
        raise FormulaError(f"expected a number, a name or `(`, found {_describe(token)}", token.start,
                           reason=f"unexpected {_describe(token)}" if token.kind != "end" else "incomplete")

    def call(self, name: Token) -> Node:
        func = name.value
        if self.strict and func not in FUNCTIONS:
            known = ", ".join(sorted(FUNCTIONS))
            raise FormulaError(f"unknown function `{self.text[name.start:name.end]}`; pv knows {known}",
                               name.start, reason="unknown function")
        self.advance()  # (
        self.enter()
        args: list[Node] = []
        if self.tok.kind != ")":
            args.append(self.statement() if not self.strict else self.sum())
            while self.tok.kind == ",":
                self.advance()
                args.append(self.statement() if not self.strict else self.sum())
        self.depth -= 1
        close = self.expect(")", "`,` or `)` in the argument list")
        low, high = FUNCTIONS.get(func, (0, None))
        if self.strict and (len(args) < low or (high is not None and len(args) > high)):
            want = f"{low}" if low == high else (f"at least {low}" if high is None else f"{low} or {high}")
            raise FormulaError(f"`{func}` takes {want} argument(s), got {len(args)}", name.start,
                               reason="wrong number of arguments")
        return Call(name.start, close.end, func, tuple(args))


def _number_value(token: Token, limits: Limits) -> Fraction:
    text = token.value
    mantissa, _, exponent = text.lower().partition("e")
    digits = len(mantissa.replace(".", "").lstrip("0"))
    if digits > limits.max_digits:
        raise FormulaError(f"number literal has {digits} digits; the limit is {limits.max_digits}",
                           token.start, kind="limit", reason="number too large")
    if exponent and abs(int(exponent)) > limits.max_literal_exponent:
        raise FormulaError(f"number literal `{text}` has exponent {exponent}; the limit is "
                           f"±{limits.max_literal_exponent}", token.start, kind="limit",
                           reason="number too large")
    return Fraction(mantissa) * Fraction(10) ** int(exponent or 0) * token.scale


def _const(node: Node, limits: Limits) -> Fraction | None:
    """Exact value of a constant sub-tree of + - * / ^ and numbers, else None.

    Refuses (FormulaError) powers whose exponent or result would be huge, so
    `9**9**9` is reported rather than computed by anyone downstream.
    """
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Neg):
        value = _const(node.operand, limits)
        return None if value is None else -value
    if isinstance(node, BinOp):
        left = _const(node.left, limits)
        right = _const(node.right, limits)
        if node.op == "^":
            if right is not None and right.denominator == 1 and abs(right) > limits.max_exponent:
                raise FormulaError(f"exponent {_short(right)} is larger than {limits.max_exponent}",
                                   node.right.start, kind="limit", reason="exponent too large")
            if left is None or right is None or right.denominator != 1:
                return None
            if left == 0:
                return None if right < 0 else Fraction(0 if right else 1)
            size = abs(int(right)) * math.log10(max(abs(left.numerator), abs(left.denominator), 2))
            if size > limits.max_constant_digits:
                raise FormulaError(f"constant power has about {size:.0f} digits; the limit is "
                                   f"{limits.max_constant_digits}", node.start, kind="limit",
                                   reason="exponent too large")
            return left ** int(right)
        apply = ARITHMETIC.get(node.op)
        if left is None or right is None or apply is None or (node.op == "/" and right == 0):
            return None
        return apply(left, right)
    if not isinstance(node, Num | Neg | BinOp):  # every other node: its constant parts are checked too
        for child in children(node):
            _const(child, limits)
    return None


def _short(value: Fraction) -> str:
    text = str(value)
    return text if len(text) <= 24 else f"{text[:10]}…({len(text)} digits)"


def parse(text: str, *, strict: bool = True, quantifier: bool = True, limits: Limits = DEFAULT_LIMITS) -> Node:
    """Parse one formula; raise FormulaError with the offending offset.

    `strict=False` accepts any name as a function (used to measure how much
    of the kernel corpus is written in a parsable notation). `quantifier`
    allows a leading `∀ x, y:` (obligations only: their free symbols range
    over their domains whether or not the quantifier is written).
    """
    return parse_full(text, strict=strict, quantifier=quantifier, limits=limits)[0]


def parse_full(text: str, *, strict: bool = True, quantifier: bool = True,
               limits: Limits = DEFAULT_LIMITS) -> tuple[Node, list[tuple[int, int]]]:
    """`parse`, plus the (start, end) offsets of each `a/b c` that reads as (a/b)·c."""
    if not isinstance(text, str):
        raise FormulaError("a formula must be a string", 0, reason="not a string")
    if not text.strip():
        raise FormulaError("the formula is empty", 0, reason="empty")
    tokens = tokenize(text, limits)
    parser = _Parser(text, tokens, strict, limits)
    parser.quantifier_allowed = quantifier
    if parser.at_op("forall"):
        parser.quantifier()
    node = parser.statement()
    parser.finish()
    _const(node, limits)
    return node, parser.ambiguous
