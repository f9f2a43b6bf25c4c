"""Runs every check over every contract file and collects the findings."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from pv.config import Config
from pv.document import Document
from pv.findings import Finding
from pv.loader import load


@dataclass(frozen=True)
class CheckSpec:
    name: str
    target: str  # "module:function", imported only when first used
    pure: bool  # result depends only on the file's bytes, so it may be cached


# Order matters only for report stability; findings are sorted anyway.
CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec("schema", "pv.schema:check", pure=True),
    CheckSpec("consistency", "pv.consistency:check", pure=True),
    CheckSpec("peer-files", "pv.consistency:check_peer_files", pure=False),
    CheckSpec("formulas", "pv.formulas.check:check", pure=True),
    CheckSpec("evidence", "pv.evidence.check:check", pure=False),
)

CheckFn = Callable[[Document, "CheckContext"], Iterable[Finding]]


@dataclass
class CheckContext:
    """What a check may know besides the document itself."""

    config: Config
    options: dict[str, object] = field(default_factory=dict)  # e.g. {"run": True}

    @property
    def root(self) -> Path:
        return self.config.root


_resolved: dict[str, CheckFn | None] = {}


def resolve_check(spec: CheckSpec) -> CheckFn | None:
    """Import a check lazily; a feature package that is absent is skipped."""
    if spec.target not in _resolved:
        module_name, func_name = spec.target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not module_name.startswith(exc.name):
                raise
            _resolved[spec.target] = None
        else:
            _resolved[spec.target] = getattr(module, func_name)
    return _resolved[spec.target]


def internal_error(doc: Document, check: str, exc: BaseException) -> Finding:
    return doc.finding((), "PV900", f"check `{check}` crashed: {type(exc).__name__}: {exc}",
                       hint="this is a bug in pv; please report it with this file")


def run_checks(doc: Document, ctx: CheckContext, *, pure: bool | None = None) -> list[Finding]:
    """Run the checks (only pure or impure ones when `pure` is given)."""
    findings: list[Finding] = []
    for spec in CHECKS:
        if pure is not None and spec.pure != pure:
            continue
        try:
            check = resolve_check(spec)
            if check is not None:
                findings.extend(check(doc, ctx))
        except Exception as exc:  # never a traceback for the user
            findings.append(internal_error(doc, spec.name, exc))
    return findings


def validate_file(path: Path, ctx: CheckContext) -> list[Finding]:
    doc, findings = load(path, ctx.root, ctx.config.limits)
    if doc is None:
        return findings
    return findings + run_checks(doc, ctx)
