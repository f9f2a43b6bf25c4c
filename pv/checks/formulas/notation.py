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

import re

from pv.checks.formulas.grammar import _RELOPS, _const, _Parser
from pv.checks.formulas.lexer import (
    BYTE_UNITS,
    DEFAULT_LIMITS,
    SUFFIXES,
    FormulaError,
    Limits,
    Token,
    describe,
    tokenize,
)
from pv.checks.formulas.nodes import (
    BinOp,
    Call,
    Compare,
    Cond,
    Dots,
    Index,
    Interval,
    Logic,
    Many,
    Name,
    Node,
    Note,
    Num,
    Quant,
    Reduce,
    SetOf,
    Vector,
    walk,
)

LOOSE_RELOPS = _RELOPS + ("≈", "in", "notin", "subset")
_NOT_IN_NAMES = frozenset(("during", "between", "while", "since", "across", "under", "over",
                           "for", "when", "if", "where", "within", "with", "is", "are", "be", "of", "to", "in",
                           "on", "at", "by", "as", "and", "or", "not", "no", "all", "each", "every", "any",
                           "always", "never", "then", "else", "iff", "mod", "yields", "gives", "than",
                           "the", "a", "an", "from", "per", "via", "after", "before", "until", "must"))
UNIT_WORDS = frozenset({
    "bytes", "byte", "bits", "bit", "tokens", "token", "params", "parameters", "elements", "FLOPs",
    "flops", "FLOP", "ms", "s", "sec", "seconds", "second", "us", "ns", "minutes", "min", "hours", "h",
    "ULP", "ULPs", "ulp", "ulps", "steps", "epochs", "layers", "heads", "experts", "tensors", "dims",
    "entries", "nats", "bpe", "x", "GB", "MB", "KB", "GiB", "MiB", "KiB", "TB", "percent",
    "exactly",  # `3584 / 28 = 128 exactly`: emphasis, not a factor
})
_REDUCE_WORDS = {"sum": "sum", "prod": "prod", "max": "max", "min": "min", "argmax": "argmax",
                 "argmin": "argmin", "mean": "mean"}
_QUALIFIERS = {"for", "when", "if", "whenever", "where", "within", "given", "as", "forall", "with",
               "unless", "since", "because", "via", "until", "per", "after", "before", "on", "at",
               "iff"}
_ALL_WORDS = {"all", "any", "each", "every"}  # not "some": that is ∃
BYTES_WORDS = ("byte", "memory", "vram", "ram", "size", "disk", "storage", "footprint", "bandwidth",
               "cache", "gguf", "file")


def bytes_context(text: str) -> bool:
    """Whether a formula speaks of bytes, so `16GB` is a byte count and not 16·GB."""
    lowered = text.lower()
    return any(word in lowered for word in BYTES_WORDS)


