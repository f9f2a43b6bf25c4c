"""The loose notation: formulas as authors write them in kernel contracts.

A parser on top of pv's strict grammar (`pv.checks.formulas.grammar`) that
also reads, each with one documented meaning (see `pv explain PV300`):

- trailing qualifiers: `E for all i`, `E ∀x ∈ S`, `E when P` / `if P` (P ⟹ E),
  `E for large n` (asymptotic: never decided), `E for <words>` / `where …` /
  `within …` (a context kept as a note);
- a leading quantifier `∀ x ∈ S: E`, `∃ x: E`; a leading label `Embedding: E`;
- `≈`; `mod`/`%`; `@ ⊗ ⊙`; `x^T`; norms `‖x‖`, `||x||_2`; `∈ ∉ ⊆`, intervals,
  set literals `{0, 1}`, spaces `ℝ^n`; `[a, b]` shape literals and `(B, D)` tuples;
- reductions `Σ_{i=1}^{n} x`, `Σ_j x`, `sum_{k=0}^{K-1} x`, `∏`, `max_b x`;
- `a if P else b`; uppercase `AND OR NOT`; primes `x'`; field access `a.b`
  (one opaque name) and `x.exp()` (`exp(x)`); subscripts on calls `σ(x)_i`;
- number suffixes `7.62B`, byte units `16GB` (see `pv.checks.formulas.lexer.SUFFIXES`),
  unit words after a number (`144 bytes`, `30s`);
- annotations: a trailing `(words)` is a comment, and `2(norm)` is the number 2
  annotated (not 2·norm);
- several statements on one line, split at top-level `,` / `;`.

When a construct is not one of these, the parser stops with a reason: a
formula read with a changed meaning is worse than one reported "not understood".
"""

from __future__ import annotations

from pv.checks.formulas.brackets import BracketsMixin, _span
from pv.checks.formulas.grammar import _const, _Parser
from pv.checks.formulas.lexer import BYTE_UNITS, DEFAULT_LIMITS, SUFFIXES, FormulaError, Limits, Token, tokenize
from pv.checks.formulas.nodes import (
    BinOp,
    Call,
    Compare,
    Cond,
    Dots,
    Index,
    Name,
    Node,
    Note,
    Num,
    Reduce,
    SetOf,
    Vector,
)
from pv.checks.formulas.qualifiers import QualifierMixin
from pv.checks.formulas.words import (
    ENGLISH,
    LOOSE_RELOPS,
    NOT_IN_NAMES,
    PLAIN,
    QUALIFIERS,
    REDUCE_WORDS,
    SPACE_NAMES,
    TYPE_WORDS,
    UNIT_WORDS,
    WORDLIKE,
    bytes_context,
)


