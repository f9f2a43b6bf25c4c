"""Runs every check over every contract file and collects the findings."""

from __future__ import annotations

import importlib
import os
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pv.checks import CHECKS, CheckSpec
from pv.core import limited
from pv.core.cache import ResultCache
from pv.core.config import Config
from pv.core.document import Document
from pv.core.findings import Finding
from pv.core.loader import Source, display_name, parse_source, read_source, text_source
from pv.core.suppression import Suppression
from pv.core.suppression import parse as parse_suppressions

CheckFn = Callable[[Document, "CheckContext"], Iterable[Finding]]


@dataclass
class CheckContext:
    """What a check may know besides the document itself."""

    config: Config
    options: dict[str, object] = field(default_factory=dict)  # e.g. {"run": True}
    skip: frozenset[str] = frozenset()  # names of checks not to run
    cache: ResultCache | None = None
    # Identifies one run, so checks may memoise what they learn about the file system for
    # the run's duration (worker processes too) and never across runs (an editor session).
    run_id: str = field(default_factory=lambda: secrets.token_hex(8))
    # Stamp of the repository's folders (pv.core.deps.tree_stamp), set by validate_files when
    # impure checks' results may be cached; None: they always run.
    tree: str | None = None

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
    text: str | None  # source text, for code frames; None if unreadable (or not kept: see validate_files)
    suppressions: list[Suppression] = field(default_factory=list)  # `# pv: ignore[...]` comments in it
    frames: bool = False  # whether reports may show lines of this file (it was read as a contract)
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


def _pure_names(ctx: CheckContext) -> tuple[str, ...]:
    return tuple(s.name for s in CHECKS if s.pure and s.name not in ctx.skip)


def _active_impure(ctx: CheckContext) -> set[str]:
    return {s.name for s in CHECKS if not s.pure and s.name not in ctx.skip}


def _open_cache(ctx: CheckContext) -> None:
    if ctx.cache is not None:
        ctx.cache.open(_pure_names(ctx), ctx.config.check_fingerprint())


def _from_entry(shown: str, entry: dict, text: str | None) -> FileResult:
    """A result from a cache entry (its findings already checked by the cache)."""
    return FileResult(shown, list(entry["findings"]), text,
                      [Suppression.from_dict(item) for item in entry["suppressions"]], frames=True)


def _check(path: Path, ctx: CheckContext, entry: dict | None, source: Source | None = None,
           keep_doc: bool = False) -> tuple[FileResult, dict | None]:
    """Read, parse and check one file; reuse `entry` (a cache entry) when its digest matches.

    `source`: the text to check instead of the file's (an editor buffer). Returns the
    result and the cache entry to record (None: nothing to record).
    """
    from pv.core.cache import text_digest

    try:
        before = os.stat(path)
    except (OSError, ValueError):
        before = None
    if source is None:
        source = read_source(path, ctx.root, ctx.config.limits)
    if source.text is None:
        frames = _text_for_frames(path, source.findings, ctx.config.limits.max_bytes)
        return FileResult(source.shown, source.findings, frames, frames=frames is not None), None
    digest = text_digest(source.text)
    suppressions = parse_suppressions(source.text)
    if entry is not None and entry.get("digest") != digest:
        entry = None
    record: dict | None
    if entry is not None and not keep_doc and not _active_impure(ctx).intersection(entry["needs"]):
        result, record = _from_entry(source.shown, entry, source.text), dict(entry)
        return _with_stat(result, record, path, before, digest, suppressions)
    doc, load_findings = parse_source(source, ctx.config.limits)
    keep = ctx.cache is not None  # without a cache there is nothing to record
    if doc is None:
        record = {"findings": [f.to_dict() for f in load_findings], "needs": []} if keep else None
        result = FileResult(source.shown, load_findings, source.text, suppressions, frames=True)
    else:
        if entry is not None:
            pure = list(entry["findings"])
            record = dict(entry)
        else:
            hits = limited.count()
            pure = load_findings + run_checks(doc, ctx, pure=True)
            record = {"findings": [f.to_dict() for f in pure], "needs": _needs_document(doc, ctx)} if keep else None
            # A crash, or a result reached by hitting a time or size limit, is reported but never cached:
            # the next run, on a quieter machine, must be free to reach the real verdict.
            if limited.count() != hits or any(f.code == "PV900" for f in pure):
                record = None
        impure = _run_impure(doc, ctx, record)
        result = FileResult(doc.file, pure + impure, doc.text, suppressions, frames=True,
                            doc=doc if keep_doc else None)
    return _with_stat(result, record, path, before, digest, suppressions)


def _run_impure(doc: Document, ctx: CheckContext, record: dict | None) -> list[Finding]:
    """Run the impure checks; with a tree stamp, keep their findings and what they read in `record`."""
    if ctx.tree is None or record is None:
        return run_checks(doc, ctx, pure=False)
    from pv.core.deps import recording

    hits = limited.count()
    with recording() as reads:
        findings = run_checks(doc, ctx, pure=False)
    if None in reads or limited.count() != hits or any(f.code == "PV900" for f in findings):
        record.pop("impure", None)
    else:
        record["impure"] = {"tree": ctx.tree, "checks": sorted(_active_impure(ctx)),
                            "reads": sorted(set(reads)), "findings": [f.to_dict() for f in findings]}
    return findings


def _impure_from_entry(entry: dict, ctx: CheckContext, memo: dict) -> list[Finding] | None:
    """The impure checks' findings recorded in `entry`, if nothing they depend on changed."""
    from pv.core.deps import unchanged

    impure = entry.get("impure")
    if (ctx.tree is None or not isinstance(impure, dict) or impure.get("tree") != ctx.tree
            or impure.get("checks") != sorted(_active_impure(ctx)) or not unchanged(impure["reads"], memo)):
        return None
    return list(impure["findings"])


