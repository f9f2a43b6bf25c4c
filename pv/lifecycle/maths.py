"""Compare two formula strings as mathematics, through pv's own formula parser.

Contract text never reaches sympify: each side is parsed by
`pv.checks.formulas.grammar.parse` and built into sympy by the tree Builder.
sympy is imported only when the two texts differ after canonical printing.
"""

from __future__ import annotations

from fractions import Fraction

MAX_NODES = 60  # bigger formulas are compared by their canonical text only (simplify can be slow)


def parse_formula(text: object):
    """The formula tree of `text`, or None when it is not a formula (prose, a bare word)."""
    from pv.checks.formulas.grammar import FormulaError, parse
    from pv.checks.formulas.nodes import Name

    if not isinstance(text, str) or not text.strip() or len(text) > 2000:
        return None
    try:
        node = parse(text, strict=True, quantifier=True)
    except (FormulaError, RecursionError, ValueError, ZeroDivisionError, OverflowError):
        return None
    return None if isinstance(node, Name) else node  # a single word is a name or an enum value


def constant(node) -> Fraction | None:
    from pv.checks.formulas.nodes import Neg, Num

    if isinstance(node, Num):
        return node.value
    if isinstance(node, Neg) and isinstance(node.operand, Num):
        return -node.operand.value
    return None


def _size(node) -> int:
    from pv.checks.formulas.nodes import walk

    return sum(1 for _ in walk(node))


def same_maths(a, b) -> bool | None:
    """True: equal as maths; False: different; None: pv cannot tell (too big, or sympy gave up)."""
    from pv.checks.formulas.nodes import Compare, names, show

    text_a, text_b = _canonical(show(a)), _canonical(show(b))
    if text_a == text_b:
        return True
    if _size(a) > MAX_NODES or _size(b) > MAX_NODES:
        return None
    try:
        import sympy as sp

        from pv.checks.formulas.symbolic import Builder

        domains = {n.name: None for n in names(a) + names(b)}
        builder = Builder({}, domains)
        if isinstance(a, Compare) or isinstance(b, Compare):
            if not (isinstance(a, Compare) and isinstance(b, Compare)) or a.ops != b.ops \
                    or len(a.operands) != len(b.operands):
                return False
            pairs = [(builder.build(x), builder.build(y)) for x, y in zip(a.operands, b.operands)]
        else:
            pairs = [(builder.build(a), builder.build(b))]
        for left, right in pairs:
            if isinstance(left, sp.Basic) and isinstance(right, sp.Basic) and left.is_Boolean is not True:
                if sp.simplify(left - right) != 0:
                    return False
            elif left != right:
                return False
        return True
    except Exception:  # a tree sympy cannot build or simplify: undecided, reported as a change
        return None


def _canonical(text: str) -> str:
    return text.replace("log(", "ln(")
