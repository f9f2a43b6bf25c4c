"""Findings about the formulas of kernel contracts (PV300, PV350–PV352), from their readings."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pv.checks.formulas.exact import fmt
from pv.checks.formulas.kernel import Reading, Summary, is_required, link_values, read_contract
from pv.checks.formulas.nodes import Compare
from pv.checks.formulas.pretty import pretty
from pv.core.document import Document
from pv.core.findings import Finding

_SIGN = {"<=": "≤", ">=": "≥", "!=": "≠", "in": "∈", "notin": "∉"}


def _at(doc: Document, reading: Reading, start: int, end: int, code: str, message: str, **kw) -> Finding:
    path = reading.site.path
    line, col = doc.position_in_scalar(path, start)
    finding = doc.finding(path, code, message, at=(line, col), **kw)
    end_line, end_col = doc.position_in_scalar(path, max(end, start + 1))
    if end_line == line and end_col > col:
        import dataclasses

        finding = dataclasses.replace(finding, end_line=end_line, end_col=end_col)
    return finding


def _false_message(reading: Reading, node: Compare, index: int, link) -> tuple[str, str]:
    op = node.ops[index]
    left, right = node.operands[index], node.operands[index + 1]
    stated = f"{pretty(left)} {_SIGN.get(op, op)} {pretty(right)}"
    values = link_values(link)
    where = ""
    if reading.bindings:
        where = " with " + ", ".join(f"{k} = {fmt(v)}" for k, v in sorted(reading.bindings.items())) + \
            " (as the equation states)"
    tolerance = f" (tolerance {fmt(link.tolerance)})" if link.tolerance is not None else ""
    message = f"`{stated}` is false{where}: {values}{tolerance}"
    hint = f"the true value of `{pretty(left)}` is {fmt(link.left)}" if not isinstance(link.right, str) else \
        "fix the statement or its numbers"
    return message, hint


def _shape_mismatches(readings: list[Reading]) -> dict[int, list]:
    """PV354 per reading: shapes declared in the equation's domain (`W ∈ ℝ^{m×n}`) apply to its formulas."""
    from pv.checks.formulas.shapes import declared_shapes, mismatches

    declared: dict[str, dict] = {}
    for reading in readings:
        if reading.node is not None and reading.site.kind == "domain" and reading.site.group:
            declared.setdefault(reading.site.group, {}).update(declared_shapes(reading.node, reading.site.text))
    out: dict[int, list] = {}
    for reading in readings:
        if reading.node is None or "@" not in reading.site.text and "[" not in reading.site.text \
                and "∈" not in reading.site.text:
            continue
        try:
            found = mismatches(reading.node, reading.site.text, declared.get(reading.site.group),
                               reading.bindings)
        except RecursionError:
            found = []
        if found:
            out[id(reading)] = found
    return out


def findings(doc: Document, readings: list[Reading]) -> list[Finding]:
    out: list[Finding] = []
    shape_mismatches = _shape_mismatches(readings)
    for reading in readings:
        if reading.status == "placeholder" and is_required(reading):
            field = reading.site.path[-1]
            out.append(doc.finding(reading.site.path, "PV351", f"`{field}` is a placeholder "
                                   f"({reading.site.text.strip() or 'empty'!r}), not a formula",
                                   hint="write the formula, or remove the entry until it exists"))
        for link in reading.false_links:
            message, hint = _false_message(reading, link.node, link.index, link)
            out.append(_at(doc, reading, link.start, link.end, "PV350", message, hint=hint))
        for mismatch in shape_mismatches.get(id(reading), []):
            out.append(_at(doc, reading, mismatch.start, mismatch.end, "PV354", mismatch.message,
                           hint="fix the dimensions or the order of the operands (`^T` transposes)"))
        for start, end in reading.ambiguous:
            text = reading.site.text[start:end]
            out.append(_at(doc, reading, start, end, "PV352", f"`…{text}…` reads as (…/…)·…: "
                           "a `/` followed by an implicit product divides by the first factor only",
                           hint="add brackets: write `x/(2y)` for x over 2y, or `(x/2)·y`"))
    return out


