"""Formula trees back to text with as few brackets as precedence allows (`2 + 2 + 12 + 128 = 144`).

`nodes.show` brackets every operation (its text is the canonical form pv
compares); this is the form for people: messages and `pv formulas`. Both
re-parse to the same tree (tests/formulas/test_notation.py checks the round trip).
"""

from __future__ import annotations

from pv.checks.formulas.nodes import (
    BinOp,
    Compare,
    Cond,
    Logic,
    Many,
    Neg,
    Node,
    Not,
    Note,
    Num,
    Quant,
    Reduce,
    Vector,
    show,
)

_SIGN = {"<=": "≤", ">=": "≥", "!=": "≠", "*": "·", "implies": "⟹", "iff": "⟺", "in": "∈", "notin": "∉",
         "subset": "⊆", "and": "∧", "or": "∨", "union": "∪", "intersect": "∩"}
# Binding strength; higher binds tighter.
_LEVEL = {"iff": 1, "implies": 2, "or": 3, "and": 4, "compare": 5, "+": 6, "-": 6, "*": 7, "/": 7, "mod": 7,
          "@": 7, "⊗": 7, "⊙": 7, "union": 7, "intersect": 7, "neg": 8, "^": 9}


def _level(node: Node) -> int:
    while isinstance(node, Note):
        node = node.body
    if isinstance(node, BinOp):
        return _LEVEL[node.op]
    if isinstance(node, Compare):
        return _LEVEL["compare"]
    if isinstance(node, Logic):
        return _LEVEL[node.op]
    if isinstance(node, Neg | Not):
        return _LEVEL["neg"]
    if isinstance(node, Quant | Cond | Many) or isinstance(node, Reduce) and (node.var or node.low or node.high):
        return 0  # runs to the end of what follows it: always bracketed as an operand
    return 10


def pretty(node: Node) -> str:
    if isinstance(node, Note):  # the author's words are kept: they re-read to the same note
        body = pretty(node.body)
        if node.kind == "label":
            return f"{node.text}: {body}"
        glued = node.kind == "comment" and isinstance(node.body, Num)  # 2(norm): written against its number
        return f"{body}{'' if glued else ' '}{' '.join(node.text.split())}"
    if isinstance(node, BinOp):
        level = _LEVEL[node.op]
        left = _side(node.left, level, strict=node.op == "^")
        # a - (b - c), a · (b · c): the right side keeps its brackets at equal strength (same tree)
        right = _side(node.right, level, strict=node.op != "^")
        return f"{left} {_SIGN.get(node.op, node.op)} {right}"
    if isinstance(node, Neg):
        return f"-{_side(node.operand, _LEVEL['neg'], strict=False)}"
    if isinstance(node, Not):
        return f"¬{_side(node.operand, _LEVEL['neg'], strict=False)}"
    if isinstance(node, Compare):
        out = _side(node.operands[0], _LEVEL["compare"], strict=True)
        for op, operand in zip(node.ops, node.operands[1:], strict=True):
            out += f" {_SIGN.get(op, op)} {_side(operand, _LEVEL['compare'], strict=True)}"
        return out
    if isinstance(node, Logic) and node.op == "implies" and isinstance(node.operands[1], Vector):
        return f"{pretty(node.operands[0])} → {pretty(node.operands[1])}"  # a shape computed: `[h] @ W → [V]`
    if isinstance(node, Logic):
        level = _LEVEL[node.op]
        strict = node.op in ("implies", "iff")
        return f" {_SIGN.get(node.op, node.op)} ".join(_side(o, level, strict=strict) for o in node.operands)
    return show(node)


def _side(node: Node, level: int, *, strict: bool) -> str:
    """The operand's text, bracketed when it binds looser than its place (or as loose, where `strict`)."""
    inner = _level(node)
    text = pretty(node)
    if isinstance(node, Note) and node.kind != "unit":
        inner = 0  # an operand with words after it is bracketed
    if inner < level or (strict and inner == level):
        return f"({text})"
    return text
