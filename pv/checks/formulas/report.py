"""Plain data for `pv formulas`: every formula of a contract, where it is, how pv read it, its verdict.

Kernel strings come from `pv.checks.formulas.kernel`; a `formulas:` section's
formulas from its model, with the verdicts the formula check reports for them
(claims, obligations). Rendering is the command's job.
"""

from __future__ import annotations

from typing import Any

from pv.checks.formulas.exact import fmt
from pv.checks.formulas.kernel import Reading, Summary, link_text, read_contract
from pv.checks.formulas.pretty import pretty
from pv.core.document import Document
from pv.core.findings import Finding

_VERDICT_CODES = {"PV320": "refuted", "PV321": "undecided", "PV322": "proved", "PV310": "claim wrong",
                  "PV311": "claim invalid", "PV301": "not understood", "PV302": "too large", "PV303": "undeclared name",
                  "PV306": "cycle", "PV308": "type error", "PV350": "false"}


def _dotted(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def kernel_entry(doc: Document, reading: Reading) -> dict[str, Any]:
    line, col = doc.position_in_scalar(reading.site.path, 0)
    entry: dict[str, Any] = {"path": _dotted(reading.site.path), "line": line, "col": col,
                             "kind": reading.site.kind, "text": reading.site.text, "status": reading.status}
    if reading.node is not None:
        entry["read_as"] = pretty(reading.node)
    if reading.status == "not understood":
        at = doc.position_in_scalar(reading.site.path, reading.error_index)
        entry["reason"] = reading.reason
        entry["reason_at"] = {"line": at[0], "col": at[1]}
    if reading.bindings:
        entry["bindings"] = {k: fmt(v) for k, v in sorted(reading.bindings.items())}
    statements = []
    for link in reading.links:
        verdict = "true" if link.verdict else ("false" if link.verdict is False else "too close to call")
        statements.append({"statement": link_text(link), "left": fmt(link.left), "right": fmt(link.right),
                           "verdict": verdict})
    if statements:
        entry["statements"] = statements
        entry["verdict"] = "false" if any(s["verdict"] == "false" for s in statements) else "true"
    return entry


def section_entries(doc: Document, findings: list[Finding]) -> list[dict[str, Any]]:
    """The `formulas:` section's formulas with the verdicts found for them."""
    from pv.checks.formulas.model import load_section
    from pv.checks.formulas.nodes import show

    section = load_section(doc)
    out = []
    for formula in section.formulas.values():
        line, col = doc.position_in_scalar(formula.path, 0)
        prefix = _dotted(formula.item_path)
        mine = [f for f in findings if f.path == _dotted(formula.path) or f.path.startswith(prefix + ".")
                or f.path == prefix]
        verdicts = sorted({_VERDICT_CODES[f.code] for f in mine if f.code in _VERDICT_CODES})
        entry: dict[str, Any] = {"path": _dotted(formula.path), "line": line, "col": col,
                                 "kind": formula.section[:-1], "name": formula.name, "text": formula.text,
                                 "status": "formula" if formula.node is not None else "not understood"}
        if formula.node is not None:
            entry["read_as"] = pretty(formula.node)
            entry["canonical"] = show(formula.node)
        if verdicts:
            entry["verdict"] = ", ".join(verdicts)
        if formula.section == "definitions" and formula.claims and formula.ok and not verdicts:
            entry["verdict"] = f"{len(formula.claims)} claim(s) hold"
        entry["findings"] = [{"code": f.code, "line": f.line, "col": f.col, "message": f.message} for f in mine
                             if f.code != "PV300"]
        out.append(entry)
    return out


def contract_report(doc: Document, findings: list[Finding]) -> dict[str, Any]:
    """Every formula of one contract; `findings` are the formula check's own for this file."""
    data = doc.data if isinstance(doc.data, dict) else {}
    readings = read_contract(data)
    entries = [kernel_entry(doc, r) for r in readings]
    from pv.checks.formulas.judge import obligations

    _, candidates = obligations(doc, readings)
    decided = {id(c.reading): c.outcome for c in candidates if c.outcome is not None}
    for entry, reading in zip(entries, readings, strict=True):
        outcome = decided.get(id(reading))
        if outcome is not None:
            entry["verdict"] = outcome.status
            why = outcome.method if outcome.status != "undecided" else outcome.note or "no proof found and no " \
                f"counterexample in {outcome.points} point(s)"
            if outcome.counterexample:
                why += " (" + ", ".join(f"{k} = {v}" for k, v in outcome.counterexample.items()) + ")"
            entry["why"] = why
    if "formulas" in data:
        entries += section_entries(doc, findings)
    summary = Summary.of(readings)
    return {"file": doc.file, "formulas": entries, "summary": {
        "strings": summary.total, "formulas": summary.formulas, "prose": summary.prose,
        "placeholders": summary.placeholders, "code": summary.code, "opted_out": summary.opted_out,
        "not_understood": summary.not_understood, "closed_true": summary.true_links,
        "closed_false": summary.false_links, "bound_checked": summary.bound,
        "section_formulas": sum(1 for e in entries if "name" in e)}}
