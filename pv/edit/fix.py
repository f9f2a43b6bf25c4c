"""`pv validate --fix`: apply the exact fixes that findings carry, and only those that help.

A fix is applied only if, after it, every rule reports no more findings than
before minus the ones fixed: a fix never adds a finding (e.g. a quoted version
that would expose a missing changelog entry is left for the author). Fixes that
overlap an earlier fix in the same file wait for the next run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pv.core.findings import Finding
from pv.edit.textedits import OverlapError, apply_edits


@dataclass
class FileFix:
    path: Path
    shown: str
    before: str
    after: str
    applied: list[Finding] = field(default_factory=list)
    held: list[Finding] = field(default_factory=list)  # fixes left out: they would add a finding


def _apply(text: str, findings: list[Finding]) -> str:
    edits = [edit for f in findings for edit in f.fix.edits]
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    return bom + apply_edits(text[len(bom):], edits)


def _non_overlapping(findings: list[Finding]) -> list[Finding]:
    chosen: list[Finding] = []
    for finding in sorted(findings, key=lambda f: (f.line, f.col, f.code)):
        try:
            _spans_disjoint(chosen + [finding])
        except OverlapError:
            continue
        chosen.append(finding)
    return chosen


def _spans_disjoint(findings: list[Finding]) -> None:
    spans = sorted(((e.line, e.col), (e.end_line, e.end_col)) for f in findings for e in f.fix.edits)
    for (_, end), (start, _) in zip(spans, spans[1:]):
        if start < end:
            raise OverlapError("edits overlap")


def fix_text(text: str, fixable: list[Finding],
             check: Callable[[str], list[Finding]]) -> tuple[str, list[Finding]]:
    """Apply the fixes of `fixable` to `text`; `check(text)` gives every finding for a text."""
    candidates = _non_overlapping([f for f in fixable if f.fix is not None and f.fix.edits])
    if not candidates:
        return text, []
    before = Counter(f.code for f in check(text))

    def acceptable(new_text: str, applied: list[Finding]) -> bool:
        after = Counter(f.code for f in check(new_text))
        fixed = Counter(f.code for f in applied)
        return all(after[code] <= before[code] - fixed[code] for code in after | fixed)

    try:
        together = _apply(text, candidates)
    except OverlapError:
        together = None
    if together is not None and acceptable(together, candidates):
        return together, candidates
    kept: list[Finding] = []  # one at a time: keep each fix that helps on its own
    for finding in candidates:
        try:
            trial = _apply(text, kept + [finding])
        except OverlapError:
            continue
        if acceptable(trial, kept + [finding]):
            kept.append(finding)
    return (_apply(text, kept), kept) if kept else (text, [])


def fix_files(files: list[Path], findings: list[Finding], ctx, root: Path) -> list[FileFix]:
    """The fixes to apply per file that has fixable findings (`applied` may be empty)."""
    from pv.core.engine import run_checks
    from pv.core.loader import display_name, parse_source, read_source

    by_file: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.fix is not None:
            by_file.setdefault(finding.file, []).append(finding)
    out: list[FileFix] = []
    for path in files:
        source = read_source(path, root, ctx.config.limits)
        if source.text is None or source.shown not in by_file:
            continue

        def check(text: str, source=source) -> list[Finding]:
            from pv.core.loader import Source

            doc, found = parse_source(Source(source.shown, source.path, source.root, text, []), ctx.config.limits)
            return found if doc is None else found + run_checks(doc, ctx)

        after, applied = fix_text(source.text, by_file[source.shown], check)
        held = [f for f in by_file[source.shown] if f not in applied]
        out.append(FileFix(path, display_name(path, root), source.text, after, applied, held))
    return out
