"""Every formula check with passing and failing cases, at the exact line and column."""

from __future__ import annotations

import sys

import pytest
from formula_helpers import codes, only

GOOD = """
    formulas:
      symbols:
        vocab_size: "integer ≥ 2"
        val_loss: "sequence of real ≥ 0"
        N: "integer ≥ 1"
      definitions:
        cap_finetune: "10.0"
        cap_from_scratch:
          formula: "2·ln(vocab_size)"
          claims:
            - at: {vocab_size: 50257}
              value: 21.64
              tolerance: 0.01
        baseline:
          formula: "ln(vocab_size)"
          claims:
            - at: {vocab_size: 50257}
              value: "10.82 ± 0.01"
        non_divergence:
          formula: "val_loss[N] ≤ 2.0 × val_loss[N-1]"
          claims:
            - at: {N: 1, val_loss: [3.5, 7.1]}
              value: false
            - at: {N: 1, val_loss: [3.5, 7.0]}
              value: true
      obligations:
        baseline_passes: "baseline ≤ cap_from_scratch"
        exceeds_iff: "cap_from_scratch > cap_finetune ⟺ vocab_size ≥ 149"
    invariants:
      - id: INV-1
        formulas: [cap_from_scratch, non_divergence, baseline_passes]
    gates:
      - id: GATE-1
        formulas: [exceeds_iff]
"""


def test_good_contract_has_only_proofs(run_formulas) -> None:
    findings = run_formulas(GOOD)
    assert codes(findings) == ["PV322", "PV322"]
    assert "proved" in findings[0].message


def test_three_ln_with_claim_21_64_names_32_47_at_the_claims_line(run_formulas) -> None:
    findings = run_formulas(GOOD.replace('"2·ln(vocab_size)"', '"3·ln(vocab_size)"'))
    wrong = only(findings, "PV310")
    assert "32.47" in wrong.message and "21.64" in wrong.message
    assert (wrong.line, wrong.col) == (13, 18)  # where `21.64` is written
    assert wrong.severity.label == "error"


def test_flipped_obligation_is_refuted_with_a_real_counterexample(run_formulas) -> None:
    findings = run_formulas(GOOD.replace('"baseline ≤ cap_from_scratch"', '"baseline ≥ cap_from_scratch"'))
    refuted = only(findings, "PV320")
    assert "vocab_size = 2" in refuted.message
    assert (refuted.line, refuted.col) == (28, 23)  # the obligation's formula
    import math

    assert not math.log(2) >= 2 * math.log(2)  # the counterexample really violates it


def test_off_by_one_iff_is_refuted_at_149(run_formulas) -> None:
    findings = run_formulas(GOOD.replace("vocab_size ≥ 149", "vocab_size ≥ 150"))
    refuted = only(findings, "PV320")
    assert "vocab_size = 149" in refuted.message


def test_relation_obligation_refuted_by_a_generated_trace(run_formulas) -> None:
    findings = run_formulas("""
        formulas:
          symbols:
            val_loss: "sequence of real > 0"
            N: "integer ≥ 1"
          definitions:
            nd: "val_loss[N] ≤ 2 × val_loss[N-1]"
          obligations:
            always: "nd"
    """)
    refuted = only(findings, "PV320")
    assert "val_loss = [" in refuted.message and "search" in refuted.message


@pytest.mark.parametrize("obligation", ["log2(d_k) < d_k"])
def test_true_but_unprovable_is_undecided_not_refuted(run_formulas, obligation: str) -> None:
    findings = run_formulas(f"""
        formulas:
          symbols:
            d_k: integer ≥ 1
          obligations:
            o: "{obligation}"
    """)
    assert codes(findings) == ["PV321"]


def test_undecided_reports_points_tried(run_formulas) -> None:
    findings = run_formulas("""
        formulas:
          symbols:
            x: "real > 0"
            y: "real > 0"
          obligations:
            hard: "sin(x·y) + cos(x - y) ≤ 2"
    """)
    undecided = only(findings, "PV321")
    assert "point(s)" in undecided.message
    count = int(undecided.message.split("no counterexample in ")[1].split(" ")[0])
    assert count > 100


def test_wrong_boolean_claim(run_formulas) -> None:
    text = GOOD.replace("[3.5, 7.1]}\n              value: false", "[3.5, 7.1]}\n              value: true")
    findings = run_formulas(text)
    assert "is false, not true" in only(findings, "PV310").message


