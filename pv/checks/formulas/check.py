"""Engine entry point for formula checks (registered as pure: depends only on the document).

Cheap to import and cheap on contracts without formulas: the symbolic
modules (and sympy) are imported only when the contract has a `formulas:`
section with something to evaluate.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pv.core.document import Document
from pv.core.findings import Finding

_OWNERS = ("invariants", "gates")


def _has_refs(data: dict[str, Any]) -> bool:
    for owner in _OWNERS:
        items = data.get(owner)
        if isinstance(items, list) and any(isinstance(i, dict) and "formulas" in i for i in items):
            return True
    return False


def check(doc: Document, ctx: Any) -> Iterable[Finding]:
    data = doc.data
    if not isinstance(data, dict):
        return []
    findings: list[Finding] = []
    if "formulas" in data or _has_refs(data):
        from pv.checks.formulas.contract import check_contract

        findings += check_contract(doc, ctx)
    if any(key in data for key in ("equations", "proof_obligations", "falsification_tests")):
        from pv.checks.formulas.judge import check_kernel

        findings += check_kernel(doc, ctx)
    return findings
