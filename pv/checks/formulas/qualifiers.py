"""The loose notation's statement level: lists, labels, quantifiers, qualifiers and comments.

`E for all i`, `E when P` (P ⟹ E), `∀ x ∈ S: E`, `For P: E`, `Label: E`, `E (words)`,
`E for <words>`: see `pv.checks.formulas.notation` for the whole notation. A mixin of
`LooseParser`; no sympy.
"""

from __future__ import annotations

from pv.checks.formulas.lexer import FormulaError, Token, describe
from pv.checks.formulas.nodes import (
    BinOp,
    Call,
    Compare,
    Dots,
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
from pv.checks.formulas.words import ALL_WORDS, LOOSE_RELOPS, QUALIFIERS, UNIT_WORDS, WORDLIKE


class QualifierMixin:
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
            words = list(names)
            while self.tok.kind == "name":
                words.append(self.advance().value)
            if self.tok.kind == ":":
                # `forall crate C with profile P:` binds the short names, not the words describing them
                short = [w for w in words if len(w) <= 2 and w[:1].isalpha()]
                return (short or names), None
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
            if token.kind == "name" and token.value in QUALIFIERS:
                node = self.qualifier(node)
                continue
            return node

    def qualifier(self, node: Node) -> Node:
        word = self.advance()
        rest_start = self.tok.start
        if word.value == "for" and self.tok.kind == "name" and self.tok.value in ALL_WORDS:
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
            further = self.tok.kind == "name" and self.tok.value in ("when", "if", "whenever", "given")
            if self.tok.kind in ("end", ";") or (self.tok.kind == "," and self._only_names_follow()) \
                    or self._annotation_group() or further:  # `for all i when ε > 0`: the condition follows
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
            nxt.kind == "name" and nxt.value in QUALIFIERS) or (nxt.kind == "(" and self._annotation_group(offset))

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
                if WORDLIKE.fullmatch(token.value) or token.unit == "word":
                    words += 1
            elif token.kind == "op" and token.value in LOOSE_RELOPS + ("*", "^", "+"):
                maths += 1
            j += 1
        after = self.tokens[j + 1]
        closes_statement = after.kind in ("end", ",", ";", "(") or (
            after.kind == "name" and after.value in QUALIFIERS) or (after.kind == "op" and after.value in LOOSE_RELOPS)
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


def _core(node: Node) -> Node:
    while isinstance(node, Note):
        node = node.body
    return node


def _check_logic(node: Node) -> None:
    """Connectives join statements: `tokens -> [seq_len, 4096]` is a mapping, not an implication."""
    for part in walk(node):
        if isinstance(part, Logic) and part.op == "implies" and _shape_computation(part):
            continue  # `[h] @ [V, h]^T → [V]`: a shape computed, read by pv.checks.formulas.shapes
        if isinstance(part, Logic):
            for operand in part.operands:
                core = _core(operand)
                if isinstance(core, Num | BinOp | Vector | SetOf | Dots | Interval | Reduce):
                    word = {"implies": "→", "iff": "⟺", "and": "∧", "or": "∨"}[part.op]
                    raise FormulaError(f"`{word}` joins values here, not statements (a mapping?)", operand.start,
                                       reason="connective between values")


def _shape_computation(node: Logic) -> bool:
    """`[h] @ [V, h]^T → [V]`: an operation on shape literals, then the shape it gives.

    `[h] → [d_ff]` between two plain literals is a layer's mapping, not an equality of shapes.
    """
    left, right = (_core(o) for o in node.operands)
    return isinstance(left, BinOp | Call) and _shape_term(left) and isinstance(right, Vector) and right.bracket == "["


def _shape_term(node: Node) -> bool:
    """A shape literal `[a, b]`, or `@` / `^T` of shape literals."""
    node = _core(node)
    if isinstance(node, Vector):
        return node.bracket == "["
    if isinstance(node, BinOp) and node.op == "@":
        return _shape_term(node.left) and _shape_term(node.right)
    if isinstance(node, Call) and node.func == "transpose":
        return _shape_term(node.args[0])
    return False


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
