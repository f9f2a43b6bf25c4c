"""What the repository's policy makes of the checks' findings, applied once, after the checks.

In this order, for every file:

1. severity overrides (`[tool.pv.severity]`);
2. inline suppressions (`# pv: ignore[CODE] reason`), reporting each one that
   suppresses nothing (PV910) or names no rule (PV911);
3. `select` / `ignore` (command line over config) and `per-file-ignores`;

then, over the whole run, the baseline: findings it records are left out and
entries that match nothing any more are reported (PV912).

Checks never see any of this, so their cached results stay valid whatever the
config says; suppressions come from the file's text, which is part of the
cache key. `pv validate`, `pv baseline` (and an editor integration) all call
`apply`. PV900 (pv itself failed) is never suppressed, ignored or baselined.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cached_property

from pv.core import baseline as baseline_mod
from pv.core import rules
from pv.core.config import Config
from pv.core.findings import Finding
from pv.core.globs import matches
from pv.core.selection import code_matches, keep_code
from pv.core.suppression import Suppression


@dataclass(frozen=True)
class Policy:
    config: Config
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    # Code prefixes of the checks that did not run (--skip): a suppression or baseline entry
    # for their rules cannot match, and calling it unused would be false. "" covers every code.
    not_run: tuple[str, ...] = ()

    @classmethod
    def for_run(cls, config: Config, select: tuple[str, ...], ignore: tuple[str, ...],
                skip: Iterable[str]) -> Policy:
        from pv.checks import CHECKS

        skipped = [spec for spec in CHECKS if spec.name in set(skip)]
        not_run = tuple(prefix for spec in skipped for prefix in (spec.codes if spec.codes is not None else ("",)))
        return cls(config, select, ignore, not_run)

    def could_match(self, file: str, code: str) -> bool:
        """Could this run have reported `code` in `file` (so an unused suppression really is unused)?"""
        return not any(code.startswith(prefix) for prefix in self.not_run) and self.reported(file, code)

    def reported(self, file: str, code: str) -> bool:
        """Do select/ignore and per-file-ignores let findings of `code` in `file` through?"""
        if code == "PV900":
            return True
        if not keep_code(code, list(self.select), list(self.ignore)):
            return False
        for glob, patterns in self.config.per_file_ignores:
            if any(code_matches(code, p) for p in patterns) and matches(file, glob):
                return False
        return True

    def relative(self, finding: Finding) -> Finding:
        """The finding with the checkout's absolute path taken out of its message and hint.

        Reports never name where the checkout lives: two checkouts of one tree give
        byte-identical JSON and SARIF. Checks write repo-relative paths; this is the net.
        """
        text = finding.message + (finding.hint or "")
        if not any(prefix in text for prefix in self._prefixes):
            return finding
        message, hint = finding.message, finding.hint
        for prefix in self._prefixes:
            message = message.replace(prefix + "/", "").replace(prefix, ".")
            hint = hint.replace(prefix + "/", "").replace(prefix, ".") if hint else hint
        return replace(finding, message=message, hint=hint)

    @cached_property
    def _prefixes(self) -> tuple[str, ...]:
        root = self.config.root
        return tuple(sorted({str(root).rstrip("/"), str(root.resolve()).rstrip("/")} - {""}, key=len, reverse=True))

    def make(self, file: str, line: int, col: int, code: str, message: str, hint: str | None = None,
             end_col: int | None = None) -> Finding:
        rule = rules.get(code)
        return Finding(file, line, col, code, self.config.severity.get(code, rule.severity), message,
                       hint=hint, end_line=line if line else None, end_col=end_col)


@dataclass
class FileFindings:
    """What `apply` needs to know about one checked file."""

    file: str
    findings: list[Finding]
    suppressions: list[Suppression]


@dataclass
class Outcome:
    findings: list[Finding]  # what the run reports, sorted
    suppressed: int = 0  # left out by inline comments
    baselined: int = 0  # left out because the baseline holds them
    stale: int = 0  # baseline entries that matched nothing (each reported as PV912)


def _suppress(item: FileFindings, findings: list[Finding], policy: Policy) -> tuple[list[Finding], int]:
    """Drop suppressed findings; add PV910/PV911 for comments that are unused or wrong."""
    by_line: dict[int, list[Suppression]] = {}
    for suppression in item.suppressions:
        for line in suppression.targets:
            by_line.setdefault(line, []).append(suppression)
    used: set[tuple[int, str]] = set()
    kept: list[Finding] = []
    for finding in findings:
        hit = next((s for s in by_line.get(finding.line, ()) if finding.code in s.codes), None)
        if hit is None or finding.code == "PV900":
            kept.append(finding)
        else:
            used.add((hit.line, finding.code))
    dropped = len(findings) - len(kept)
    for s in item.suppressions:
        comment_end = s.col + len("# pv: ignore")
        if not s.codes and not s.unknown:
            kept.append(policy.make(item.file, s.line, s.col, "PV911",
                                    "a `# pv: ignore` comment must name the rules it suppresses",
                                    "write `# pv: ignore[PV104] why` with the code(s) of the finding", comment_end))
        for name in s.unknown:
            kept.append(policy.make(item.file, s.line, s.col, "PV911",
                                    f"`{name}` in this `# pv: ignore` comment is not a rule code or name",
                                    "see `pv rules` for the codes", comment_end))
        for code in s.codes:
            if (s.line, code) in used or not policy.could_match(item.file, code):
                continue
            where = " or ".join(f"line {t}" for t in s.targets)
            kept.append(policy.make(item.file, s.line, s.col, "PV910",
                                    f"unused suppression: no {code} finding on {where}",
                                    f"remove `{code}` from the comment (what it suppressed is gone)", comment_end))
    return kept, dropped


def apply(files: Iterable[FileFindings], policy: Policy, baseline: baseline_mod.Baseline | None = None,
          *, complete: bool = False) -> Outcome:
    """The findings a run reports. `complete`: every contract file was checked (no paths given),
    so baseline entries for files not checked (deleted, excluded) are stale too."""
    outcome = Outcome([])
    checked: set[str] = set()
    severity = policy.config.severity
    for item in files:
        checked.add(item.file)
        findings = item.findings
        if severity:
            findings = [replace(f, severity=severity[f.code]) if f.code in severity and f.code != "PV900" else f
                        for f in findings]
        if item.suppressions:
            findings, dropped = _suppress(item, findings, policy)
            outcome.suppressed += dropped
        outcome.findings.extend(policy.relative(f) for f in findings if policy.reported(f.file, f.code))
    if baseline is not None:
        def in_scope(file: str, code: str) -> bool:
            return (complete or file in checked) and policy.could_match(file, code)

        matched = baseline_mod.match(outcome.findings, baseline, in_scope)
        outcome.findings = matched.new
        outcome.baselined = matched.baselined
        outcome.stale = sum(matched.stale.values())
        for (file, code, path, message), count in sorted(matched.stale.items()):
            times = f" ({count} of them)" if count > 1 else ""
            stale = policy.make(file, 0, 0, "PV912",
                                f"baseline entry no longer matches{times}: {code} at `{path or '(document)'}`: "
                                f"{message}", "it was fixed: run `pv baseline` to drop it from the baseline")
            if policy.reported(file, "PV912"):
                outcome.findings.append(replace(stale, path=path))
    outcome.findings.sort()
    return outcome
