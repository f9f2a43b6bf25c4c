"""Runs every check over every contract file and collects the findings."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pv.checks import CHECKS, CheckSpec
from pv.core import limited
from pv.core.cache import ResultCache, settings_key
from pv.core.config import Config
from pv.core.document import Document
from pv.core.findings import Finding
from pv.core.loader import Source, parse_source, read_source, text_source

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


_resolved: dict[str, Callable | None] = {}


def _import_target(target: str) -> Callable | None:
    """Import "module:function" once; None when its feature package is absent."""
    if target not in _resolved:
        module_name, func_name = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not module_name.startswith(exc.name):
                raise
            _resolved[target] = None
        else:
            _resolved[target] = getattr(module, func_name)
    return _resolved[target]


def resolve_check(spec: CheckSpec) -> CheckFn | None:
    """Import a check lazily; a feature package that is absent is skipped."""
    return _import_target(spec.target)


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
    doc: Document | None = field(default=None, repr=False, compare=False)  # only from validate_text


def _needs_document(doc: Document, ctx: CheckContext) -> list[str]:
    """Names of the impure checks that have something to look at in this document."""
    needs = []
    for spec in CHECKS:
        if spec.pure:
            continue
        applies = _import_target(spec.applies) if spec.applies else None
        try:
            if applies is None or applies(doc.data):
                needs.append(spec.name)
        except Exception:
            needs.append(spec.name)  # when in doubt, run it
    return needs


def validate_file(path: Path, ctx: CheckContext) -> FileResult:
    """Read, parse and check one file, using the cache for the pure checks.

    On a cache hit for a file that no active impure check needs, the file is
    read and hashed but not parsed.
    """
    return _validate_source(path, read_source(path, ctx.root, ctx.config.limits), ctx)


def validate_text(path: Path, text: str, ctx: CheckContext) -> FileResult:
    """Check `text` as if it were the content of the file at `path` (an editor's unsaved buffer).

    The same pipeline as `validate_file`; `FileResult.doc` holds the parsed document.
    """
    return _validate_source(path, text_source(path, ctx.root, text, ctx.config.limits), ctx, keep_doc=True)


def _validate_source(path: Path, source: Source, ctx: CheckContext, keep_doc: bool = False) -> FileResult:
    if source.text is None:
        frames = _text_for_frames(path, source.findings, ctx.config.limits.max_bytes)
        return FileResult(source.shown, source.findings, frames)
    active_impure = {s.name for s in CHECKS if not s.pure and s.name not in ctx.skip}
    key, cached = "", None
    if ctx.cache is not None:
        names = tuple(s.name for s in CHECKS if s.pure and s.name not in ctx.skip)
        key = ctx.cache.key(source.shown, source.text, names, settings_key(ctx.config))
        cached = ctx.cache.get(key)
        if cached is not None and not active_impure.intersection(cached[1]):
            return FileResult(source.shown, cached[0], source.text)
    doc, load_findings = parse_source(source, ctx.config.limits)
    if doc is None:
        if ctx.cache is not None and cached is None:
            ctx.cache.put(key, load_findings, [])
        return FileResult(source.shown, load_findings, source.text)
    if cached is not None:
        pure = cached[0]
    else:
        hits = limited.count()
        pure = load_findings + run_checks(doc, ctx, pure=True)
        # A crash, or a result reached by hitting a time or size limit, is reported but never cached:
        # the next run, on a quieter machine, must be free to reach the real verdict.
        if ctx.cache is not None and limited.count() == hits and not any(f.code == "PV900" for f in pure):
            ctx.cache.put(key, pure, _needs_document(doc, ctx))
    return FileResult(doc.file, pure + run_checks(doc, ctx, pure=False), doc.text,
                      doc=doc if keep_doc else None)


def _warm_up(ctx: CheckContext) -> None:
    for spec in CHECKS:
        if spec.name not in ctx.skip:
            resolve_check(spec)
    if "schema" not in ctx.skip:
        from pv.checks.schema.check import warm_up

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
        from pv.core import rules

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
