"""The grammar: every notation of the issue, precedence, unicode variants, error positions."""

from __future__ import annotations

from fractions import Fraction

import pytest

from pv.checks.formulas.grammar import FormulaError, parse
from pv.checks.formulas.nodes import BinOp, Call, Compare, Index, Logic, Name, Neg, Not, Num, show


@pytest.mark.parametrize(("text", "expected"), [
    ("2.0 × ln(vocab_size)", "2.0 · ln(vocab_size)"),
    ("2·ln(V)", "2 · ln(V)"),
    ("2*ln(V)", "2 · ln(V)"),
    ("2⋅ln(V)", "2 · ln(V)"),
    ("val_loss[N] ≤ 2.0 × val_loss[N-1]", "val_loss[N] ≤ (2.0 · val_loss[N - 1])"),
    ("val_loss[N] <= 2 * val_loss[N - 1]", "val_loss[N] ≤ (2 · val_loss[N - 1])"),
    ("√(d_k)", "sqrt(d_k)"),
    ("√d_k", "sqrt(d_k)"),
    ("sqrt(d_k)", "sqrt(d_k)"),
    ("x^2", "x ^ 2"),
    ("x**2", "x ^ 2"),
    ("x²", "x ^ 2"),
    ("x⁻¹", "x ^ -1"),
    ("|x|", "abs(x)"),
    ("abs(x)", "abs(x)"),
    ("|a - |b||", "abs(a - abs(b))"),
    ("max(a, b)", "max(a, b)"),
    ("min(a, b, c)", "min(a, b, c)"),
    ("exp(x)", "exp(x)"),
    ("log2(x) + log10(y) + log(x, 3)", "(log2(x) + log10(y)) + log(x, 3)"),
    ("α + β", "alpha + beta"),
    ("σ² + Σ", "(sigma ^ 2) + Sigma"),
    ("x₁ + x_2", "x_1 + x_2"),
    ("m_{t-1}", "m[t - 1]"),
    ("⌊x⌋ + ⌈y⌉", "floor(x) + ceil(y)"),
    ("2x", "2 · x"),
    ("0.5(x + 1)", "0.5 · (x + 1)"),
    ("x − y", "x - y"),
    ("a ≠ b", "a ≠ b"),
    ("a != b", "a ≠ b"),
    ("a ≥ b", "a ≥ b"),
    ("a >= b", "a ≥ b"),
    ("a = b", "a = b"),
    ("a == b", "a = b"),
    ("a < b ∧ c > d", "(a < b) and (c > d)"),
    ("a < b and c > d", "(a < b) and (c > d)"),
    ("a < b ∨ c > d", "(a < b) or (c > d)"),
    ("¬(a < b)", "¬(a < b)"),
    ("not a < b", "¬(a < b)"),
    ("a < b ⟹ c < d", "(a < b) ⟹ (c < d)"),
    ("a < b => c < d", "(a < b) ⟹ (c < d)"),
    ("a < b ⟺ c < d", "(a < b) ⟺ (c < d)"),
    ("a < b <=> c < d", "(a < b) ⟺ (c < d)"),
    ("a < b iff c < d", "(a < b) ⟺ (c < d)"),
    ("a < b -> c < d", "(a < b) ⟹ (c < d)"),
    ("x ∈ [0, 1)", "0 ≤ x < 1"),
    ("p ∈ (0, 1]", "0 < p ≤ 1"),
    ("∀ x: x ∈ [a, b]", "a ≤ x ≤ b"),
    ("forall i, j: i ≤ j ⟹ f(i) ≤ f(j)", "(i ≤ j) ⟹ (f(i) ≤ f(j))"),
])
def test_notation(text: str, expected: str) -> None:
    assert show(parse(text, strict="f(" not in text)) == expected


def test_quantifier_only_where_allowed() -> None:
    with pytest.raises(FormulaError, match="only open an obligation"):
        parse("∀ x: x > 0", quantifier=False)
    with pytest.raises(FormulaError, match="`:`"):
        parse("∀ x x > 0")
    with pytest.raises(FormulaError, match="interval"):
        parse("x ∈ {0, 1}")


def test_precedence() -> None:
    node = parse("-x^2 + 3·y / z")
    assert isinstance(node, BinOp) and node.op == "+"
    assert isinstance(node.left, Neg) and isinstance(node.left.operand, BinOp) and node.left.operand.op == "^"
    right = node.right
    assert isinstance(right, BinOp) and right.op == "/" and isinstance(right.left, BinOp)


def test_power_is_right_associative_and_takes_unary_exponent() -> None:
    node = parse("2^3^2")
    assert isinstance(node.right, BinOp) and node.right.op == "^"
    node = parse("2^-1")
    assert isinstance(node.right, Neg)


def test_comparison_binds_looser_than_arithmetic_and_chains() -> None:
    node = parse("0 ≤ x + 1 < 2·y")
    assert isinstance(node, Compare) and node.ops == ("<=", "<") and len(node.operands) == 3


def test_connective_precedence() -> None:
    node = parse("a < b ∨ c < d ∧ e < f ⟹ g < h ⟺ i < j")
    assert isinstance(node, Logic) and node.op == "iff"
    implies = node.operands[0]
    assert isinstance(implies, Logic) and implies.op == "implies"
    disjunct = implies.operands[0]
    assert isinstance(disjunct, Logic) and disjunct.op == "or"
    assert isinstance(disjunct.operands[1], Logic) and disjunct.operands[1].op == "and"
    assert isinstance(parse("¬ a < b ∧ c < d").operands[0], Not)


def test_numbers_are_exact() -> None:
    node = parse("21.64")
    assert isinstance(node, Num) and node.value == Fraction(2164, 100)
    assert parse("1e-3").value == Fraction(1, 1000)


def test_index_and_call_nodes() -> None:
    node = parse("val_loss[N-1]")
    assert isinstance(node, Index) and node.base.name == "val_loss"
    node = parse("ln(V)")
    assert isinstance(node, Call) and node.func == "ln" and isinstance(node.args[0], Name)


def test_offsets_point_into_the_string() -> None:
    text = "2·ln(vocab_size)"
    node = parse(text)
    assert text[node.right.args[0].start:node.right.args[0].end] == "vocab_size"


@pytest.mark.parametrize(("text", "index", "fragment"), [
    ("2·ln(V", 6, "expected `,` or `)`"),
    ("2 +", 3, "expected a number, a name or `(`"),
    ("a b", 2, "expected an operator between `a` and `b`"),
    ("ln V", 3, "expected `(` after the function `ln`"),
    ("frobnicate(x)", 0, "unknown function `frobnicate`"),
    ("max(1)", 0, "`max` takes at least 2 argument(s)"),
    ("x ≈ y", 2, "unexpected character `≈`"),
    ("val_loss[N", 10, "expected `]`"),
    ("|x", 2, "expected `|`"),
    ("", 0, "empty"),
])
def test_syntax_errors_say_where_and_what(text: str, index: int, fragment: str) -> None:
    with pytest.raises(FormulaError) as caught:
        parse(text)
    assert caught.value.index == index
    assert fragment in caught.value.message
    assert caught.value.kind == "syntax"


def test_lenient_mode_accepts_unknown_functions() -> None:
    assert show(parse("GELU(x) = x · Phi(x)", strict=False)) == "GELU(x) = (x · Phi(x))"
    with pytest.raises(FormulaError):
        parse("GELU(x) = x · Phi(x)")
