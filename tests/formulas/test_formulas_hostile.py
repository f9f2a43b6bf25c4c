"""Hostile formulas: each is a clean finding; nothing is executed; nothing hangs."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from formula_helpers import codes

from pv.checks.formulas.grammar import FormulaError, parse

HOSTILE = [
    ("__import__('os').system('touch {marker}')", "PV301"),
    ("__import__(\"os\")", "PV301"),
    ("x.__class__.__bases__", "PV301"),
    ("ln.__globals__", "PV301"),
    ("lambda x: x", "PV301"),
    ("(lambda: 1)()", "PV301"),
    ("eval(x)", "PV301"),
    ("exec(x)", "PV301"),
    ("open(x)", "PV301"),
    ("[x for x in y]", "PV301"),
    ("x; import os", "PV301"),
    ("9**9**9", "PV302"),
    ("2^100000", "PV302"),
    ("x^(10^9)", "PV302"),
    ("(10^900)^3", "PV302"),
    ("1e999", "PV302"),
    ("123456789012345678901234567890123456789012345", "PV302"),
    ("(" * 500 + "x" + ")" * 500, "PV302"),
    ("-" * 200 + "x", "PV302"),
    ("|" * 100 + "x" + "|" * 100, "PV302"),
    ("x + " * 400 + "x", "PV302"),
]


@pytest.mark.parametrize(("formula", "code"), HOSTILE)
def test_hostile_formula_is_a_clean_finding(formula: str, code: str, tmp_path: Path, run_formulas) -> None:
    marker = tmp_path / "pwned"
    text = formula.replace("{marker}", str(marker)).replace("\\", "\\\\").replace('"', '\\"')
    started = time.monotonic()
    findings = run_formulas(f"""
        formulas:
          symbols:
            x: real
            y: real
          definitions:
            evil: "{text}"
    """)
    assert time.monotonic() - started < 5
    assert code in codes(findings)
    assert not marker.exists()
    assert all(f.line > 0 and f.col > 0 for f in findings)


def test_hostile_input_never_reaches_python_eval(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    def refuse(*args, **kwargs):
        raise AssertionError("eval/exec must never be called")

    monkeypatch.setattr(builtins, "eval", refuse)
    monkeypatch.setattr(builtins, "exec", refuse)
    for formula, _ in HOSTILE:
        with pytest.raises(FormulaError):
            parse(formula.replace("{marker}", "/tmp/x"))


def test_nonconstant_tower_in_obligation_does_not_hang(run_formulas) -> None:
    started = time.monotonic()
    findings = run_formulas("""
        formulas:
          symbols:
            n: integer ≥ 2
          obligations:
            tower: "n^(n^n) ≥ 0"
    """)
    assert time.monotonic() - started < 15
    assert codes(findings)[0] in ("PV322", "PV321")


def test_a_step_that_never_ends_is_killed() -> None:
    from pv.checks.formulas.limits import run_steps

    def forever():
        while True:
            pass

    started = time.monotonic()
    results = run_steps([forever, lambda: 42], seconds=0.5)
    assert time.monotonic() - started < 30  # against hangs; CPU-time limits take longer when loaded
    assert results[0].ok is False and results[0].error == "timeout"
    assert results[1].ok is True and results[1].value == 42


def test_a_c_level_computation_is_killed() -> None:
    from pv.checks.formulas.limits import run_steps

    started = time.monotonic()
    results = run_steps([lambda: 7 ** (7 ** 12) % 10], seconds=0.5)  # one long bignum op
    assert time.monotonic() - started < 30  # (CPU-time limits: wall time grows with load)
    assert results[0].error == "timeout"


def test_inline_fallback_without_fork(monkeypatch: pytest.MonkeyPatch, run_formulas) -> None:
    """Where fork is unavailable steps run in-process under SIGALRM; results are the same."""
    monkeypatch.setenv("PV_FORMULAS_INLINE", "1")
    findings = run_formulas("""
        formulas:
          symbols:
            v: integer ≥ 2
          definitions:
            cap:
              formula: "3·ln(v)"
              claims:
                - {at: {v: 50257}, value: 21.64, tolerance: 0.01}
          obligations:
            flipped: "ln(v) ≥ cap"
    """)
    assert codes(findings) == ["PV310", "PV320"]


def test_soft_deadline_interrupts_python_code() -> None:
    from pv.checks.formulas.limits import StepTimeout, soft_deadline

    started = time.monotonic()
    with pytest.raises(StepTimeout), soft_deadline(0.2):
        while True:
            pass
    assert time.monotonic() - started < 10


def test_the_file_budget_caps_many_slow_steps() -> None:
    from pv.checks.formulas.limits import run_steps

    def forever():
        while True:
            pass

    started = time.monotonic()
    results = run_steps([forever] * 20, seconds=0.3, total=1.0)
    assert time.monotonic() - started < 30  # (CPU-time limits: wall time grows with load)
    assert [r.error for r in results[:3]] == ["timeout"] * 3
    assert results[-1].error == "budget"


def test_non_finite_claim_tolerance_is_a_finding_not_a_crash(run_formulas) -> None:
    # `tolerance: .inf` crashed the check (PV900: Fraction('inf')); `.nan` was silently ignored.
    findings = run_formulas("""
        formulas:
          symbols:
            x: "real > 0"
          definitions:
            f:
              formula: "x + 1"
              claims:
                - {at: {x: 2}, value: 500, tolerance: .inf}
                - {at: {x: 2}, value: 3, tolerance: .nan}
    """)
    assert "PV900" not in codes(findings)
    bad = [(f.line, f.message) for f in findings if f.code == "PV311"]
    assert [line for line, _ in bad] == [9, 10] and all("finite" in message for _, message in bad)
