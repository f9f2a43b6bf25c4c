"""A formula restated outside `formulas:` must equal one of its definitions (PV353)."""

from __future__ import annotations

from pathlib import Path

from formula_helpers import only

from pv.checks.formulas.model import load_section
from pv.checks.formulas.restated import check_restated
from pv.core.loader import load

RESTATED = 'epoch_zero_val_loss_cap: "2·ln(vocab_size)"'


def _run(tmp_path: Path, text: str) -> list:
    (tmp_path / "pyproject.toml").write_text("[tool.pv]\n", encoding="utf-8")
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    doc, findings = load(path, tmp_path)
    assert doc is not None, findings
    return check_restated(load_section(doc))  # the restatement check alone: no sympy, fast


def test_the_repo_contract_restates_its_cap_exactly(repo_root: Path, tmp_path: Path) -> None:
    text = (repo_root / "contracts" / "training-loop-pretrain-v1.yaml").read_text(encoding="utf-8")
    assert RESTATED in text  # training_regime and formulas.definitions both write 2·ln(vocab_size)
    assert [f for f in _run(tmp_path, text) if f.code == "PV353"] == []
    line = text[:text.index(RESTATED)].count("\n") + 1
    drifted = _run(tmp_path, text.replace(RESTATED, RESTATED.replace("2·ln", "3·ln")))
    finding = only(drifted, "PV353")
    assert finding.line == line and "epoch_zero_cap_from_scratch" in finding.message
    # the same formula written differently still matches (checked on values, not text)
    reordered = _run(tmp_path, text.replace(RESTATED, 'epoch_zero_val_loss_cap: "ln(vocab_size) * 2"'))
    assert [f for f in reordered if f.code == "PV353"] == []


def test_prose_and_undeclared_names_are_not_restatements(tmp_path: Path) -> None:
    found = _run(tmp_path, """\
formulas:
  symbols:
    v: {domain: "integer ≥ 2"}
  definitions:
    cap: {formula: "2·ln(v)"}
notes:
  - "the cap is 2·ln(v) for a cold start"
  - "2·previous_loss"
  - "10.0"
  - "v"
  - "ln(v) + 1"
""")
    finding = only(found, "PV353")
    assert finding.line == 11 and "`ln(v) + 1`" in finding.message
