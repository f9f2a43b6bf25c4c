"""`pv discharge` (run the evidence) and `pv trace` (invariants -> gates -> tests).

Exit status: 0 clean, 1 findings at error level (or warnings with
`--strict`), 2 usage error, nothing to do, or an internal error.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from pv.commands.common import EXIT_FINDINGS, EXIT_OK, exit_code
from pv.commands.common import usage_error as _fail
from pv.findings import Finding, Severity


@dataclass
class _Contract:
    doc: object  # pv.document.Document
    results: list  # list[OwnerResult]
    key: str


def _load(paths: tuple[Path, ...], root_opt: Path | None) -> tuple[Path, list[_Contract], list[Finding]]:
    from pv.commands.common import resolve_targets
    from pv.evidence.check import analyze
    from pv.loader import load

    targets = resolve_targets(paths, root_opt)
    root, config, files = targets.root, targets.config, targets.files
    contracts: list[_Contract] = []
    load_findings: list[Finding] = []
    for path in files:
        doc, findings = load(path, root, config.limits)
        load_findings.extend(findings)
        if doc is not None:
            contracts.append(_Contract(doc, analyze(doc, root), doc.file))
    return root, contracts, load_findings


def _format_finding(f: Finding) -> str:
    text = f"{f.file}:{f.line}:{f.col}: {f.severity.label} {f.code} {f.message}"
    return text + (f"\n    hint: {f.hint}" if f.hint else "")


def _echo(text: str = "") -> None:
    """Print a text-report line; contract text in it (refs, ids) cannot reach the terminal raw."""
    from pv.reports.common import printable

    click.echo(printable(text))


# --- pv discharge ----------------------------------------------------------------

_RESOLUTION_LABEL = {"missing-file": "missing", "missing-symbol": "missing", "unresolvable": "unresolvable",
                     "unsafe": "refused"}


def _row_outcome(entry, res, outcome) -> str:
    if entry.role == "live":
        return "prose"
    if not res.ok:
        return _RESOLUTION_LABEL.get(res.status, res.status)
    return outcome.status if outcome is not None else "not-run"


def _gate_outcome(rows: list[dict], pending: bool) -> str:
    checkable = [r for r in rows if r["outcome"] != "prose"]
    if not checkable:
        return "no-evidence"
    statuses = {r["outcome"] for r in checkable}
    if statuses <= {"passed", "exists"}:
        return "passed"
    if pending:
        return "pending"
    if statuses & {"failed", "error", "missing", "refused", "unresolvable", "not-found", "skipped", "xfailed"}:
        return "failed"
    return "incomplete"


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--root", type=click.Path(file_okay=False, path_type=Path),
              help="Repository root that evidence paths are relative to "
                   "(default: nearest parent with pyproject.toml or .git).")
@click.option("--junit", type=click.Path(dir_okay=False, path_type=Path),
              help="Read test outcomes from this JUnit XML report instead of running anything.")
@click.option("--gate", "gates", multiple=True, metavar="ID", help="Only these gates. Repeatable.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--timeout", type=click.FloatRange(min=1), default=600, show_default=True,
              help="Seconds allowed for each test run (pytest, each cargo crate).")
@click.option("--python", "python", metavar="EXE", help="Python that runs pytest (default: this one).")
@click.option("--no-rust", is_flag=True, help="Do not run Rust evidence (reported as not run).")
@click.option("--strict", is_flag=True, help="Warnings fail the run too (exit 1).")
def discharge(paths: tuple[Path, ...], root: Path | None, junit: Path | None, gates: tuple[str, ...],
              fmt: str, timeout: float, python: str | None, no_rust: bool, strict: bool) -> None:
    """Run the tests that gates cite and show gate -> tests -> outcome.

    Python evidence runs with pytest in a subprocess (only the cited node
    ids); Rust evidence runs with `cargo test` where cargo exists, else it is
    reported as not run. With --junit, outcomes come from an existing report.
    A gate that claims pass while one of its tests fails is an error.
    """
    from pv.evidence import policy, runner

    if not math.isfinite(timeout):  # FloatRange lets nan (and inf) through
        _fail("--timeout must be a finite number of seconds")

    root_path, contracts, findings = _load(paths, root)
    report = None
    if junit is not None:
        try:
            report = (runner.read_junit(junit), str(junit))
        except OSError as exc:
            _fail(f"cannot read --junit {junit}: {exc.strerror or exc}")
    if gates:
        wanted = set(gates)
        for contract in contracts:
            contract.results = [r for r in contract.results if r.owner.id in wanted]
        found = {r.owner.id for c in contracts for r in c.results}
        missing = sorted(wanted - found)
        if missing:
            _fail("no such gate: " + ", ".join(missing))
    if not any(r.owner.entries for c in contracts for r in c.results):
        if any(f.severity == Severity.ERROR for f in findings):  # e.g. a contract that does not parse
            findings.sort()
            if fmt == "json":
                click.echo(json.dumps(_discharge_json(root_path, [], findings), indent=2))
            else:
                _discharge_text([], findings)
            sys.exit(EXIT_FINDINGS)
        _fail("no gate cites any evidence; nothing to discharge")
    try:
        outcomes = runner.run_all([(c.key, c.results) for c in contracts], root_path, junit=report,
                                  python=python, timeout=timeout, rust=not no_rust)
    except runner.JUnitError as exc:
        _fail(f"cannot use --junit {junit}: {exc}")
    payload = []
    for contract in contracts:
        doc = contract.doc
        findings.extend(policy.static_findings(doc, contract.results, root_path, policy.contract_status(doc)))
        findings.extend(policy.run_findings(doc, contract.results, outcomes, contract.key))
        payload.append(_contract_rows(contract, outcomes))
    findings.sort()
    code = exit_code(findings, strict)
    if fmt == "json":
        click.echo(json.dumps(_discharge_json(root_path, payload, findings), indent=2))
    else:
        _discharge_text(payload, findings)
    sys.exit(code)


def _contract_rows(contract: _Contract, outcomes: dict) -> dict:
    from pv.evidence.policy import CLAIMED, PENDING, stance

    doc = contract.doc
    gates = []
    for result in contract.results:
        owner = result.owner
        if not (owner.entries or owner.is_gate):
            continue
        rows = []
        for entry, res in zip(owner.entries, result.resolutions):
            outcome = outcomes.get((contract.key, entry.path))
            line, col, _, _ = doc.span(entry.path)
            rows.append({
                "ref": entry.ref.display, "line": line, "col": col, "role": entry.role, "form": entry.ref.form,
                "classification": "prose" if entry.role == "live" else res.status,
                "outcome": _row_outcome(entry, res, outcome),
                "message": (outcome.message if outcome is not None and res.ok else res.message) or "",
                "duration": outcome.duration if outcome is not None else None,
            })
        gates.append({
            "id": owner.id, "line": doc.span(owner.path)[0], "section": owner.section,
            "discharge_status": owner.discharge_status, "verdict": owner.verdict,
            "ship_blocking": owner.ship_blocking, "claims_discharge": stance(owner) == CLAIMED,
            "outcome": _gate_outcome(rows, stance(owner) == PENDING), "evidence": rows,
        })
    contract_id = doc.get(("contract_id",))
    return {"file": doc.file, "contract_id": contract_id if isinstance(contract_id, str) else None,
            "status": doc.get(("status",)) if isinstance(doc.get(("status",)), str) else None, "gates": gates}


def _summary(payload: list[dict], findings: list[Finding]) -> dict:
    outcomes: dict[str, int] = {}
    gate_outcomes: dict[str, int] = {}
    for contract in payload:
        for gate in contract["gates"]:
            gate_outcomes[gate["outcome"]] = gate_outcomes.get(gate["outcome"], 0) + 1
            for row in gate["evidence"]:
                outcomes[row["outcome"]] = outcomes.get(row["outcome"], 0) + 1
    return {
        "contracts": len(payload),
        "gates": sum(len(c["gates"]) for c in payload),
        "gate_outcomes": gate_outcomes,
        "evidence_outcomes": outcomes,
        "errors": sum(f.severity == Severity.ERROR for f in findings),
        "warnings": sum(f.severity == Severity.WARNING for f in findings),
        "infos": sum(f.severity == Severity.INFO for f in findings),
    }


def _discharge_json(root: Path, payload: list[dict], findings: list[Finding]) -> dict:
    return {"root": str(root), "contracts": payload, "findings": [f.to_dict() for f in findings],
            "summary": _summary(payload, findings)}


def _discharge_text(payload: list[dict], findings: list[Finding]) -> None:
    for contract in payload:
        head = contract["file"]
        extra = ", ".join(x for x in (contract["contract_id"], contract["status"]) if x)
        _echo(f"{head}" + (f" ({extra})" if extra else ""))
        for gate in contract["gates"]:
            facts = [gate["discharge_status"] or "no discharge_status",
                     f"verdict {gate['verdict']}" if gate["verdict"] else "no verdict"]
            if gate["ship_blocking"]:
                facts.append("ship-blocking")
            _echo(f"  {gate['id']:<24} {gate['outcome']:<12} ({', '.join(facts)})")
            for row in gate["evidence"]:
                took = f"  {row['duration']:.2f} s" if row["duration"] is not None else ""
                note = f"  - {row['message']}" if row["message"] and row["outcome"] not in ("passed",) else ""
                _echo(f"    {row['outcome']:<13} {row['ref']}{took}{note}")
            if not gate["evidence"]:
                _echo("    (no evidence cited)")
        _echo()
    shown = [f for f in findings if f.severity >= Severity.WARNING]
    for finding in shown:
        _echo(_format_finding(finding))
    s = _summary(payload, findings)
    parts = ", ".join(f"{n} {k}" for k, n in sorted(s["evidence_outcomes"].items()))
    _echo(f"{s['gates']} gates; evidence: {parts or 'none'}; "
               f"{s['errors']} errors, {s['warnings']} warnings, {s['infos']} notes")


# --- pv trace --------------------------------------------------------------------


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--root", type=click.Path(file_okay=False, path_type=Path),
              help="Repository root (default: nearest parent with pyproject.toml or .git).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--no-markers", is_flag=True, help="Do not scan test files for @pytest.mark.contract markers.")
@click.option("--strict", is_flag=True,
              help="Exit 1 when an invariant is uncovered, a gate has no evidence, or a marked test is unlisted.")
def trace(paths: tuple[Path, ...], root: Path | None, fmt: str, no_markers: bool, strict: bool) -> None:
    """Trace invariants -> gates -> tests, and marked tests back to their gates.

    Lists invariants that no gate covers, gates without evidence, and tests
    marked `@pytest.mark.contract("GATE-…")` that the gate does not list.
    """
    from pv.evidence.trace import scan_markers, trace_contract, unlisted

    root_path, contracts, load_findings = _load(paths, root)
    traces = [trace_contract(c.doc, c.results) for c in contracts]
    markers = [] if no_markers else scan_markers(root_path)
    loose = unlisted(traces, markers)
    gaps = any(t.uncovered or t.without_evidence for t in traces) or bool(loose)
    failed_load = any(f.severity == Severity.ERROR for f in load_findings)
    if fmt == "json":
        click.echo(json.dumps({
            "root": str(root_path),
            "contracts": [t.to_dict() for t in traces],
            "unlisted_markers": [u.to_dict() for u in loose],
            "markers_scanned": not no_markers,
            "load_findings": [f.to_dict() for f in load_findings],
        }, indent=2))
    else:
        _trace_text(traces, loose, load_findings, no_markers)
    sys.exit(EXIT_FINDINGS if failed_load or (strict and gaps) else EXIT_OK)


def _trace_text(traces, loose, load_findings: list[Finding], no_markers: bool) -> None:
    for finding in load_findings:
        _echo(_format_finding(finding))
    for t in traces:
        _echo(f"{t.file}" + (f" ({t.contract_id})" if t.contract_id else ""))
        gates = {g.id: g for g in t.gates}
        for inv in t.invariants:
            _echo(f"  {inv.id}")
            for ref in inv.harness:
                _echo(f"    harness {ref.ref} [{ref.classification}]")
            for gate_id in inv.gates:
                gate = gates[gate_id]
                _echo(f"    -> {gate_id} ({gate.discharge_status or gate.verdict or 'no status'})")
                for ref in gate.tests:
                    _echo(f"         {ref.ref} [{ref.classification}]")
                if not gate.tests:
                    _echo("         (no evidence)")
        orphans = [g for g in t.gates if not g.invariants]
        for gate in orphans:
            _echo(f"  (no invariant) -> {gate.id} ({gate.discharge_status or gate.verdict or 'no status'})")
            for ref in gate.tests:
                _echo(f"         {ref.ref} [{ref.classification}]")
        _echo(f"  uncovered invariants: {', '.join(t.uncovered) or 'none'}")
        _echo(f"  gates without evidence: {', '.join(t.without_evidence) or 'none'}")
        _echo()
    if no_markers:
        return
    if loose:
        _echo("tests that declare a gate which does not list them:")
        for u in loose:
            _echo(_format_finding(u.finding()))
    else:
        _echo("tests that declare a gate which does not list them: none")