def summary(doc: Document, readings: list[Reading], candidates: list | None = None) -> list[Finding]:
    if not readings:
        return []
    s = Summary.of(readings)
    verdicts = Counter(c.outcome.status for c in candidates or [] if c.outcome is not None)
    read_ = s.formulas
    candidates = s.formulas + s.not_understood
    others = [text for count, text in ((s.prose, f"{s.prose} prose"), (s.placeholders, f"{s.placeholders} "
              "placeholders"), (s.code, f"{s.code} source code"), (s.opted_out, f"{s.opted_out} marked prose"))
              if count]
    message = (f"pv reads {read_} of {candidates} formulas"
               + (f" (other strings: {', '.join(others)})" if others else "")
               + f"; {s.true_links + s.false_links} closed statements evaluated "
               f"({s.true_links} true, {s.false_links} false)")
    if verdicts:
        message += (f"; obligations: {verdicts['proved']} proved, {verdicts['refuted']} refuted, "
                    f"{verdicts['undecided']} undecided")
    if s.reasons:
        message += "; not understood: " + ", ".join(f"{r} ×{n}" for r, n in s.reasons.most_common(3))
    anchor = ("equations",) if isinstance(doc.data, dict) and "equations" in doc.data else (
        next((k for k in ("proof_obligations", "falsification_tests") if k in doc.data), ()))
    anchor = anchor if isinstance(anchor, tuple) else (anchor,)
    return [doc.finding(anchor, "PV300", message, key=True,
                        hint="`pv formulas FILE` shows how pv read each formula")]


def obligations(doc: Document, readings: list[Reading], ctx: Any = None) -> tuple[list[Finding], list]:
    """Decide the kernel obligations pv's prover can read: PV322 proved, PV320 refuted (domains stated)."""
    from pv.checks.formulas.kernel_obligations import candidate, contract_domains, decide_all, definitions
    from pv.checks.formulas.memo import Memo

    stated = contract_domains(readings)
    defs = definitions(readings)
    found = [c for c in (candidate(r, stated, defs) for r in readings) if c is not None]
    if not found:
        return [], []
    decide_all(found, Memo.for_context(ctx))
    out: list[Finding] = []
    for c in found:
        outcome = c.outcome
        if outcome is None:
            continue
        path = c.reading.site.path
        at = doc.position_in_scalar(path, 0)
        if outcome.status == "proved":
            stated = ", ".join(f"{k}: {v.describe()}" for k, v in sorted(c.domains.items()) if v.describe() != "real")
            assumed = f"; assuming {stated}, as the contract's domains state" if stated else ""
            if c.defs:
                assumed += "; with " + ", ".join(f"{k} = {pretty(v)}" for k, v in sorted(c.defs.items())) + \
                    " as its equations define"
            out.append(doc.finding(path, "PV322", f"obligation `{pretty(c.reading.node)}` is proved "
                                   f"({outcome.method}{assumed})", at=at))
        elif outcome.status == "refuted":
            point = ", ".join(f"{k} = {v}" for k, v in outcome.counterexample.items())
            detail = f": {outcome.detail}" if outcome.detail else ""
            defined = "; with " + ", ".join(f"{k} = {pretty(v)}" for k, v in sorted(c.defs.items())) + \
                " as its equations define" if c.defs else ""
            out.append(doc.finding(path, "PV320", f"obligation `{pretty(c.reading.node)}` is refuted: "
                                   f"counterexample {point}{detail} (checked exactly, inside the domains the "
                                   f"contract states{defined})", at=at,
                                   hint="fix the formula, its direction, or the stated domains"))
    return out, found


def check_kernel(doc: Document, ctx: Any = None) -> list[Finding]:
    readings = read_contract(doc.data)
    decided, candidates = obligations(doc, readings, ctx)
    return findings(doc, readings) + decided + summary(doc, readings, candidates)
