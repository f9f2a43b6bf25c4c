"""The loose notation's bracketed forms: intervals, sets, shape literals, slices, norms, reductions.

`[a, b)`, `{0, 1}ⁿ`, `[n_kv * d_k, hidden]`, `(B, D)`, `W[i, :]`, `‖x‖_2`, `Σ_{i=1}^{n} x_i`,
`max_b x`. A mixin of `LooseParser`; no sympy.
"""

from __future__ import annotations

from fractions import Fraction

from pv.checks.formulas.lexer import FormulaError, Token
from pv.checks.formulas.nodes import (
    BinOp,
    Call,
    Compare,
    Interval,
    Name,
    Node,
    Num,
    Reduce,
    SetOf,
    Vector,
)


class BracketsMixin:
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
        called = not (var or low or high) and self.tok.kind == "(" and self.tok.start == self.tokens[self.pos - 1].end
        body = self.unary() if self.tok.kind != "[" else self.vector_body()
        # `Σ(x) / N` is a function applied to x; `Σ_j a_j · b_j` runs to the end of the product
        if not called and (self.at_op("*", "/", "@", "⊙", "⊗") or self._implicit_product_follows()):
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


def _int_or_none(text: str):

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


def _span(node: Node, start: int, end: int) -> Node:
    """The node itself (brackets only group); kept as one function so spans can be widened later."""
    return node
