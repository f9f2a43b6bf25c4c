"""What every contract-reading command does first: find the root, the config and the files."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pv.core.config import Config
from pv.core.findings import Finding, Severity

if TYPE_CHECKING:
    from pv.core.document import Document

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def usage_error(message: str) -> None:
    """Print `pv: error: …` and exit 2."""
    click.echo(f"pv: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


@dataclass
class Targets:
    root: Path
    config: Config
    files: list[Path]
    names: list[str] | None = None  # display names of `files`, when discovery knew them


def resolve_root(root: Path | None) -> tuple[Path, Config]:
    """Root (given or the nearest parent with pyproject.toml, pv.toml, .pv.toml or .git) and its config.

    Exits with status 2 on a root that is not a directory or a bad config.
    """
    from pv.core.config import find_root, load_config

    resolved = (root or find_root(Path.cwd())).resolve()
    if not resolved.is_dir():
        usage_error(f"--root {resolved} is not a directory")
    config = load_config(resolved)
    for problem in config.errors:
        usage_error(problem)
    return resolved, config


def resolve_targets(paths: tuple[Path, ...], root: Path | None) -> Targets:
    """Root (given or discovered), its [tool.pv] config and the contract files to read.

    Exits with status 2 on a bad root, a bad config, a missing path or zero files:
    pv never reports success over nothing.
    """
    from pv.core.discovery import expand_named
    from pv.core.loader import display_name

    resolved, config = resolve_root(root)
    targets = list(paths) or [resolved / d for d in config.contract_dirs]
    named, problems = expand_named(targets, resolved, config.exclude)
    files = [path for path, _ in named]
    for problem in problems:
        click.echo(f"pv: error: {problem}", err=True)
    if problems:
        sys.exit(EXIT_USAGE)
    if not files:
        usage_error("PV901 no contract files (*.yaml, *.yml) found in "
                    + ", ".join(display_name(t, resolved) for t in targets))
    return Targets(resolved, config, files, [name for _, name in named])


def exit_code(findings: list[Finding], strict: bool = False) -> int:
    """0 clean, 1 errors (or warnings when strict), 2 if pv itself failed (PV900)."""
    if any(f.code == "PV900" for f in findings):
        return EXIT_USAGE
    worst = max((f.severity for f in findings), default=Severity.INFO)
    if worst == Severity.ERROR or (strict and worst >= Severity.WARNING):
        return EXIT_FINDINGS
    return EXIT_OK


@dataclass
class EvidenceContract:
    doc: object  # pv.core.document.Document
    results: list  # list[OwnerResult]
    key: str


def load_evidence_contracts(paths: tuple[Path, ...],
                            root_opt: Path | None) -> tuple[Path, list[EvidenceContract], list[Finding]]:
    """Load each contract and resolve the evidence its gates cite (for discharge and trace)."""
    from pv.checks.evidence.check import analyze
    from pv.core.loader import load

    targets = resolve_targets(paths, root_opt)
    root, config, files = targets.root, targets.config, targets.files
    contracts: list[EvidenceContract] = []
    load_findings: list[Finding] = []
    for path in files:
        doc, findings = load(path, root, config.limits)
        load_findings.extend(findings)
        if doc is not None:
            contracts.append(EvidenceContract(doc, analyze(doc, root), doc.file))
    return root, contracts, load_findings


def load_clean(targets: Targets) -> tuple[list[Document], int]:
    """Load each target file; report a file that does not load (its PV0xx findings) on stderr.

    Returns the documents that loaded cleanly and how many did not:
    `pv coverage` and `pv graph` leave those out and fail on them (graph only with --strict).
    """
    from pv.core.loader import load

    docs, broken = [], 0
    for path in targets.files:
        doc, findings = load(path, targets.root, targets.config.limits)
        errors = [f for f in findings if f.code.startswith("PV0")]
        if doc is None or errors:
            for f in errors or findings:
                click.echo(format_finding(f), err=True)
            broken += 1
            continue
        docs.append(doc)
    return docs, broken


def format_finding(f: Finding) -> str:
    text = f"{f.file}:{f.line}:{f.col}: {f.severity.label} {f.code} {f.message}"
    return text + (f"\n    hint: {f.hint}" if f.hint else "")


def echo_printable(text: str = "") -> None:
    """Print a text-report line; contract text in it (refs, ids) cannot reach the terminal raw."""
    from pv.reports.common import printable

    click.echo(printable(text))
