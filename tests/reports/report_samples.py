"""Report fixtures shared by the report-format tests."""

from __future__ import annotations

from pathlib import Path

from pv.core.findings import Finding, Severity
from pv.core.report import Report

ROOT = Path("/repo")

SOURCE = (
    "contract_id: demo\n"
    "version: '1.0.0'\n"
    "gatse:\n"
    "  - id: GATE-1\n"
    "    verdict: PASSS\n"
)


def finding(line: int, col: int, code: str, severity: Severity, message: str, *,
            file: str = "contracts/demo-v1.yaml", path: str = "", hint: str | None = None,
            end_line: int | None = None, end_col: int | None = None) -> Finding:
    return Finding(file, line, col, code, severity, message, path=path, hint=hint,
                   end_line=end_line, end_col=end_col)


def sample_report() -> Report:
    """One error, one warning, one info and one position-less error, over two files."""
    findings = [
        finding(3, 1, "PV101", Severity.ERROR, "unknown key `gatse`", path="gatse",
                hint="did you mean `gates`?", end_line=3, end_col=6),
        finding(5, 14, "PV203", Severity.WARNING, "`PASSS` is not a known verdict", path="gatse[0].verdict",
                hint="did you mean `PASS`?", end_line=5, end_col=19),
        finding(1, 1, "PV100", Severity.INFO, "family not recognised", hint="set metadata.kind"),
        finding(0, 0, "PV010", Severity.ERROR, "cannot read contracts/gone-v1.yaml: No such file",
                file="contracts/gone-v1.yaml"),
    ]
    return Report(root=ROOT, files=["contracts/demo-v1.yaml", "contracts/gone-v1.yaml"],
                  findings=findings, sources={"contracts/demo-v1.yaml": SOURCE})


def empty_report() -> Report:
    return Report(root=ROOT, files=["contracts/demo-v1.yaml"], findings=[],
                  sources={"contracts/demo-v1.yaml": SOURCE})


def many(severity: Severity, count: int, code: str = "PV202") -> list[Finding]:
    return [finding(i + 1, 1, code, severity, f"finding {i}") for i in range(count)]
