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
import unicodedata
from dataclasses import dataclass
from fractions import Fraction

from pv.checks.formulas.nodes import BinOp, Call, Compare, Index, Logic, Name, Neg, Node, Not, Num

# Functions pv knows: name -> (min args, max args or None for "any").
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "ln": (1, 1), "log": (1, 2), "log2": (1, 1), "log10": (1, 1), "exp": (1, 1),
    "sqrt": (1, 1), "abs": (1, 1), "max": (2, None), "min": (2, None),
    "floor": (1, 1), "ceil": (1, 1), "sin": (1, 1), "cos": (1, 1), "tan": (1, 1),
    "tanh": (1, 1),
}
CONSTANTS = ("pi", "e")  # meaningful only when not declared as symbols


@dataclass(frozen=True)
class Limits:
    """Caps that keep a hostile formula from exhausting time or memory."""

    max_length: int = 1000  # characters
    max_tokens: int = 300
    max_depth: int = 40  # nested brackets, calls, unary signs
    max_digits: int = 40  # digits of one number literal
    max_literal_exponent: int = 300  # the 400 of 1e400
    max_exponent: int = 1000  # |n| of a constant exponent in x^n
    max_constant_digits: int = 2000  # digits a folded constant power may reach


DEFAULT_LIMITS = Limits()


