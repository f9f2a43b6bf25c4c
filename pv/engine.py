"""Runs every check over every contract file and collects the findings."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pv.cache import ResultCache
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
    skip: frozenset[str] = frozenset()  # names of checks not to run
    cache: ResultCache | None = None

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
        if spec.name in ctx.skip or (pure is not None and spec.pure != pure):
            continue
        try:
            check = resolve_check(spec)
            if check is not None:
                findings.extend(check(doc, ctx))
        except Exception as exc:  # never a traceback for the user
            findings.append(internal_error(doc, spec.name, exc))
    return findings


@dataclass
class FileResult:
    file: str  # display name
    findings: list[Finding]
    text: str | None  # source text, for code frames; None if unreadable


def validate_file(path: Path, ctx: CheckContext) -> FileResult:
    """Load one file and run every check on it, using the cache for pure checks."""
    doc, findings = load(path, ctx.root, ctx.config.limits)
    if doc is None:
        shown = findings[0].file if findings else str(path)
        return FileResult(shown, findings, _text_for_frames(path, findings, ctx.config.limits.max_bytes))
    pure: list[Finding] | None = None
    key = ""
    if ctx.cache is not None:
        names = tuple(s.name for s in CHECKS if s.pure and s.name not in ctx.skip)
        key = ctx.cache.key(doc.file, doc.text, names)
        pure = ctx.cache.get(key)
    if pure is None:
        pure = run_checks(doc, ctx, pure=True)
        if ctx.cache is not None and not any(f.code == "PV900" for f in pure):
            ctx.cache.put(key, pure)
    findings = findings + pure + run_checks(doc, ctx, pure=False)
    return FileResult(doc.file, findings, doc.text)


def _warm_up(ctx: CheckContext) -> None:
    for spec in CHECKS:
        if spec.name not in ctx.skip:
            resolve_check(spec)
    if "schema" not in ctx.skip:
        from pv.schema import warm_up

        warm_up()


def _text_for_frames(path: Path, findings: list[Finding], max_bytes: int) -> str | None:
    """Source text of a file that failed to load, so reports can still show the line."""
    if not any(f.line > 0 for f in findings) or any(f.code in ("PV008", "PV010") for f in findings):
        return None
    try:
        return path.read_bytes()[:max_bytes].decode("utf-8", errors="replace")
    except OSError:
        return None


def _validate_one(args: tuple[Path, CheckContext]) -> FileResult:
    path, ctx = args
    try:
        return validate_file(path, ctx)
    except Exception as exc:  # last line of defence: report, never a traceback
        from pv import rules

        rule = rules.get("PV900")
        return FileResult(str(path), [Finding(str(path), 0, 0, rule.code, rule.severity,
                                              f"internal error: {type(exc).__name__}: {exc}")], None)


def validate_files(paths: list[Path], ctx: CheckContext, jobs: int = 1) -> list[FileResult]:
    """Validate many files, in `jobs` worker processes when jobs > 1."""
    work = [(path, ctx) for path in paths]
    if jobs <= 1 or len(paths) < 2 * jobs:
        return [_validate_one(item) for item in work]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    _warm_up(ctx)  # import checks and build validators once, before forking

    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods()
                                          else "spawn")
    chunk = max(1, len(work) // (jobs * 4))
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        return list(pool.map(_validate_one, work, chunksize=chunk))