class LooseParser(_Parser):
    PRODUCT_OPS = ("*", "/", "mod", "@", "⊗", "⊙", "union", "intersect")

    def __init__(self, text: str, tokens: list[Token], limits: Limits) -> None:
        super().__init__(text, tokens, False, limits)
        self.norm_depth = 0
        self.last_qualifier: tuple | None = None  # the qualifier that ended the last statement

    # --- whole lines ---------------------------------------------------------------------------
    def line(self) -> Node:
        """Statements separated by top-level `,` / `;`, each with its label, quantifier and qualifiers.

        A condition or quantifier after the last statement of a list applies to all of them:
        `accuracy = 1, F1 = 1 when ŷ = y` is (ŷ = y) ⟹ each.
        """
        self.last_qualifier = None
        items = [self.qualified()]
        while self.tok.kind in (",", ";"):
            self.advance()
            if self.tok.kind == "end":
                break
            self.last_qualifier = None
            items.append(self.qualified())
        if len(items) > 1 and self.last_qualifier is not None:
            items = [self._qualify(i, self.last_qualifier) for i in items[:-1]] + items[-1:]
        items = _distribute_membership(items)
        if len(items) > 1 and any(isinstance(_core(i), Name | Num) for i in items):
            bare = next(i for i in items if isinstance(_core(i), Name | Num))
            raise FormulaError("a list with a bare name or number in it is not a statement", bare.start,
                               reason="list of names")
        for item in items:
            _check_logic(item)
        if len(items) == 1:
            return items[0]
        return Many(items[0].start, items[-1].end, tuple(items))

    def qualified(self) -> Node:
        start = self.tok.start
        if self.tok.kind == "name" and self.tok.value.lower() in ("for", "when", "if", "whenever"):
            return self.leading_condition()
        label = self._label()
        if self.at_op("forall", "exists"):
            node = self.leading_quantifier()
        else:
            node = self.statement()
            node = self.trailers(node)
        if label:
            node = Note(start, node.end, node, "label", label)
        return node

    @staticmethod
    def _qualify(node: Node, qualifier: tuple) -> Node:
        kind, data = qualifier
        if kind == "implies":
            return Logic(node.start, node.end, "implies", (data, node))
        names, domain = data
        return Quant(node.start, node.end, "forall", names, domain, node)

    def _label(self) -> str:
        """`Per-layer FFN: E` / `Qwen2.5-7B config: E`: words then `:` at the start; skipped."""
        depth = 0
        for k in range(self.pos, len(self.tokens)):
            token = self.tokens[k]
            if token.kind in ("(", "["):
                depth += 1
            elif token.kind in (")", "]"):
                depth -= 1
            elif token.kind == ":" and depth == 0:
                words = self.tokens[self.pos:k]
                if words and words[0].kind == "name" and all(
                        t.kind in ("name", "num", "(", ")") or (t.kind == "op" and t.value in ("-", "/", "+"))
                        for t in words) and self.tokens[k + 1].kind != "end" and (
                        len(words) > 1 or words[0].value[:1].isupper() or len(words[0].value) > 3):
                    self.pos = k + 1
                    return self.text[words[0].start:token.start].strip()
                return ""
            elif token.kind == "op" and token.value in ("-", "/", "+"):
                continue
            elif token.kind in ("op", ",", ";", "end", "reduce", "‖", "|", "{"):
                return ""
        return ""

    def leading_condition(self) -> Node:
        """`For step >= warmup: E` / `if P: E` means P ⟹ E."""
        word = self.advance()
        condition = self.statement()
        self.expect(":", f"`:` after the condition of `{word.value}`")
        body = self.trailers(self.statement())
        return Logic(word.start, body.end, "implies", (condition, body))

    def leading_quantifier(self) -> Node:
        """`∀ x, y ∈ S: E` / `∃ x: E` / `forall t: E`."""
        token = self.advance()
        kind = "forall" if token.value == "forall" else "exists"
        names, domain = self._bound_names()
        if self.tok.kind == ":" or (self.tok.kind == "," and kind == "forall"):
            self.advance()
        elif self.tok.kind != "(":
            raise FormulaError(f"expected `:` after the quantified variables, found {describe(self.tok)}",
                               self.tok.start, reason="quantifier")
        body = self.statement()
        body = self.trailers(body)
        return Quant(token.start, body.end, kind, tuple(names), domain, body)

    def _bound_names(self) -> tuple[list[str], Node | None]:
        if self.tok.kind == "(":  # ∀ (qk: bool, bias: bool): typed binders are not read
            raise FormulaError("typed quantifier variables are not understood", self.tok.start,
                               reason="typed quantifier")
        names = [self.expect("name", "a variable after the quantifier").value]
        if self.tok.kind == "name":  # `forall p valid prob vec: E`: the words say what p ranges over
            described = self.pos
            while self.tok.kind == "name":
                self.advance()
            if self.tok.kind == ":":
                return names, None
            self.pos = described
        while self.tok.kind == "," and self.tokens[self.pos + 1].kind == "name" and self.tokens[
                self.pos + 2].kind in (",", ":", "op", "end", ";", "("):
            self.advance()
            names.append(self.advance().value)
        domain = None
        if self.at_op("in"):
            self.advance()
            domain = self.set_expr()
        return names, domain

    def trailers(self, node: Node) -> Node:
        """Qualifiers and comments after a complete statement."""
        while True:
            token = self.tok
            if token.kind == "(" and self._annotation_group():
                close = self._skip_group()
                node = Note(node.start, close.end, node, "comment", self.text[token.start:close.end])
                continue
            if token.kind == "name" and token.value in UNIT_WORDS and self._ends_statement(1):
                self.advance()
                node = Note(node.start, token.end, node, "unit", token.value)
                continue
            if self.at_op("forall"):
                self.advance()
                names, domain = self._bound_names()
                node = Quant(node.start, self.tokens[self.pos - 1].end, "forall", tuple(names), domain, node)
                continue
            if token.kind == "name" and token.value in _QUALIFIERS:
                node = self.qualifier(node)
                continue
            return node

    def qualifier(self, node: Node) -> Node:
        word = self.advance()
        rest_start = self.tok.start
        if word.value == "for" and self.tok.kind == "name" and self.tok.value in _ALL_WORDS:
            self.advance()
            return self._forall_or_context(node, word, "forall")
        if word.value == "for" and self.tok.kind == "name" and self.tok.value == "large":
            self.advance()
            names = [self.expect("name", "a variable after `for large`").value]
            return Quant(node.start, self.tokens[self.pos - 1].end, "large", tuple(names), None, node)
        if word.value == "for":
            return self._forall_or_context(node, word, "forall", need_free=True)
        if word.value in ("when", "if", "whenever", "given"):
            implied = self._condition(node)
            if implied is not None:
                return implied
        kind = {"where": "where", "within": "within"}.get(word.value, "context")
        end = self._skip_words()
        return Note(node.start, end, node, kind, self.text[word.start:end].strip() or self.text[rest_start:end])

    def _condition(self, node: Node) -> Node | None:
        """`E when P` / `E for t >= 1 and beta in (0, 1)`: P ⟹ E, when P reads as a whole statement."""
        save = self.pos
        try:
            condition = self.statement()
            if self.tok.kind == "name" and self.tok.value == "for":
                condition = self.trailers(condition)  # `when x_i = mu for all i`
            if isinstance(_core(condition), Name | Num):
                raise FormulaError("a bare word is not a condition", condition.start)
            if self.tok.kind in ("end", ",", ";") or self._annotation_group():
                self.last_qualifier = ("implies", condition)
                return Logic(node.start, condition.end, "implies", (condition, node))
        except FormulaError:
            pass
        self.pos = save
        return None

    def _forall_or_context(self, node: Node, word: Token, kind: str, need_free: bool = False) -> Node:
        """`for all i`, `for i ∈ S`, `for any scalar c`: a quantifier when it reads as one, else a context.

        After a bare `for` (no all/any/each/every) the variables must occur in the statement:
        `… for minimization` is a context, not a quantifier over `minimization`.
        """
        save = self.pos
        try:
            names, domain = self._bound_names()
            used = {n.name for n in walk(node) if isinstance(n, Name)}
            if need_free and not all(name in used for name in names):
                raise FormulaError("not a quantifier", self.tok.start)
            if self.tok.kind in ("end", ";") or (self.tok.kind == "," and self._only_names_follow()) \
                    or self._annotation_group():
                self.last_qualifier = ("forall", (tuple(names), domain))
                return Quant(node.start, self.tokens[self.pos - 1].end, kind, tuple(names), domain, node)
        except FormulaError:
            pass
        self.pos = save
        if need_free:
            implied = self._condition(node)  # `E for t >= 1`: a condition on the statement's own names
            if implied is not None and {n.name for n in walk(implied.operands[0]) if isinstance(n, Name)} & {
                    n.name for n in walk(node) if isinstance(n, Name)}:
                return implied
            self.pos = save
        end = self._skip_words()
        return Note(node.start, end, node, "context", self.text[word.start:end].strip())

    def _statement_follows(self) -> bool:
        """After the `,` at the current token: a comparison before the next top-level `,` or the end."""
        depth = 0
        for token in self.tokens[self.pos + 1:]:
            if token.kind in ("(", "[", "{"):
                depth += 1
            elif token.kind in (")", "]", "}"):
                depth -= 1
            elif depth == 0 and token.kind in (",", ";", "end"):
                return False
            elif depth == 0 and token.kind == "op" and token.value in LOOSE_RELOPS:
                return True
        return False

    def _only_names_follow(self) -> bool:
        k = self.pos
        while self.tokens[k].kind in (",", "name"):
            k += 1
        return self.tokens[k].kind == "end"

    def _skip_words(self) -> int:
        """Skip a qualifier's words up to the end of the statement; its end offset.

        The words end at a top-level `;`, or at a top-level `,` after which a statement follows
        (`p within bounds, beta >= 0`), never inside brackets.
        """
        depth = 0
        end = self.tok.start
        while self.tok.kind != "end":
            if depth == 0 and (self.tok.kind == ";" or self.tok.kind == "," and self._statement_follows()):
                break
            if self.tok.kind in ("(", "[", "{"):
                depth += 1
            elif self.tok.kind in (")", "]", "}"):
                depth -= 1
            end = self.advance().end
        return end

    def _ends_statement(self, offset: int) -> bool:
        nxt = self.tokens[self.pos + offset]
        return nxt.kind in ("end", ",", ";", ")") or (nxt.kind == "op" and nxt.value in LOOSE_RELOPS) or (
            nxt.kind == "name" and nxt.value in _QUALIFIERS) or (nxt.kind == "(" and self._annotation_group(offset))

    def _annotation_group(self, offset: int = 0) -> bool:
        """`(words)`: a parenthesised group that is prose, not maths (`(broadcast)`, `(Real.sin/cos range)`)."""
        k = self.pos + offset
        if self.tokens[k].kind != "(":
            return False
        depth, words, names, maths = 0, 0, 0, 0
        j = k
        while True:
            token = self.tokens[j]
            if token.kind == "end":
                return False
            if token.kind == "(":
                depth += 1
            elif token.kind == ")":
                depth -= 1
                if depth == 0:
                    break
            elif token.kind == "name":
                names += 1
                if _WORDLIKE.fullmatch(token.value) or token.unit == "word":
                    words += 1
            elif token.kind == "op" and token.value in LOOSE_RELOPS + ("*", "^", "+"):
                maths += 1
            j += 1
        after = self.tokens[j + 1]
        closes_statement = after.kind in ("end", ",", ";", "(") or (
            after.kind == "name" and after.value in _QUALIFIERS) or (after.kind == "op" and after.value in LOOSE_RELOPS)
        if not closes_statement:
            return False
        if words >= 2 or (words == 1 and names == 1 and maths == 0):
            return True
        return False

    def _skip_group(self) -> Token:
        depth = 0
        while True:
            token = self.advance()
            if token.kind == "(":
                depth += 1
            elif token.kind == ")":
                depth -= 1
                if depth == 0:
                    return token

    # --- expressions ---------------------------------------------------------------------------
    def _implicit_product_follows(self) -> bool:
        token = self.tok
        if token.kind == "name" and (token.value in _QUALIFIERS or token.value in ("else", "then", "otherwise")
                                     or (token.value in UNIT_WORDS and self._ends_statement(1))):
            return False
        if token.kind == "(" and self._annotation_group():
            return False
        previous = self.tokens[self.pos - 1]
        if previous.kind == "num" and token.kind == "name" and token.start > previous.end \
                and _WORDLIKE.fullmatch(token.value):
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
            if op == "in" and self.text[token.start:token.end] == "in" and isinstance(first, Name) and (
                    " " in first.name or _ENGLISH.fullmatch(first.raw)):
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

    def set_expr(self) -> Node:
        """The right of `∈`: an interval `[a, b)`, a set `{…}`, a space `ℝ^n`, or any expression."""
        token = self.tok
        if token.kind in ("[", "("):
            save = self.pos
            self.advance()
            try:
                low = self.sum()
                if self.tok.kind == ",":
                    self.advance()
                    high = self.sum()
                    if self.tok.kind in ("]", ")") and not (self.tokens[self.pos + 1].kind == "op"
                                                             and self.tokens[self.pos + 1].value == "^"):
                        close = self.advance()
                        return self._set_power(Interval(token.start, close.end, low, high, token.kind == "(",
                                                        close.kind == ")"))
            except FormulaError:
                pass
            self.pos = save
        return self.sum()

    def _set_power(self, node: Node) -> Node:
        """`{0,1}ⁿ`, `(0,1)^n`: a set to a power (its n-fold product)."""
        if self.tok.kind == "sup":
            return self._name_superscript(node) if not self.tok.value.isdigit() else self._superscript(node)
        if self.at_op("^"):
            self.advance()
            exponent = self.postfix() if self.tok.kind != "{" else self._braced()
            return BinOp(node.start, exponent.end, "^", node, exponent)
        return node

    def power(self) -> Node:
        base = self.postfix()
        if self.at_op("^"):
            self.advance()
            if self.tok.kind == "name" and self.tok.value == "T" and self._ends_operand(1):
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
        if nxt.kind == "name" and (nxt.value in _QUALIFIERS or nxt.value in UNIT_WORDS):
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

    def _slice_or_statement(self) -> Node:
        token = self.tok
        if token.kind == ":" and self.tokens[self.pos + 1].kind in (",", "]"):
            self.advance()
            return Name(token.start, token.end, ":", ":")  # `E[i, :]`: a whole row
        return self.statement()

    def line_in_brackets(self) -> Node:
        first = self._slice_or_statement()
        if self.tok.kind != ",":
            return first
        items = [first]
        while self.tok.kind == ",":
            self.advance()
            items.append(self._slice_or_statement())
        return Vector(first.start, items[-1].end, tuple(items), "[")

    def _braced(self) -> Node:
        self.advance()  # {
        self.enter()
        inner = self.statement()
        self.depth -= 1
        close = self.expect("}", "`}` to close the subscript")
        return _span(inner, inner.start, close.end)

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
            if word in _REDUCE_WORDS and token.value == word + "_" and self.tokens[self.pos + 1].kind == "{":
                return self.reduction(word, token)
            if word in _REDUCE_WORDS and var and len(var) <= 3 and self._operand_follows(1) \
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
        while self.tokens[k].kind == "name" and (_PLAIN.fullmatch(self.tokens[k].value) or (
                self.tokens[k].unit == "word" and "-" in self.tokens[k].value)) \
                and self.tokens[k].value.lower() not in _NOT_IN_NAMES:
            k += 1
        if k - self.pos < 2:
            return None
        before = self.tokens[self.pos - 1] if self.pos else None
        after = self.tokens[k]
        opens = before is None or before.kind in ("(", ",", ":", ";") or (
            before.kind == "op" and before.value in LOOSE_RELOPS + ("implies", "iff", "and", "or"))
        closes = after.kind in ("end", ",", ";", ")") or (
            after.kind == "op" and after.value in LOOSE_RELOPS + ("implies", "iff", "and", "or"))
        if not (opens and closes):
            return None
        first, last = self.tokens[self.pos], self.tokens[k - 1]
        self.pos = k
        raw = self.text[first.start:last.end]
        return Name(first.start, last.end, " ".join(raw.split()), raw)

    def line_or_statement(self) -> Node:
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

    def _opens_norm(self) -> bool:
        previous = self.tokens[self.pos - 1] if self.pos else None
        return previous is None or previous.kind in ("op", "(", "[", ",", "{", "reduce", ":")

    def norm(self) -> Node:
        token = self.advance()
        self.enter()
        self.norm_depth += 1
        inner = self.sum()
        self.norm_depth -= 1
        self.depth -= 1
        close = self.expect("‖", "`‖` to close the norm")
        args: tuple[Node, ...] = (inner,)
        end = close.end
        after = self.tok
        if after.kind == "name" and after.start == close.end and after.value.startswith("_") and after.value != "_":
            self.advance()
            sub = after.value[1:]
            args = (inner, Num(after.start + 1, after.end, _int_or_none(sub), sub) if sub.isdigit()
                    else Name(after.start + 1, after.end, sub, sub))
            end = after.end
        elif after.kind == "name" and after.value == "_" and self.tokens[self.pos + 1].kind == "{":
            self.advance()
            sub_node = self._braced()
            args = (inner, sub_node)
            end = sub_node.end
        return Call(token.start, end, "norm", args)

    def vector(self, opener: str, closer: str) -> Node:
        token = self.advance()
        self.enter()
        items: list[Node] = []
        if self.tok.kind != closer:
            items.append(self.statement())
            while self.tok.kind == ",":
                self.advance()
                if self.tok.kind == closer:
                    break
                items.append(self.statement())
        self.depth -= 1
        close = self.expect(closer, f"`,` or `{closer}`")
        return Vector(token.start, close.end, tuple(items), opener)

    def set_literal(self) -> Node:
        token = self.advance()
        self.enter()
        items: list[Node] = []
        if self.tok.kind != "}":
            items.append(self.sum())
            while self.tok.kind == ",":
                self.advance()
                items.append(self.sum())
        if self.tok.kind == "|" or (self.tok.kind == ":" and items):
            raise FormulaError("set-builder notation is not understood", self.tok.start, reason="set-builder")
        self.depth -= 1
        close = self.expect("}", "`}` to close the set")
        return self._set_power(SetOf(token.start, close.end, tuple(items)))

    def reduction(self, op: str, token: Token) -> Node:
        """`Σ_{i=1}^{n} body`, `Σ_j body`, `Σ body`, `sum_{k=0}^{K-1} body`, `max_b body`."""
        self.advance()
        var, low, high = "", None, None
        name = token.value
        if token.kind == "name" and "_" in name and not name.endswith("_"):
            var = name.partition("_")[2]
        elif token.kind == "name" and name.endswith("_") or (self.tok.kind == "name" and self.tok.value == "_"):
            if self.tok.kind == "name" and self.tok.value == "_":
                self.advance()
            sub = self._braced()
            var, low = _binder(sub)
        elif self.tok.kind == "name" and self.tok.value.startswith("_") and self.tok.start == token.end:
            var = self.advance().value[1:]
        if self.at_op("^"):
            self.advance()
            if self.tok.kind == "{":
                high = self._braced()
            else:
                high = self.postfix()
        elif self.tok.kind == "sup":
            sup = self.advance()
            high = Name(sup.start, sup.end, sup.value, sup.value) if not sup.value.isdigit() else \
                Num(sup.start, sup.end, _int_or_none(sup.value), sup.value)
        self.enter()
        body = self.unary() if self.tok.kind != "[" else self.vector_body()
        if self.at_op("*", "/", "@", "⊙", "⊗") or self._implicit_product_follows():
            # Σ_j a_j · b_j: the body runs to the end of the product
            rest = body
            while self.at_op("*", "/", "@", "⊙", "⊗") or self._implicit_product_follows():
                factor_op = self.advance().value if self.tok.kind == "op" else "*"
                right = self.unary()
                rest = BinOp(rest.start, right.end, factor_op, rest, right)
            body = rest
        self.depth -= 1
        return Reduce(token.start, body.end, op, var, low, high, body)

    def vector_body(self) -> Node:
        token = self.advance()
        self.enter()
        inner = self.sum()
        self.depth -= 1
        close = self.expect("]", "`]`")
        return _span(inner, token.start, close.end)

    def call(self, name: Token) -> Node:
        node = super().call(name)
        if isinstance(node, Call) and node.func in ("max", "min", "sum", "prod", "mean", "argmax", "argmin") \
                and len(node.args) == 1:
            return Reduce(node.start, node.end, node.func, "", None, None, node.args[0])
        return node