class FormulaError(Exception):
    """A formula that does not parse (kind "syntax") or breaks a limit (kind "limit")."""

    def __init__(self, message: str, index: int, *, kind: str = "syntax", reason: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.index = index
        self.kind = kind
        self.reason = reason or message  # short category, for corpus statistics


@dataclass(frozen=True)
class Token:
    kind: str  # num name op sup ( ) [ ] { } , | sqrt floor( floor) ceil( ceil) end
    value: str
    start: int
    end: int


# Longest spellings first so `<=>` wins over `<=` and `**` over `*`.
_OPERATORS: tuple[tuple[str, str], ...] = (
    ("<=>", "iff"), ("⟺", "iff"), ("⇔", "iff"), ("↔", "iff"),
    ("=>", "implies"), ("->", "implies"), ("⟹", "implies"), ("⇒", "implies"), ("→", "implies"),
    ("<=", "<="), ("≤", "<="), ("⩽", "<="), (">=", ">="), ("≥", ">="), ("⩾", ">="),
    ("!=", "!="), ("≠", "!="), ("==", "="), ("=", "="), ("<", "<"), (">", ">"),
    ("**", "^"), ("^", "^"), ("*", "*"), ("×", "*"), ("·", "*"), ("⋅", "*"), ("∙", "*"),
    ("/", "/"), ("÷", "/"), ("∕", "/"), ("+", "+"), ("-", "-"), ("−", "-"), ("–", "-"),
    ("&&", "and"), ("∧", "and"), ("∨", "or"), ("¬", "not"), ("∈", "in"), ("∀", "forall"),
)
_WORD_OPERATORS = {"and": "and", "or": "or", "not": "not", "implies": "implies", "iff": "iff",
                   "forall": "forall"}
_PUNCT = {"(": "(", ")": ")", "[": "[", "]": "]", "{": "{", "}": "}", ",": ",", "|": "|",
          "√": "sqrt", "⌊": "floor(", "⌋": "floor)", "⌈": "ceil(", "⌉": "ceil)", ":": ":"}
_SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+", strict=True))
_SUBSCRIPTS = dict(zip("₀₁₂₃₄₅₆₇₈₉ₐₑₒₓₕₖₗₘₙₚₛₜᵢⱼ", "0123456789aeoxhklmnpstij", strict=True))
_GREEK_VARIANTS = {"ϵ": "epsilon", "ϑ": "theta", "ϕ": "phi", "ϖ": "pi", "ς": "sigma"}
_RELOPS = ("<", "<=", "=", "!=", ">=", ">")


def greek_name(char: str) -> str | None:
    """`α` -> "alpha", `Σ` -> "Sigma"; None for anything that is not a Greek letter."""
    if char in _GREEK_VARIANTS:
        return _GREEK_VARIANTS[char]
    if not ("\u0391" <= char <= "\u03a9" or "\u03b1" <= char <= "\u03c9"):
        return None
    name = unicodedata.name(char, "")
    if not name.startswith("GREEK "):
        return None
    word = name.split()[-1].lower()
    return word.capitalize() if "CAPITAL" in name else word


def _is_name_start(char: str) -> bool:
    return char.isascii() and (char.isalpha() or char == "_") or greek_name(char) is not None


def _is_name_char(char: str) -> bool:
    return _is_name_start(char) or (char.isascii() and char.isdigit()) or char in _SUBSCRIPTS


def _read_number(text: str, i: int) -> int:
    """End offset of the number literal starting at `i` (digits, fraction, exponent)."""
    n = len(text)
    j = i
    while j < n and text[j].isascii() and text[j].isdigit():
        j += 1
    if j < n and text[j] == "." and j + 1 < n and text[j + 1].isascii() and text[j + 1].isdigit():
        j += 1
        while j < n and text[j].isascii() and text[j].isdigit():
            j += 1
    if j < n and text[j] in "eE":
        k = j + 1
        if k < n and text[k] in "+-":
            k += 1
        if k < n and text[k].isascii() and text[k].isdigit():
            while k < n and text[k].isascii() and text[k].isdigit():
                k += 1
            j = k
    return j


def tokenize(text: str, limits: Limits = DEFAULT_LIMITS) -> list[Token]:
    if len(text) > limits.max_length:
        raise FormulaError(f"formula is {len(text)} characters long; the limit is {limits.max_length}",
                           limits.max_length, kind="limit", reason="too long")
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char.isspace():
            i += 1
            continue
        if len(tokens) >= limits.max_tokens:
            raise FormulaError(f"formula has more than {limits.max_tokens} tokens", i,
                               kind="limit", reason="too long")
        if (char.isascii() and char.isdigit()) or (
                char == "." and i + 1 < n and text[i + 1].isascii() and text[i + 1].isdigit()):
            j = _read_number(text, i)
            tokens.append(Token("num", text[i:j], i, j))
            i = j
            continue
        if _is_name_start(char):
            j, parts = i, []
            while j < n and _is_name_char(text[j]):
                c = text[j]
                if c in _SUBSCRIPTS:
                    # x₁ -> x_1; a run of subscripts shares one underscore
                    if not _prev_sub(text, j) and not parts[-1].endswith("_"):
                        parts.append("_")
                    parts.append(_SUBSCRIPTS[c])
                else:
                    parts.append(greek_name(c) or c)
                j += 1
            name = "".join(parts)
            word = _WORD_OPERATORS.get(name)
            tokens.append(Token("op", word, i, j) if word else Token("name", name, i, j))
            i = j
            continue
        if char in _SUPERSCRIPTS:
            j = i
            while j < n and text[j] in _SUPERSCRIPTS:
                j += 1
            tokens.append(Token("sup", "".join(_SUPERSCRIPTS[c] for c in text[i:j]), i, j))
            i = j
            continue
        for spelling, op in _OPERATORS:
            if text.startswith(spelling, i):
                tokens.append(Token("op", op, i, i + len(spelling)))
                i += len(spelling)
                break
        else:
            if char in _PUNCT:
                tokens.append(Token(_PUNCT[char], char, i, i + 1))
                i += 1
                continue
            shown = char if char.isprintable() else f"U+{ord(char):04X}"
            raise FormulaError(f"unexpected character `{shown}`", i, reason=f"unsupported character `{shown}`")
    tokens.append(Token("end", "", n, n))
    return tokens


def _prev_sub(text: str, j: int) -> bool:
    return j > 0 and text[j - 1] in _SUBSCRIPTS


def _describe(token: Token) -> str:
    return "the end of the formula" if token.kind == "end" else f"`{token.value}`"


class _Parser:
    def __init__(self, text: str, tokens: list[Token], strict: bool, limits: Limits) -> None:
        self.text = text
        self.tokens = tokens
        self.pos = 0
        self.depth = 0
        self.strict = strict
        self.limits = limits
        self.quantifier_allowed = True

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

    def product(self) -> Node:
        left = self.unary()
        while True:
            if self.at_op("*", "/"):
                op = self.advance().value
                right = self.unary()
            elif self._implicit_product_follows():
                op = "*"
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
            token = self.advance()
            try:
                value = int(token.value)
            except ValueError:
                raise FormulaError(f"superscript `{self.text[token.start:token.end]}` is not an integer",
                                   token.start, reason="bad superscript") from None
            exponent = Num(token.start, token.end, Fraction(value), token.value)
            node = BinOp(node.start, token.end, "^", node, exponent)
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

    def atom(self) -> Node:
        token = self.tok
        if token.kind == "num":
            self.advance()
            return Num(token.start, token.end, _number_value(token, self.limits), token.value)
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
    return Fraction(mantissa) * Fraction(10) ** int(exponent or 0)


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
        if left is None or right is None:
            return None
        if node.op == "+":
            return left + right
        if node.op == "-":
            return left - right
        if node.op == "*":
            return left * right
        if node.op == "/":
            return None if right == 0 else left / right
    if isinstance(node, Call | Compare | Logic | Not | Index):
        for child in (node.args if isinstance(node, Call) else
                      node.operands if isinstance(node, Compare | Logic) else
                      (node.operand,) if isinstance(node, Not) else (node.index,)):
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
    token = parser.tok
    if token.kind != "end":
        previous = parser.tokens[parser.pos - 1]
        if token.kind in ("name", "num") and previous.kind in ("name", "num", ")", "]", "sup"):
            raise FormulaError(f"expected an operator between `{previous.value}` and `{token.value}`",
                               token.start, reason="words without operators (prose)")
        raise FormulaError(f"unexpected {_describe(token)} after a complete formula", token.start,
                           reason=f"unexpected {_describe(token)}")
    _const(node, limits)
    return node