def test_default_tolerance_is_one_unit_in_the_last_decimal(run_formulas) -> None:
    text = GOOD.replace("              value: 21.64\n              tolerance: 0.01\n",
                        "              value: 21.6\n")
    assert "PV310" not in codes(run_formulas(text))  # 21.6498 within 0.1
    text = GOOD.replace("              value: 21.64\n              tolerance: 0.01\n",
                        "              value: 21.66\n")
    assert "PV310" in codes(run_formulas(text))


@pytest.mark.parametrize(("formula", "col", "fragment"), [
    ("2·ln(vocab_sise)", 16, "did you mean `vocab_size`"),
    ("2·ln(V", 17, "expected"),
])
def test_errors_point_at_the_character(run_formulas, formula: str, col: int, fragment: str) -> None:
    findings = run_formulas(f"""
        formulas:
          symbols:
            vocab_size: "integer ≥ 2"
          definitions:
            cap: "{formula}"
    """)
    finding = [f for f in findings if f.code in ("PV301", "PV303")][0]
    assert (finding.line, finding.col) == (6, col)
    assert fragment in finding.message


def test_position_inside_a_block_scalar(run_formulas) -> None:
    findings = run_formulas("""
        formulas:
          symbols:
            x: real
          definitions:
            cap:
              formula: |
                x +
                  2 · y
    """)
    finding = only(findings, "PV303")
    assert (finding.line, finding.col) == (9, 15)


def test_unused_symbol_warns(run_formulas) -> None:
    findings = run_formulas("""
        formulas:
          symbols:
            x: real
            spare: real
          definitions:
            f: "x + 1"
    """)
    warning = only(findings, "PV304")
    assert "spare" in warning.message and warning.severity.label == "warning" and warning.line == 5


def test_formula_names_are_symbols_too_but_obligations_are_not_values(run_formulas) -> None:
    findings = run_formulas("""
        formulas:
          symbols:
            x: real
          definitions:
            f: "x + 1"
            g: "f · 2 + ob"
          obligations:
            ob: "f > x"
    """)
    assert "is an obligation, not a value" in only(findings, "PV303").message


def test_defined_twice_with_different_meaning(run_formulas) -> None:
    findings = run_formulas("""
        formulas:
          symbols:
            x: real
          definitions:
            f: "x + 1"
          obligations:
            f: "x + 1 > x"
    """)
    assert "different" in only(findings, "PV305").message


def test_formula_named_like_a_symbol(run_formulas) -> None:
    findings = run_formulas("""
        formulas:
          symbols:
            x: real
          definitions:
            x: "2"
    """)
    assert "PV305" in codes(findings)


def test_cycle(run_formulas) -> None:
    findings = run_formulas("""
        formulas:
          symbols:
            x: real
          definitions:
            a: "b + x"
            b: "a + 1"
    """)
    assert "PV306" in codes(findings)


@pytest.mark.parametrize(("domain", "fragment"), [
    ("integr ≥ 2", "expected a type"),
    ("integer ≥", "expected a number"),
    ("integer > 2 and < 3", "contains no value"),
    ("real in [0, 1", "expected `]` or `)`"),
    ("", "empty"),
])
def test_bad_domains(run_formulas, domain: str, fragment: str) -> None:
    findings = run_formulas(f"""
        formulas:
          symbols:
            x: "{domain}"
          definitions:
            f: "x"
    """)
    assert fragment in only(findings, "PV307").message


@pytest.mark.parametrize(("formula", "fragment"), [
    ("(x < 1) + 2", "is a statement (true or false) used as an operand of `+`"),
    ("x ∧ x < 1", "is a number used as an operand of `∧`"),
    ("s + 1", "is a whole sequence"),
    ("x[1]", "is not a sequence"),
    ("s[x]", "is not an integer expression"),
    ("s[n/2]", "is not an integer expression"),
    ("(x < 1) ≤ 2", "a side of a comparison"),
])
def test_dimensionally_silly(run_formulas, formula: str, fragment: str) -> None:
    findings = run_formulas(f"""
        formulas:
          symbols:
            x: real
            n: integer ≥ 0
            s: sequence of real
          definitions:
            f: "{formula}"
            uses: "x + n + s[n]"
    """)
    assert fragment in only(findings, "PV308").message


def test_obligation_must_be_a_statement(run_formulas) -> None:
    findings = run_formulas("""
        formulas:
          symbols:
            x: real
          obligations:
            o: "x + 1"
    """)
    assert "not a statement" in only(findings, "PV308").message


