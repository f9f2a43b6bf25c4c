"""The evidence check the engine runs on every contract (impure: it reads cited files).

`check(doc, ctx)` resolves every evidence entry statically and applies the
discharge policy. With `ctx.options["run"]` (`pv validate --run`) it also
runs the cited tests; with `ctx.options["junit"]` (a path) it reads their
outcomes from a JUnit report instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported lazily: `applies` must stay cheap for the engine's cache path
    from pv.checks.evidence.policy import OwnerResult
    from pv.core.document import Document
    from pv.core.findings import Finding

_KEYS = frozenset({"evidence_discharged_by", "harness_discharged_by", "evidence_discharged_by_live",
                   "evidence_file", "discharge_status", "ship_blocking"})


def applies(data: Any) -> bool:
    """Whether the check has anything to look at in a document's data (lets the engine skip it)."""
    if isinstance(data, dict) and isinstance(data.get("gates"), list) and data["gates"]:
        return True
    stack, seen = [data], 0
    while stack and seen < 200_000:
        node = stack.pop()
        seen += 1
        if isinstance(node, dict):
            if not _KEYS.isdisjoint(node) or isinstance(node.get("harness"), list):
                return True  # a `harness` string (Kani harness name) is not evidence
            stack.extend(v for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, (dict, list)))
    return seen >= 200_000  # when in doubt, run the check


def analyze(doc: Document, root: Path) -> list[OwnerResult]:
    """Every owner (gate, falsification test, invariant…) with the resolution of each entry."""
    from pv.checks.evidence.policy import OwnerResult
    from pv.checks.evidence.resolve import hint_bare_names, resolve
    from pv.checks.evidence.sites import collect

    results = []
    for owner in collect(doc):
        resolutions = [resolve(entry.ref, root) for entry in owner.entries]
        hint_bare_names(resolutions, root)
        results.append(OwnerResult(owner, resolutions))
    return results


def _root(doc: Document, ctx: Any) -> Path:
    root = getattr(ctx, "root", None)
    return Path(root) if root is not None else Path(doc.root)


def check(doc: Document, ctx: Any) -> list[Finding]:
    if not applies(doc.data):  # most contracts: nothing to look at, nothing more to import
        return []
    from pv.checks.evidence import policy

    root = _root(doc, ctx)
    results = analyze(doc, root)
    findings = policy.static_findings(doc, results, root, policy.contract_status(doc))
    options = getattr(ctx, "options", None) or {}
    junit = options.get("junit")
    if options.get("run") or junit:
        findings.extend(_run(doc, results, root, options))
    return findings


def _run(doc: Document, results: list[OwnerResult], root: Path, options: dict) -> list[Finding]:
    from pv.checks.evidence import policy, runner

    junit = options.get("junit")
    report = None
    if junit:
        try:
            report = (runner.read_junit(str(junit)), str(junit))
        except OSError as exc:
            return [doc.finding((), "PV416", f"cannot read the JUnit report {junit}: {exc.strerror or exc}")]
    timeout = options.get("timeout")
    try:
        outcomes = runner.run_all([("", results)], root, junit=report, python=options.get("python"),
                                  timeout=float(timeout) if timeout else runner.DEFAULT_TIMEOUT)
    except runner.JUnitError as exc:
        return [doc.finding((), "PV416", f"cannot use the JUnit report {junit}: {exc}")]
    return policy.run_findings(doc, results, outcomes)
