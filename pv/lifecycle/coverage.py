"""How much of each contract is backed by something that can fail.

Gated contracts: invariant -> gate (a gate lists it in `invariants`, binds to
it or names it in its rule) -> evidence (that gate cites at least one entry pv resolves to an existing
test or item). Kernel contracts: proof obligation -> falsification test (one
binds to the obligation's id, or its `rule` names the obligation's property)
-> harness (that test names a `harness`, or a Kani harness names the obligation).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pv.core.document import Document


@dataclass
class Row:
    item: str  # invariant id / obligation id or property
    link: str | None  # the gate / falsification test that covers it
    backed: bool  # the link has evidence / a harness


@dataclass
class Coverage:
    file: str
    family: str  # gated, kernel
    rows: list[Row] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def linked(self) -> int:
        return sum(1 for r in self.rows if r.link)

    @property
    def backed(self) -> int:
        return sum(1 for r in self.rows if r.link and r.backed)


def percent(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else 100.0


def _items(data: dict, key: str) -> list[dict]:
    value = data.get(key)
    return [i for i in value if isinstance(i, dict)] if isinstance(value, list) else []


def _norm(text: Any) -> str:
    return " ".join(str(text).lower().split()) if isinstance(text, str) else ""


def _names(gate: dict, ident: str) -> bool:
    """The gate lists the invariant, binds to it, or names it in its rule ("… (INV-TRAIN-001).")."""
    listed = gate.get("invariants")
    if isinstance(listed, list) and ident in listed or gate.get("binds_to") == ident:
        return True
    pattern = re.compile(rf"(?<![\w-]){re.escape(ident)}(?![\w-])")
    return any(isinstance(gate.get(k), str) and pattern.search(gate[k])
               for k in ("rule", "evidence_required", "description", "name"))


def gated(doc: Document, root: Path) -> Coverage:
    from pv.checks.evidence.check import analyze

    resolved: dict[str, bool] = {}
    for result in analyze(doc, root):
        owner = result.owner
        if owner.section == "gates":
            resolved[owner.id] = resolved.get(owner.id, False) or any(r.ok for r in result.resolutions)
    gates = _items(doc.data, "gates")
    cov = Coverage(doc.file, "gated")
    for inv in _items(doc.data, "invariants"):
        ident = inv.get("id")
        if not isinstance(ident, str):
            continue
        covering = [g for g in gates if _names(g, ident)]
        if not covering:
            cov.rows.append(Row(ident, None, False))
            continue
        backed = [g for g in covering if resolved.get(str(g.get("id")), False)]
        chosen = (backed or covering)[0]
        cov.rows.append(Row(ident, str(chosen.get("id")), bool(backed)))
    return cov


def kernel(doc: Document) -> Coverage:
    tests = _items(doc.data, "falsification_tests")
    kani = {str(h.get("obligation")) for h in _items(doc.data, "kani_harnesses") if h.get("obligation")}
    cov = Coverage(doc.file, "kernel")
    for index, ob in enumerate(_items(doc.data, "proof_obligations")):
        ident = ob.get("id") if isinstance(ob.get("id"), str) else None
        prop = _norm(ob.get("property"))
        name = ident or (ob.get("property") if isinstance(ob.get("property"), str) else f"proof_obligations[{index}]")
        covering = [t for t in tests
                    if (ident and t.get("binds_to") == ident) or (prop and _norm(t.get("rule")) == prop)]
        if not covering:
            cov.rows.append(Row(name, None, False))
            continue
        with_harness = [t for t in covering if isinstance(t.get("harness"), str) and t["harness"].strip()]
        backed = bool(with_harness) or (ident is not None and ident in kani)
        chosen = (with_harness or covering)[0]
        cov.rows.append(Row(name, str(chosen.get("id")), backed))
    return cov


def measure(doc: Document, root: Path) -> Coverage | None:
    data = doc.data
    if isinstance(data.get("invariants"), list) or isinstance(data.get("gates"), list):
        return gated(doc, root)
    if isinstance(data.get("proof_obligations"), list):
        return kernel(doc)
    return None