@pytest.mark.parametrize(("claim", "fragment"), [
    ("{at: {}, value: 1.0}", "gives no value for `x`"),
    ("{at: {x: 1, y: 2}, value: 2.0}", "`y`, which is not a declared symbol"),
    ("{at: {x: -1}, value: 2.0}", "outside the domain"),
    ("{at: {x: 1}, value: true}", "must be a number"),
])
def test_invalid_claims(run_formulas, claim: str, fragment: str) -> None:
    findings = run_formulas(f"""
        formulas:
          symbols:
            x: real ≥ 0
          definitions:
            f:
              formula: "x + 1"
              claims:
                - {claim}
    """)
    assert fragment in only(findings, "PV311").message


def test_references_from_invariants_and_gates(run_formulas) -> None:
    findings = run_formulas(GOOD.replace("formulas: [exceeds_iff]", "formulas: [exceeds_ifff]"))
    ref = only(findings, "PV330")
    assert "did you mean `exceeds_iff`" in ref.message and ref.path == "gates[0].formulas[0]"


def test_references_without_a_section(run_formulas) -> None:
    findings = run_formulas("""
        invariants:
          - id: INV-1
            formulas: [cap]
    """)
    assert "no `formulas` section" in only(findings, "PV330").message


def test_binding_shape_checked_statically(run_formulas) -> None:
    findings = run_formulas("""
        formulas:
          symbols:
            x: real
          definitions:
            f:
              formula: "x + 1"
              bind:
                function: "not a target"
            g:
              formula: "x + 2"
              bind:
                function: "pkg.mod:func"
                args: {a: y}
    """)
    assert [f.path for f in findings if f.code == "PV340"] == ["formulas.definitions.f.bind.function",
                                                              "formulas.definitions.g.bind.args.a"]


