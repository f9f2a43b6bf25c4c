"""Traceability: invariants -> gates -> tests, and tests -> the gates they declare.

A gate covers an invariant when its text names the invariant's id (gates
write `… (INV-TRAIN-005)` in their rule) or the invariant names the gate.
In reverse, test files under the root are scanned (with `ast`) for
`@pytest.mark.contract("GATE-…")` markers, and every marked test that its
gate does not list is reported.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pv.checks.evidence.policy import OwnerResult
from pv.checks.evidence.refs import PYTHON
from pv.checks.evidence.resolve import parsed
from pv.checks.evidence.sites import LIVE
from pv.core.document import Document
from pv.core.findings import Finding

_SKIP_DIRS = {"node_modules", "__pycache__", "build", "dist", "target", "site-packages", "venv"}
MAX_SCAN_FILES = 20000


@dataclass
class TestRef:
    ref: str
    line: int
    col: int
    classification: str  # resolved, missing-file, …


@dataclass
class GateTrace:
    id: str
    line: int
    section: str  # gates, falsification_tests, …
    discharge_status: str | None
    verdict: str | None
    invariants: list[str] = field(default_factory=list)
    tests: list[TestRef] = field(default_factory=list)


@dataclass
class InvariantTrace:
    id: str
    line: int
    gates: list[str] = field(default_factory=list)
    harness: list[TestRef] = field(default_factory=list)


@dataclass
class ContractTrace:
    file: str
    contract_id: str | None
    invariants: list[InvariantTrace]
    gates: list[GateTrace]
    listed: dict[str, set[tuple[str, tuple[str, ...]]]] = field(default_factory=dict, repr=False)

    @property
    def uncovered(self) -> list[str]:
        return [inv.id for inv in self.invariants if not inv.gates]

    @property
    def without_evidence(self) -> list[str]:
        return [g.id for g in self.gates if g.section == "gates" and not g.tests]

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "contract_id": self.contract_id,
            "invariants": [{"id": i.id, "line": i.line, "gates": i.gates,
                            "harness": [t.__dict__ for t in i.harness]} for i in self.invariants],
            "gates": [{"id": g.id, "line": g.line, "section": g.section,
                       "discharge_status": g.discharge_status, "verdict": g.verdict,
                       "invariants": g.invariants, "tests": [t.__dict__ for t in g.tests]} for g in self.gates],
            "uncovered_invariants": self.uncovered,
            "gates_without_evidence": self.without_evidence,
        }


@dataclass
class Marker:
    nodeid: str
    gate: str
    file: str
    line: int


@dataclass
class UnlistedMarker:
    marker: Marker
    reason: str
    contract: str | None = None
    gate_line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"code": "PV417", "test": self.marker.nodeid, "file": self.marker.file, "line": self.marker.line,
                "gate": self.marker.gate, "reason": self.reason, "contract": self.contract,
                "gate_line": self.gate_line}

    def finding(self) -> Finding:
        from pv.core import rules

        rule = rules.get("PV417")
        where = f" ({self.contract}:{self.gate_line})" if self.contract else ""
        return Finding(self.marker.file, self.marker.line, 1, rule.code, rule.severity,
                       f"`{self.marker.nodeid}` declares {self.marker.gate}, but {self.reason}{where}",
                       hint=f"add `{self.marker.nodeid}` to {self.marker.gate}'s evidence_discharged_by, "
                            "or fix the marker")


def _strings(node: Any, depth: int = 0) -> list[str]:
    if depth > 32:
        return []
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v, depth + 1)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v, depth + 1)]
    return []


def _mentions(texts: list[str], ident: str) -> bool:
    pattern = re.compile(r"(?<![\w-])" + re.escape(ident) + r"(?![\w]|-\w)")
    return any(pattern.search(t) for t in texts)


def _test_ref(doc: Document, entry, res) -> TestRef:
    line, col, _, _ = doc.span(entry.path)
    status = "prose" if entry.role == LIVE else res.status
    return TestRef(entry.ref.display, line, col, status)


def trace_contract(doc: Document, results: list[OwnerResult]) -> ContractTrace:
    invariants: list[InvariantTrace] = []
    raw_invariants = doc.get(("invariants",))
    inv_texts: dict[str, list[str]] = {}
    if isinstance(raw_invariants, list):
        for index, item in enumerate(raw_invariants):
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                invariants.append(InvariantTrace(item["id"], doc.span(("invariants", index))[0]))
                inv_texts[item["id"]] = _strings({k: v for k, v in item.items() if k != "id"})
    gates: list[GateTrace] = []
    listed: dict[str, set[tuple[str, tuple[str, ...]]]] = {}
    by_inv = {inv.id: inv for inv in invariants}
    for result in results:
        owner = result.owner
        if owner.section == "invariants":
            inv = by_inv.get(owner.id)
            if inv is not None:
                inv.harness.extend(_test_ref(doc, e, r) for e, r in zip(owner.entries, result.resolutions))
            continue
        if not (owner.is_gate or owner.entries):
            continue
        gate = GateTrace(owner.id, doc.span(owner.path)[0], owner.section, owner.discharge_status, owner.verdict)
        texts = _strings({k: v for k, v in owner.data.items() if k != "id"})
        for inv in invariants:
            if _mentions(texts, inv.id) or _mentions(inv_texts.get(inv.id, []), owner.id):
                gate.invariants.append(inv.id)
                inv.gates.append(owner.id)
        gate.tests = [_test_ref(doc, e, r) for e, r in zip(owner.entries, result.resolutions)]
        keys = listed.setdefault(owner.id, set())
        for entry, res in zip(owner.entries, result.resolutions):
            if entry.ref.form == PYTHON and entry.ref.file:
                keys.add((os.path.normpath(entry.ref.file), tuple(res.exact or entry.ref.symbol)))
        gates.append(gate)
    contract_id = doc.get(("contract_id",))
    return ContractTrace(doc.file, contract_id if isinstance(contract_id, str) else None, invariants, gates,
                         listed)


def _test_files(root: Path) -> list[Path]:
    found: list[Path] = []
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS
                         and not os.path.exists(os.path.join(directory, d, "pyvenv.cfg"))
                         and not os.path.islink(os.path.join(directory, d)))
        for name in sorted(files):
            if name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py")):
                found.append(Path(directory, name))
                if len(found) >= MAX_SCAN_FILES:
                    return found
    return found


def scan_markers(root: Path) -> list[Marker]:
    """Tests under the root that declare gates with `@pytest.mark.contract(...)`."""
    markers: list[Marker] = []
    real_root = Path(os.path.realpath(root))
    prefix = str(real_root).rstrip(os.sep) + os.sep
    for path in _test_files(real_root):
        real = os.path.realpath(path)
        if not real.startswith(prefix) or not os.path.isfile(real):
            continue  # a link out of the root, or not a regular file (a FIFO would block)
        try:
            with open(real, "rb") as handle:
                if b"contract" not in handle.read(4 * 1024 * 1024):
                    continue
        except OSError:
            continue
        module = parsed(path, PYTHON)
        rel = path.relative_to(real_root).as_posix()
        for qualname, fn in module.functions.items():
            if not fn.is_test:
                continue
            for gate in dict.fromkeys(fn.gates):
                markers.append(Marker(f"{rel}::{'::'.join(qualname)}", gate, rel, fn.line))
    return markers


def unlisted(contracts: list[ContractTrace], markers: list[Marker]) -> list[UnlistedMarker]:
    owners: dict[str, tuple[ContractTrace, GateTrace]] = {}
    for contract in contracts:
        for gate in contract.gates:
            owners.setdefault(gate.id, (contract, gate))
    out: list[UnlistedMarker] = []
    for marker in markers:
        hit = owners.get(marker.gate)
        if hit is None:
            out.append(UnlistedMarker(marker, f"no traced contract defines {marker.gate}"))
            continue
        contract, gate = hit
        file = os.path.normpath(marker.file)
        qualname = tuple(marker.nodeid.split("::")[1:])
        keys = contract.listed.get(gate.id, set())
        if not any(f == file and qualname[: len(sym)] == sym for f, sym in keys):
            out.append(UnlistedMarker(marker, f"{gate.id} does not list it", contract.file, gate.line))
    return out