class LooseParser(QualifierMixin, BracketsMixin, _Parser):
    PRODUCT_OPS = ("*", "/", "mod", "@", "⊗", "⊙", "union", "intersect")

    def __init__(self, text: str, tokens: list[Token], limits: Limits) -> None:
        super().__init__(text, tokens, False, limits)
        self.norm_depth = 0
        self.last_qualifier: tuple | None = None  # the qualifier that ended the last statement

    # --- whole lines ---------------------------------------------------------------------------

    def _implicit_product_follows(self) -> bool:
        token = self.tok
        if token.kind == "name" and (token.value in QUALIFIERS or token.value in ("else", "then", "otherwise")
                                     or (token.value in UNIT_WORDS and self._ends_statement(1))):
            return False
        if token.kind == "(" and self._annotation_group():
            return False
        previous = self.tokens[self.pos - 1]
        if previous.kind == "num" and token.kind == "name" and token.start > previous.end \
                and WORDLIKE.fullmatch(token.value):
            return False  # `0 bias tensors`: a count of things, not 0·bias
        if previous.kind in ("num", ")", "]", "}", "sup") and token.kind == "reduce":
            return True  # (1/n) Σ …
        return super()._implicit_product_follows()

    def sum(self) -> Node:
        """A sum, or a piecewise `a if P else b` / `a if P, else b` / `a if P, b otherwise`."""
        node = super().sum()
        if self.tok.kind == "name" and self.tok.value == "if" and self._else_follows():
            self.advance()
            cond = self.disjunct()
            if self.tok.kind == ",":
                self.advance()
            if self.tok.kind == "name" and self.tok.value == "else":
                self.advance()
                other = self.sum()
            else:
                other = self.sum()
                self.expect("name", "`otherwise`")
            return Cond(node.start, other.end, node, cond, other)
        return node

    def _else_follows(self) -> bool:
        depth = 0
        for token in self.tokens[self.pos:]:
            if token.kind in ("(", "[", "{"):
                depth += 1
            elif token.kind in (")", "]", "}"):
                depth -= 1
                if depth < 0:
                    return False
            elif depth == 0 and token.kind == "name" and token.value in ("else", "otherwise"):
                return True
            elif depth == 0 and token.kind == ";":
                return False
        return False

    def comparison(self) -> Node:
        operands = [self.sum()]
        ops: list[str] = []
        while self.tok.kind == "op" and self.tok.value in LOOSE_RELOPS:
            token = self.advance()
            op = token.value
            first = operands[0]
            if op in ("in", "notin") and isinstance(first, Name) and first.name in TYPE_WORDS:
                raise FormulaError(f"`{first.raw} ∈ …` names a type, not a quantity", first.start,
                                   reason="a type word before `in`")
            if op == "in" and self.text[token.start:token.end] == "in" and isinstance(first, Name) and (
                    " " in first.name or ENGLISH.fullmatch(first.raw)):
                raise FormulaError(f"`{first.raw} in …` reads as English, not as membership", first.start,
                                   reason="English word before `in`")
            ops.append(op)
            operands.append(self.set_expr() if op in ("in", "notin", "subset") else self.sum())
            last = operands[-1]
            if op in ("in", "notin") and isinstance(last, BinOp) and last.op == "/" and isinstance(
                    last.left, Name) and isinstance(last.right, Name):
                raise FormulaError(f"`∈ {last.left.raw}/{last.right.raw}` (alternatives?) is not understood",
                                   last.start, reason="alternatives written with /")
        if self.at_op("not") and self.tokens[self.pos + 1].kind == "op" and self.tokens[self.pos + 1].value == "in":
            self.advance()
            self.advance()
            ops.append("notin")
            operands.append(self.set_expr())
        if not ops:
            return operands[0]
        return Compare(operands[0].start, operands[-1].end, tuple(ops), tuple(operands))

    def power(self) -> Node:
        base = self.postfix()
        if self.at_op("^"):
            self.advance()
            space = isinstance(base, Name) and base.name in SPACE_NAMES  # ℝ^T: T dimensions, not a transpose
            if self.tok.kind == "name" and self.tok.value == "T" and self._ends_operand(1) and not space:
                token = self.advance()
                return Call(base.start, token.end, "transpose", (base,))
            if self.tok.kind == "{" and self.tokens[self.pos + 1].kind == "(":
                index = self._braced()  # D^{(k+1)}: the (k+1)-th iterate, not a power
                return Index(base.start, index.end, base, index)
            if self.tok.kind == "{":
                self._times_in_shape()
                self.advance()
                self.enter()
                exponent = self.statement()
                self.depth -= 1
                close = self.expect("}", "`}` to close the exponent")
                exponent = _span(exponent, exponent.start, close.end)
            else:
                self.enter()
                exponent = self.unary()
                self.depth -= 1
            if isinstance(base, Name) and self.tok.kind == "(" and self.tok.start == exponent.end + (
                    1 if self.text[exponent.end:exponent.end + 1] == "}" else 0) and _negative(exponent):
                raise FormulaError(f"`{base.raw}^{{-1}}(…)` (an inverse function?) is not understood",
                                   base.start, reason="inverse function")
            return BinOp(base.start, exponent.end, "^", base, exponent)
        if self.tok.kind == "sup" and self.tok.value == "T":
            token = self.advance()
            return Call(base.start, token.end, "transpose", (base,))
        return base

    def _times_in_shape(self) -> None:
        """`ℝ^{n x d}`: inside the exponent's braces a lone `x` between two operands is ×."""
        depth = 0
        for k in range(self.pos, len(self.tokens)):
            token = self.tokens[k]
            if token.kind == "{":
                depth += 1
            elif token.kind == "}":
                depth -= 1
                if depth == 0:
                    return
            elif token.kind == "name" and token.value == "x" and self.tokens[k - 1].kind in ("name", "num", ")") \
                    and self.tokens[k + 1].kind in ("name", "num", "("):
                self.tokens[k] = Token("op", "*", token.start, token.end)

    def _ends_operand(self, offset: int) -> bool:
        nxt = self.tokens[self.pos + offset]
        if nxt.kind == "name" and (nxt.value in QUALIFIERS or nxt.value in UNIT_WORDS):
            return True
        return nxt.kind not in ("name", "num", "(", "sqrt", "reduce")

    def postfix(self) -> Node:
        node = self.atom()
        while True:
            token = self.tok
            previous = self.tokens[self.pos - 1]
            if token.kind == "sup":
                if token.value == "T":
                    return node
                node = super()._superscript(node) if token.value.lstrip("-").isdigit() else \
                    self._name_superscript(node)
            elif token.kind == "name" and token.start == previous.end and token.value.startswith("_") \
                    and not isinstance(node, Num):
                self.advance()
                if token.value == "_" and self.tok.kind == "{":
                    index = self._braced()
                else:
                    index = Name(token.start + 1, token.end, token.value[1:], self.text[token.start + 1:token.end])
                node = Index(node.start, index.end, node, index)
            elif token.kind == "[" and token.start == previous.end and not isinstance(node, Num):
                self.advance()
                self.enter()
                index = self.line_in_brackets()
                self.depth -= 1
                close = self.expect("]", "`]` to close the index")
                node = Index(node.start, close.end, node, index)
            elif isinstance(node, Name) and node.name.endswith("_") and token.kind == "{":
                index = self._braced()
                base = Name(node.start, node.end - 1, node.name.rstrip("_"), node.raw.rstrip("_"))
                node = Index(node.start, index.end, base, index)
            else:
                return node

    def _name_superscript(self, node: Node) -> Node:
        token = self.advance()
        exponent = Name(token.start, token.end, token.value, self.text[token.start:token.end])
        return BinOp(node.start, token.end, "^", node, exponent)

    def atom(self) -> Node:
        token = self.tok
        if token.kind == "num":
            node = super().atom()
            if token.unit in BYTE_UNITS and not bytes_context(self.text):
                raise FormulaError(f"`{token.unit}` after a number is a byte unit only where the formula "
                                   "speaks of bytes or memory", token.start, reason="unit outside its context")
            if token.unit in SUFFIXES and any(t.kind == "name" and t.value == token.unit for t in self.tokens):
                raise FormulaError(f"`{token.value}{token.unit}`: `{token.unit}` is both a suffix and a "
                                   "symbol here", token.start, reason="ambiguous number suffix")
            if self.tok.kind == "(" and self.tok.start == token.end and self._annotation_after_number():
                close = self._skip_group()
                return Note(node.start, close.end, node, "comment", self.text[token.end:close.end])
            return node
        if token.kind == "reduce":
            return self.reduction(token.value, token)
        if token.kind == "name":
            word, _, var = token.value.partition("_")
            if word in REDUCE_WORDS and token.value == word + "_" and self.tokens[self.pos + 1].kind == "{":
                return self.reduction(word, token)
            if word in REDUCE_WORDS and var and len(var) <= 3 and self._operand_follows(1) \
                    and self.tokens[self.pos + 1].start > token.end:
                return self.reduction(word, token)
            if token.value == "Sigma" and self._operand_follows(1):
                return self.reduction("sum", token)
            if "." in token.value and self.tokens[self.pos + 1].kind == "(" \
                    and self.tokens[self.pos + 2].kind == ")":
                base, _, method = token.value.rpartition(".")
                if method in ("exp", "ln", "log", "sqrt", "abs", "sin", "cos", "tanh", "floor", "ceil"):
                    self.advance()
                    self.advance()
                    close = self.advance()
                    inner = Name(token.start, token.start + len(base), base, base)
                    return Call(token.start, close.end, method, (inner,))
            if self.tokens[self.pos + 1].kind == "(" and self.tokens[self.pos + 1].start > token.end:
                # `P (forward pass)`, `d_model (not 2·d)`: a name then a bracket, never a call
                self.advance()
                return Name(token.start, token.end, token.value, self.text[token.start:token.end])
            run = self._word_run()
            if run:
                return run
            if token.value in ("else", "for", "where", "when", "if", "with", "then"):
                raise FormulaError(f"`{token.value}` here is not understood", token.start,
                                   reason=f"`{token.value}` in an expression")
        if token.kind == "‖" and self.norm_depth == 0 or token.kind == "‖" and self._opens_norm():
            return self.norm()
        if token.kind == "[":
            return self.vector("[", "]")
        if token.kind == "(":
            save = self.pos
            self.advance()
            self.enter()
            first = self.line_or_statement()
            self.depth -= 1
            if self.tok.kind == ",":
                self.pos = save
                return self.vector("(", ")")
            close = self.expect(")", "`)`")
            return _span(first, token.start, close.end) if isinstance(first, Vector | SetOf) else first
        if token.kind == "{":
            return self.set_literal()
        if token.kind == "…":
            self.advance()
            return Dots(token.start, token.end)
        return super().atom()

    def _word_run(self) -> Node | None:
        """`Q output dim = n_h * d_k`: plain words naming one quantity, between relations."""
        k = self.pos
        while self.tokens[k].kind == "name" and (PLAIN.fullmatch(self.tokens[k].value) or (
                self.tokens[k].unit == "word" and "-" in self.tokens[k].value)) \
                and self.tokens[k].value.lower() not in NOT_IN_NAMES:
            k += 1
        if k - self.pos < 2:
            return None
        before = self.tokens[self.pos - 1] if self.pos else None
        after = self.tokens[k]
        opens = before is None or before.kind in ("(", ",", ":", ";") or (
            before.kind == "op" and before.value in LOOSE_RELOPS + ("implies", "iff", "and", "or"))
        closes = after.kind in ("end", ",", ";", ")", ":") or (
            after.kind == "op" and after.value in LOOSE_RELOPS + ("implies", "iff", "and", "or"))
        if not (opens and closes):
            return None
        first, last = self.tokens[self.pos], self.tokens[k - 1]
        self.pos = k
        raw = self.text[first.start:last.end]
        return Name(first.start, last.end, " ".join(raw.split()), raw)

    def line_or_statement(self) -> Node:
        if self.at_op("forall", "exists"):  # `(∀ i: E)` inside brackets
            return self.leading_quantifier()
        node = self.statement()
        return self.trailers(node) if self.tok.kind == "name" and self.tok.value in ("for",) else node

    def _annotation_after_number(self) -> bool:
        """`2(norm)`, `12(scales)`: a number directly followed by a parenthesised word."""
        k = self.pos
        inner = self.tokens[k + 1:k + 4]
        return len(inner) >= 2 and inner[0].kind == "name" and inner[1].kind == ")" \
            and not inner[0].value.startswith("_")

    def _operand_follows(self, offset: int) -> bool:
        nxt = self.tokens[self.pos + offset]
        return nxt.kind in ("name", "num", "(", "[", "reduce", "sqrt", "‖", "|") or (
            nxt.kind == "op" and nxt.value == "-")

    def call(self, name: Token) -> Node:
        node = super().call(name)
        if isinstance(node, Call) and node.func in ("max", "min", "sum", "prod", "mean", "argmax", "argmin") \
                and len(node.args) == 1:
            return Reduce(node.start, node.end, node.func, "", None, None, node.args[0])
        return node


def _negative(node: Node) -> bool:
    from pv.checks.formulas.nodes import Neg

    return isinstance(node, Neg)


def parse_loose(text: str, limits: Limits = DEFAULT_LIMITS) -> tuple[Node, list[tuple[int, int]]]:
    """Parse a kernel contract's formula text; (tree, ambiguous divisions). Raises FormulaError."""
    if not isinstance(text, str):
        raise FormulaError("a formula must be a string", 0, reason="not a string")
    if not text.strip():
        raise FormulaError("the formula is empty", 0, reason="empty")
    tokens = tokenize(text, limits, loose=True)
    parser = LooseParser(text, tokens, limits)
    node = parser.line()
    parser.finish()
    _const(node, limits)
    return node, parser.ambiguous


__all__ = ["UNIT_WORDS", "LooseParser", "bytes_context", "parse_loose"]
