"""Kernel contracts: how much of `equations.*.formula` and `proof_obligations[].formal`
pv's grammar can read. One info finding per file, never an error; no sympy.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from pv.checks.formulas.grammar import FormulaError, parse
from pv.core.document import Document, YamlPath
from pv.core.findings import Finding

_SPLIT = re.compile(r"[;\n]")


def collect(data: dict[str, Any]) -> list[tuple[str, YamlPath, str]]:
    """(kind, path, text) of every kernel formula in the document."""
    out: list[tuple[str, YamlPath, str]] = []
    equations = data.get("equations")
    if isinstance(equations, dict):
        for name, spec in equations.items():
            if isinstance(spec, dict) and isinstance(spec.get("formula"), str):
                out.append(("equations", ("equations", name, "formula"), spec["formula"]))
    obligations = data.get("proof_obligations")
    if isinstance(obligations, list):
        for i, spec in enumerate(obligations):
            if isinstance(spec, dict) and isinstance(spec.get("formal"), str):
                out.append(("proof obligations", ("proof_obligations", i, "formal"), spec["formal"]))
    return out


def failure_reason(text: str) -> str | None:
    """None when every statement of `text` (split at `;` and line breaks) parses, else why not."""
    pieces = [p for p in _SPLIT.split(text) if p.strip()]
    if not pieces:
        return "empty"
    for piece in pieces:
        try:
            parse(piece, strict=False)
        except FormulaError as exc:
            return exc.reason
    return None


def summarize(doc: Document) -> list[Finding]:
    if not isinstance(doc.data, dict):
        return []
    items = collect(doc.data)
    if not items:
        return []
    parsed: Counter[str] = Counter()
    total: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for kind, _path, text in items:
        total[kind] += 1
        reason = failure_reason(text)
        if reason is None:
            parsed[kind] += 1
        else:
            reasons[reason] += 1
    parts = ", ".join(f"{kind} {parsed[kind]} of {total[kind]}" for kind in total)
    message = (f"pv's formula grammar parses {sum(parsed.values())} of {sum(total.values())} "
               f"formulas ({parts})")
    if reasons:
        message += "; the rest: " + ", ".join(f"{r} ×{n}" for r, n in reasons.most_common(3))
    anchor = ("equations",) if "equations" in doc.data else ("proof_obligations",)
    return [doc.finding(anchor, "PV300", message, key=True,
                        hint="formulas in a `formulas:` section are checked, not just parsed")]