def test_no_formulas_means_no_sympy_and_no_findings(tmp_path) -> None:
    import subprocess

    from formula_helpers import write_contract

    path = write_contract(tmp_path, "contract_id: X\ninvariants:\n  - id: INV-1\n")
    code = (
        "import sys; from pathlib import Path; from pv.core.loader import load; "
        "import pv.checks.formulas.check as c; "
        f"doc, _ = load(Path({str(path)!r}), Path({str(tmp_path)!r})); "
        "assert list(c.check(doc, None)) == []; "
        "print('sympy' in sys.modules, 'mpmath' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_default_tolerance_follows_the_written_decimals(run_formulas) -> None:
    text = GOOD.replace("              value: 21.64\n              tolerance: 0.01\n",
                        "              value: 21.640\n")
    wrong = only(run_formulas(text), "PV310")
    assert "21.64 ± 0.001" in wrong.message and "21.650" in wrong.message


def test_closed_statement_and_conjunction_explanations(run_formulas) -> None:
    findings = run_formulas("""
        formulas:
          symbols:
            n: integer ≥ 0
          obligations:
            closed: "1 > 2"
            both: "n ≥ 0 ∧ n ≠ 7"
    """)
    messages = sorted(f.message for f in findings if f.code == "PV320")
    assert "counterexample n = 7: n = 7 is not ≠ 7" in messages[0]
    assert "it is false (it has no free symbols): 1 is not > 2" in messages[1]


@pytest.mark.parametrize(("obligation", "method"), [
    ("x^2 + y^2 ≥ 0", "from the symbols' domains"),
    ("|x - y| ≥ 0", "from the symbols' domains"),
    ("exp(x) > 0", "from the symbols' domains"),
    ("d_k × m ≥ d_k", "sign analysis"),
    ("nd ⟹ s[N] ≤ 3 × s[N-1]", "sign analysis"),
    ("√(d_k) ≤ d_k", "solved for `d_k`"),
    ("2·ln(d_k) ≤ 10 ⟺ d_k ≤ 148", "solved for `d_k`"),
])
def test_proofs(run_formulas, obligation: str, method: str) -> None:
    findings = run_formulas(f"""
        formulas:
          symbols:
            x: real
            y: real
            d_k: integer ≥ 1
            m: integer ≥ 1
            s: sequence of real ≥ 0
            N: integer ≥ 1
          definitions:
            nd: "s[N] ≤ 2 × s[N-1]"
          obligations:
            o: "{obligation}"
            uses_all: "x + y + d_k + m + s[N] = x + y + d_k + m + s[N]"
    """)
    proofs = [f.message for f in findings if f.code == "PV322" and "`o`" in f.message]
    assert proofs and method in proofs[0], [f.message for f in findings]


@pytest.mark.parametrize("obligation", [
    "x^2 ≥ x",
    "nd ⟹ s[N] ≤ 1.5 × s[N-1]",
    "√(d_k) < d_k",
    "exp(x) > 1",
])
def test_refutations_really_violate(run_formulas, obligation: str) -> None:
    findings = run_formulas(f"""
        formulas:
          symbols:
            x: real
            d_k: integer ≥ 1
            s: sequence of real ≥ 0
            N: integer ≥ 1
          definitions:
            nd: "s[N] ≤ 2 × s[N-1]"
          obligations:
            o: "{obligation}"
            uses_all: "x + d_k + s[N] = x + d_k + s[N]"
    """)
    refuted = only(findings, "PV320")
    assert "counterexample" in refuted.message and "checked exactly" in refuted.message


def test_quantified_obligation_and_membership(run_formulas) -> None:
    findings = run_formulas("""
        formulas:
          symbols:
            p: real in (0, 1)
          definitions:
            odds: "p / (1 - p)"
            in_range: "p ∈ (0, 1)"
          obligations:
            positive: "∀ p: odds > 0"
            inside: "in_range"
    """)
    assert codes(findings) == ["PV322", "PV322"]


def test_quantifier_in_a_definition_is_refused(run_formulas) -> None:
    findings = run_formulas("""
        formulas:
          symbols:
            p: real
          definitions:
            f: "∀ p: p ≥ 0"
    """)
    assert "only open an obligation" in only(findings, "PV301").message


def test_claim_value_is_taken_as_written_not_as_its_nearest_double(run_formulas) -> None:
    # YAML turns 3.000…0005 into the double 3.0 and 1e-400 into 0.0, so both wrong claims passed
    # (or were judged against 0 ± 0.1); the written text is the claim.
    findings = run_formulas("""
        formulas:
          symbols:
            x: "real > 0"
          definitions:
            f:
              formula: "x + 1"
              claims:
                - at: {x: 2}
                  value: 3.0000000000000000000000000000000000000000005
                - at: {x: 2}
                  value: 3.0000000000000000000000000000000000000000001
                - at: {x: 2}
                  value: 1e-400
    """)
    wrong = [(f.line, f.message) for f in findings if f.code == "PV310"]
    assert [line for line, _ in wrong] == [10, 14], wrong
    assert "1.0e-400 ± 1.0e-400" in wrong[1][1]


def test_ambiguous_division_in_a_formulas_section_is_a_warning(run_formulas) -> None:
    """Issue 8, defect 10: `x/2y` reads as (x/2)·y; most authors mean x/(2y)."""
    found = run_formulas("""
        formulas:
          symbols:
            x: {domain: "real > 0"}
            y: {domain: "real > 0"}
          definitions:
            half: {formula: "x/2y"}
            clear: {formula: "x/(2y) + (x/2)*y"}
    """)
    warnings = [f for f in found if f.code == "PV352"]
    assert len(warnings) == 1 and warnings[0].line == 7, warnings
    assert "x/(2y)" in (warnings[0].hint or "")


def test_claim_points_are_exact_as_written(run_formulas) -> None:
    """Issue 8, defect 5: `at: {x: 2.9999999999999999}` is that decimal, not the double 3.0."""
    found = run_formulas("""
        formulas:
          symbols:
            x: {domain: "real ≥ 0"}
            s: {domain: "sequence of real ≥ 0"}
          definitions:
            f:
              formula: "floor(x)"
              claims:
                - at: {x: 2.9999999999999999}
                  value: 2
                - at: {x: 2.9999999999999999}
                  value: 3
            g:
              formula: "floor(s[0])"
              claims:
                - at: {s: [0.99999999999999999]}
                  value: 0
    """)
    wrong = [f for f in found if f.code in ("PV310", "PV311")]
    assert len(wrong) == 1 and wrong[0].line == 13, [(f.code, f.line, f.message) for f in found]
    assert "x = 2.9999999999999999" in wrong[0].message  # the point as written


def test_claim_point_outside_its_domain_as_written(run_formulas) -> None:
    found = run_formulas("""
        formulas:
          symbols:
            x: {domain: "real < 3"}
          definitions:
            f:
              formula: "floor(x)"
              claims:
                - at: {x: 2.9999999999999999}
                  value: 2
    """)
    assert [f.code for f in found if f.severity.label == "error"] == []
