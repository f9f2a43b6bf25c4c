"""The result of one validation run, as handed to every report format."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pv.core.findings import Finding, Severity


@dataclass
class Report:
    root: Path  # repository root; report URIs are relative to it
    files: list[str]  # display names (repo-relative) of every file checked
    findings: list[Finding]  # sorted by (file, line, col, code)
    sources: dict[str, str] = field(default_factory=dict)  # file -> text, for code frames

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def errors(self) -> int:
        return self.count(Severity.ERROR)

    @property
    def warnings(self) -> int:
        return self.count(Severity.WARNING)

    @property
    def infos(self) -> int:
        return self.count(Severity.INFO)