def _with_stat(result: FileResult, record: dict | None, path: Path, before: os.stat_result | None, digest: str,
               suppressions: list[Suppression]) -> tuple[FileResult, dict | None]:
    """Complete the cache entry with the file's stat, if it did not change while being read."""
    from pv.core.cache import stat_key

    if record is None:
        return result, None
    try:
        after = os.stat(path)
    except (OSError, ValueError):
        after = None
    same = before is not None and after is not None and (before.st_size, before.st_mtime_ns, before.st_ino) == (
        after.st_size, after.st_mtime_ns, after.st_ino)
    record.update(stat=stat_key(after) if same else None, digest=digest,
                  suppressions=[s.to_dict() for s in suppressions])
    return result, record


def validate_file(path: Path, ctx: CheckContext) -> FileResult:
    """Read, parse and check one file, using (and updating) the cache for the pure checks.

    On a cache hit for a file that no active impure check needs, the file is
    read and hashed but not parsed.
    """
    entry = None
    if ctx.cache is not None:
        _open_cache(ctx)
        entry = ctx.cache.peek(display_name(path, ctx.root))
    result, record = _check(path, ctx, entry)
    if ctx.cache is not None and record is not None:
        ctx.cache.store(result.file, record)
        ctx.cache.flush()
    return result


def validate_text(path: Path, text: str, ctx: CheckContext) -> FileResult:
    """Check `text` as if it were the content of the file at `path` (an editor's unsaved buffer).

    The same pipeline as `validate_file`; `FileResult.doc` holds the parsed document.
    The cache is only read (an entry whose digest is the buffer's): a buffer is not the
    file on disk, so nothing is recorded under the file's name.
    """
    entry = None
    if ctx.cache is not None:
        _open_cache(ctx)
        entry = ctx.cache.peek(display_name(path, ctx.root))
    source = text_source(path, ctx.root, text, ctx.config.limits)
    return _check(path, ctx, entry, source=source, keep_doc=True)[0]


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


def _validate_one(args: tuple[Path, CheckContext, dict | None]) -> tuple[FileResult, dict | None]:
    path, ctx, entry = args
    try:
        result, record = _check(path, ctx, entry)
        result.text = None  # reports read lines lazily: a run holds no file texts
        return result, record
    except Exception as exc:  # last line of defence: report, never a traceback
        from pv.core import rules

        rule = rules.get("PV900")
        shown = display_name(path, ctx.root)
        return FileResult(shown, [Finding(shown, 0, 0, rule.code, rule.severity,
                                          f"internal error: {type(exc).__name__}: {exc}")], None), None


def _plan(path: Path, shown: str | None, ctx: CheckContext, impure: set[str],
          memo: dict) -> tuple[FileResult | None, dict | None]:
    """(result from the cache alone, or None and the entry a worker may reuse if the bytes match)."""
    cache = ctx.cache
    assert cache is not None
    try:
        shown = shown or display_name(path, ctx.root)
        st = os.stat(path)
    except (OSError, ValueError):
        return None, None
    entry = cache.lookup(shown, st)
    if entry is None:
        return None, cache.peek(shown)  # read and hashed by the worker: a hit if the bytes are the same
    try:
        result = _from_entry(shown, entry, None)
        if impure.intersection(entry["needs"]):
            again = _impure_from_entry(entry, ctx, memo)
            if again is None:
                return None, entry  # parse it, reuse the pure findings, run the impure checks
            result.findings.extend(again)
        return result, None
    except (KeyError, TypeError, ValueError):  # a damaged entry: check the file again
        return None, None


def validate_files(paths: list[Path], ctx: CheckContext, jobs: int = 1,
                   names: list[str] | None = None) -> list[FileResult]:
    """Validate many files, in `jobs` worker processes when jobs > 1.

    With a cache, this process looks every file up first (by stat, without reading
    it); only the files that must be read go to the workers, and this process
    records their results and writes the index once. `names`: the files' display
    names when the caller knows them (saves resolving each path). Results carry no file text
    (`text` is None): reports read the lines they show (see `pv.core.report`).
    """
    results: list[FileResult | None] = [None] * len(paths)
    work: list[tuple[int, tuple[Path, CheckContext, dict | None]]] = []
    ctx.tree = None
    if ctx.cache is not None:
        _open_cache(ctx)
        impure = _active_impure(ctx)
        if impure and not ctx.options.get("run") and not ctx.options.get("junit"):
            from pv.core.deps import tree_stamp

            ctx.tree = tree_stamp(ctx.root)  # impure results are reusable while it holds
        memo: dict = {}
        for index, path in enumerate(paths):
            result, entry = _plan(path, names[index] if names else None, ctx, impure, memo)
            if result is not None:
                results[index] = result
            else:
                work.append((index, (path, ctx, entry)))
    else:
        work = [(index, (path, ctx, None)) for index, path in enumerate(paths)]
    for (index, _), (result, record) in zip(work, _run(work, ctx, jobs)):
        results[index] = result
        if record is not None and ctx.cache is not None:
            ctx.cache.store(result.file, record)
    if ctx.cache is not None:
        ctx.cache.flush()
    return [result for result in results if result is not None]


def _run(work: list, ctx: CheckContext, jobs: int) -> Iterator[tuple[FileResult, dict | None]]:
    items = [item for _, item in work]
    if jobs <= 1 or len(items) < 2 * jobs:
        return map(_validate_one, items)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    _warm_up(ctx)  # import checks and build validators once, before forking

    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods()
                                          else "spawn")
    chunk = max(1, min(64, len(items) // (jobs * 4)))
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context)
    try:
        return iter(list(pool.map(_validate_one, items, chunksize=chunk)))
    finally:
        pool.shutdown()
