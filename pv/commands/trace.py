"""`pv trace`: invariants -> gates -> tests, and tests that claim a gate which does not list them.

Exit status: 0 clean, 1 findings at error level (or warnings with
`--strict`), 2 usage error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from pv.commands.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    echo_printable,
    format_finding,
    load_evidence_contracts,
)
from pv.core.findings import Finding, Severity


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
    from pv.checks.evidence.trace import scan_markers, trace_contract, unlisted

    root_path, contracts, load_findings = load_evidence_contracts(paths, root)
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
        echo_printable(format_finding(finding))
    for t in traces:
        echo_printable(f"{t.file}" + (f" ({t.contract_id})" if t.contract_id else ""))
        gates = {g.id: g for g in t.gates}
        for inv in t.invariants:
            echo_printable(f"  {inv.id}")
            for ref in inv.harness:
                echo_printable(f"    harness {ref.ref} [{ref.classification}]")
            for gate_id in inv.gates:
                gate = gates[gate_id]
                echo_printable(f"    -> {gate_id} ({gate.discharge_status or gate.verdict or 'no status'})")
                for ref in gate.tests:
                    echo_printable(f"         {ref.ref} [{ref.classification}]")
                if not gate.tests:
                    echo_printable("         (no evidence)")
        orphans = [g for g in t.gates if not g.invariants]
        for gate in orphans:
            echo_printable(f"  (no invariant) -> {gate.id} ({gate.discharge_status or gate.verdict or 'no status'})")
            for ref in gate.tests:
                echo_printable(f"         {ref.ref} [{ref.classification}]")
        echo_printable(f"  uncovered invariants: {', '.join(t.uncovered) or 'none'}")
        echo_printable(f"  gates without evidence: {', '.join(t.without_evidence) or 'none'}")
        echo_printable()
    if no_markers:
        return
    if loose:
        echo_printable("tests that declare a gate which does not list them:")
        for u in loose:
            echo_printable(format_finding(u.finding()))
    else:
        echo_printable("tests that declare a gate which does not list them: none")