_ENGLISH = re.compile(r"[A-Z][a-z]{3,}")
_WORDLIKE = re.compile(r"[A-Za-z][A-Za-z']{2,}")
_PLAIN = re.compile(r"[A-Za-z]+")


def _negative(node: Node) -> bool:
    from pv.checks.formulas.nodes import Neg

    return isinstance(node, Neg)


def _core(node: Node) -> Node:
    while isinstance(node, Note):
        node = node.body
    return node


def _check_logic(node: Node) -> None:
    """Connectives join statements: `tokens -> [seq_len, 4096]` is a mapping, not an implication."""
    for part in walk(node):
        if isinstance(part, Logic):
            for operand in part.operands:
                core = _core(operand)
                if isinstance(core, Num | BinOp | Vector | SetOf | Dots | Interval | Reduce):
                    word = {"implies": "→", "iff": "⟺", "and": "∧", "or": "∨"}[part.op]
                    raise FormulaError(f"`{word}` joins values here, not statements (a mapping?)", operand.start,
                                       reason="connective between values")


def _span(node: Node, start: int, end: int) -> Node:
    """The node itself (brackets only group); kept as one function so spans can be widened later."""
    return node


def _int_or_none(text: str):
    from fractions import Fraction

    return Fraction(int(text))


def _binder(sub: Node) -> tuple[str, Node | None]:
    """`i=1` -> ("i", 1); `i` -> ("i", None); `i ∈ S` -> ("i", None)."""
    if isinstance(sub, Compare) and isinstance(sub.operands[0], Name):
        if sub.ops == ("=",):
            return sub.operands[0].name, sub.operands[1]
        return sub.operands[0].name, None
    if isinstance(sub, Name):
        return sub.name, None
    raise FormulaError("the reduction's subscript is not understood", sub.start, reason="reduction bounds")


def _distribute_membership(items: list[Node]) -> list[Node]:
    """`x, y ∈ ℝ` was split at its comma: give each bare name the membership that follows it."""
    out: list[Node] = []
    pending: list[Name] = []
    for item in items:
        if isinstance(item, Name):
            pending.append(item)
            continue
        if pending and isinstance(item, Compare) and len(item.ops) == 1 and item.ops[0] in ("in", "notin"):
            for name in pending:
                out.append(Compare(name.start, item.end, item.ops, (name, item.operands[1])))
            pending = []
        out.extend(pending)
        pending = []
        out.append(item)
    out.extend(pending)
    return out


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
