"""A tiny contract checked when the server starts, so the first real file does not pay for imports.

It touches every check family: the schema validators are built, the formula
check imports sympy and (on the second run) warms up its lazy parts before
forking, so later documents start warm.
"""

from __future__ import annotations

from pathlib import Path

from pv.lsp.checking import Checker

WARMUP_TEXT = """\
contract_id: C-PV-LSP-WARMUP
version: 1.0.0
status: DRAFT
metadata:
  version: "1.0.0"
  created: "2026-01-01"
  description: warm-up
formulas:
  symbols:
    v: {domain: "integer ≥ 2"}
  definitions:
    cap:
      formula: "2·ln(v)"
      claims:
        - at: {v: 50257}
          value: 21.64
  obligations:
    grows:
      formula: "cap ≥ ln(v)"
invariants:
  - id: INV-WARM-001
    description: warm-up
    formulas: [cap]
gates:
  - id: GATE-WARM-001
    rule: "warm-up (INV-WARM-001)"
    verdict: pending
    evidence_discharged_by:
      - tests/test_warmup_does_not_exist.py::test_nothing
"""


def warm_up(checker: Checker, root: Path) -> None:
    for _ in range(2):  # the formula check warms sympy up from its second file on
        checker.check(root / "pv-lsp-warmup.yaml", WARMUP_TEXT, None)
