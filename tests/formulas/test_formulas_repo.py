"""The repo's contract: its formulas check clean, and the deliberately wrong edits fail."""

from __future__ import annotations

from pathlib import Path

import pytest
from formula_helpers import codes, only

from pv.checks.formulas.check import check
from pv.core.loader import load

REPO = Path(__file__).resolve().parents[2]
CONTRACT = REPO / "contracts" / "training-loop-pretrain-v1.yaml"


def run_text(tmp_path: Path, text: str):
    path = tmp_path / "contracts" / CONTRACT.name
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    doc, findings = load(path, tmp_path)
    assert doc is not None, findings
    return sorted(check(doc, None)), text


def line_of(text: str, fragment: str, after: str = "") -> int:
    start = text.index(after) if after else 0
    return text[:text.index(fragment, start)].count("\n") + 1


def test_repo_contract_formulas_are_clean() -> None:
    doc, _ = load(CONTRACT, REPO)
    findings = list(check(doc, None))
    assert codes(findings) == ["PV322", "PV322"], [f.message for f in findings]


def test_three_ln_is_caught_at_the_claim(tmp_path: Path) -> None:
    text = CONTRACT.read_text(encoding="utf-8")
    assert text.count('formula: "2·ln(vocab_size)"') == 1
    findings, text = run_text(tmp_path, text.replace('formula: "2·ln(vocab_size)"', 'formula: "3·ln(vocab_size)"'))
    wrong = next(f for f in findings if f.code == "PV310" and "`epoch_zero_cap_from_scratch`" in f.message)
    assert "32.47" in wrong.message
    assert wrong.line == line_of(text, "value: 21.64")
    # the edit also breaks what depends on the cap: the 25.0 claim and the V ≥ 149 obligation
    assert "PV320" in codes(findings)


def test_flipped_obligation_is_refuted(tmp_path: Path) -> None:
    text = CONTRACT.read_text(encoding="utf-8")
    flipped = text.replace('"uniform_random_baseline ≤ epoch_zero_cap_from_scratch"',
                           '"uniform_random_baseline ≥ epoch_zero_cap_from_scratch"')
    assert flipped != text
    findings, _ = run_text(tmp_path, flipped)
    refuted = only(findings, "PV320")
    assert "counterexample vocab_size = 2" in refuted.message


@pytest.mark.parametrize("wrong", ["vocab_size ≥ 148", "vocab_size ≥ 150", "vocab_size > 149"])
def test_the_149_threshold_is_exact(tmp_path: Path, wrong: str) -> None:
    text = CONTRACT.read_text(encoding="utf-8")
    findings, _ = run_text(tmp_path, text.replace("vocab_size ≥ 149", wrong))
    assert "PV320" in codes(findings)
