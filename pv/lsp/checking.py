"""Run pv's checks on an editor buffer: the same findings as `pv validate` on the same text.

The pipeline is the engine's (`validate_text`). One addition keeps typing fast:
the formula check (tens to hundreds of milliseconds: sympy in forked steps) is
re-run only when the text it reads changed; an edit elsewhere reuses its
findings. Then the same post-check step as `pv validate` applies the config.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from pv.checks import CHECK_NAMES
from pv.core.config import Config
from pv.core.document import Document, YamlPath, source_lines
from pv.core.engine import CheckContext, run_checks, validate_text
from pv.core.findings import Finding

FORMULAS = "formulas"
_FORMULA_SECTIONS = ("formulas", "equations", "proof_obligations")
_FORMULA_REF_OWNERS = ("invariants", "gates")


@dataclass
class FormulaMemo:
    key: tuple = ()  # ((path, source text), ...) of what the formula check read
    lines: tuple = ()  # ((first, last), ...) line range of each of those nodes
    findings: list[Finding] = field(default_factory=list)


@dataclass
class Outcome:
    findings: list[Finding]  # after the config's select/ignore, sorted
    doc: Document | None  # the parsed buffer (None when it does not parse)
    seconds: float  # how long the checks took
    formulas_reused: bool = False


def apply_policy(file: str, text: str, findings: list[Finding], config: Config) -> list[Finding]:
    """The step `pv validate` applies once after the checks (pv.core.policy): severity overrides,
    `# pv: ignore[...]` comments (read from `text`), select/ignore and per-file-ignores.

    The one place the server filters findings. The baseline is left to `pv validate`:
    an editor shows every finding of the file being written.
    """
    from pv.core.policy import FileFindings, Policy, apply
    from pv.core.suppression import parse

    policy = Policy.for_run(config, tuple(config.select), tuple(config.ignore), ())
    mine = [f for f in findings if f.file == file]
    others = [f for f in findings if f.file != file]  # none in practice: kept, policy applied without comments
    items = [FileFindings(file, mine, parse(text))]
    items += [FileFindings(name, [f for f in others if f.file == name], [])
              for name in sorted({f.file for f in others})]
    return apply(items, policy).findings


def formula_inputs(doc: Document) -> tuple[tuple, tuple]:
    """What the formula check reads, as (key, line ranges): equal keys give the same findings,
    moved by as many lines as each node moved.

    The check reads the `formulas`, `equations` and `proof_obligations` sections
    and the `formulas` lists of invariants and gates. The key holds each such
    node's path and the full source lines it covers, so an edit outside them
    changes nothing, while an edit inside them changes the key.
    """
    lines = source_lines(doc.text)
    nodes: list[YamlPath] = [(name,) for name in _FORMULA_SECTIONS if name in doc.data]
    for owner in _FORMULA_REF_OWNERS:
        items = doc.data.get(owner)
        if isinstance(items, list):
            nodes += [(owner, i, FORMULAS) for i, item in enumerate(items)
                      if isinstance(item, dict) and FORMULAS in item]
    # A collection's own span covers only its start: its extent is that of everything under it.
    extent: dict[YamlPath, list[int]] = {}
    wanted = set(nodes)
    for spans in (doc.key_spans, doc.value_spans):
        for path, span in spans.items():
            node = path[:1] if path[:1] in wanted else path[:3] if path[:3] in wanted else None
            if node is not None:
                first_last = extent.setdefault(node, [span[0], span[2]])
                first_last[0], first_last[1] = min(first_last[0], span[0]), max(first_last[1], span[2])
    key = tuple((path, "\n".join(lines[extent[path][0] - 1:extent[path][1]])) for path in nodes)
    return key, tuple((extent[path][0], extent[path][1]) for path in nodes)


def _moved(memo: FormulaMemo, lines: tuple) -> list[Finding] | None:
    """The memo's findings moved to where their nodes are now; None if one cannot be placed."""
    if lines == memo.lines:
        return memo.findings
    moved = []
    for finding in memo.findings:
        delta = next((new[0] - old[0] for old, new in zip(memo.lines, lines) if old[0] <= finding.line <= old[1]),
                     None)
        if delta is None:
            return None
        fix = finding.fix
        if fix is not None:
            fix = replace(fix, edits=tuple(replace(e, line=e.line + delta, end_line=e.end_line + delta)
                                           for e in fix.edits))
        moved.append(replace(finding, line=finding.line + delta, fix=fix,
                             end_line=finding.end_line + delta if finding.end_line is not None else None))
    return moved


class Checker:
    """Checks buffers for one repository root with its configuration."""

    def __init__(self, config: Config, skip: frozenset[str] = frozenset()) -> None:
        self.config = config
        self.skip = skip
        # Everything but the formula check in one engine pass; the formula check alone, memoised.
        self._main = CheckContext(config=config, skip=skip | {FORMULAS})
        self._formulas = CheckContext(config=config, skip=frozenset(CHECK_NAMES) - {FORMULAS})

    def check(self, path: Path, text: str, memo: FormulaMemo | None = None) -> Outcome:
        """Findings for `text` as the file at `path`; `memo` (updated in place) carries formula results."""
        start = time.perf_counter()
        result = validate_text(path, text, self._main)
        findings = list(result.findings)
        reused = False
        if result.doc is not None and FORMULAS not in self.skip:
            key, lines = formula_inputs(result.doc)
            formula_findings = _moved(memo, lines) if memo is not None and key and memo.key == key else None
            if formula_findings is not None:
                reused = True
            else:
                formula_findings = run_checks(result.doc, self._formulas, pure=True)
            if memo is not None and not any(f.code == "PV900" for f in formula_findings):
                memo.key, memo.lines, memo.findings = key, lines, formula_findings
            findings += formula_findings
        return Outcome(apply_policy(result.file, text, findings, self.config), result.doc,
                       time.perf_counter() - start, reused)
