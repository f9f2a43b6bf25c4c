"""`pv discharge`: run (or read) the tests each gate cites and report every gate's outcome.

Exit status: 0 clean, 1 findings at error level (or warnings with
`--strict`), 2 usage error, nothing to do, or an internal error.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import click

from pv.commands.common import (
    EXIT_FINDINGS,
    EvidenceContract,
    echo_printable,
    exit_code,
    format_finding,
    load_evidence_contracts,
)
from pv.commands.common import usage_error as _fail
from pv.core.findings import Finding, Severity

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
    from pv.checks.evidence import policy, runner

    if not math.isfinite(timeout):  # FloatRange lets nan (and inf) through
        _fail("--timeout must be a finite number of seconds")

    root_path, contracts, findings = load_evidence_contracts(paths, root)
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


def _contract_rows(contract: EvidenceContract, outcomes: dict) -> dict:
    from pv.checks.evidence.policy import CLAIMED, PENDING, stance

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
        echo_printable(f"{head}" + (f" ({extra})" if extra else ""))
        for gate in contract["gates"]:
            facts = [gate["discharge_status"] or "no discharge_status",
                     f"verdict {gate['verdict']}" if gate["verdict"] else "no verdict"]
            if gate["ship_blocking"]:
                facts.append("ship-blocking")
            echo_printable(f"  {gate['id']:<24} {gate['outcome']:<12} ({', '.join(facts)})")
            for row in gate["evidence"]:
                took = f"  {row['duration']:.2f} s" if row["duration"] is not None else ""
                note = f"  - {row['message']}" if row["message"] and row["outcome"] not in ("passed",) else ""
                echo_printable(f"    {row['outcome']:<13} {row['ref']}{took}{note}")
            if not gate["evidence"]:
                echo_printable("    (no evidence cited)")
        echo_printable()
    shown = [f for f in findings if f.severity >= Severity.WARNING]
    for finding in shown:
        echo_printable(format_finding(finding))
    s = _summary(payload, findings)
    parts = ", ".join(f"{n} {k}" for k, n in sorted(s["evidence_outcomes"].items()))
    echo_printable(f"{s['gates']} gates; evidence: {parts or 'none'}; "
               f"{s['errors']} errors, {s['warnings']} warnings, {s['infos']} notes")


# --- pv trace --------------------------------------------------------------------
