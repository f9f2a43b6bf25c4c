"""Run pv's checks on an editor buffer: the same findings as `pv validate` on the same text.

The pipeline is the engine's (`validate_text`). One addition keeps typing fast:
the formula check (tens to hundreds of milliseconds: sympy in forked steps) is
re-run only when the text it reads changed; an edit elsewhere reuses its
findings. Then the same post-check step as `pv validate` applies the config.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
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
    key: tuple = ()
    findings: list[Finding] = field(default_factory=list)


@dataclass
class Outcome:
    findings: list[Finding]  # after the config's select/ignore, sorted
    doc: Document | None  # the parsed buffer (None when it does not parse)
    seconds: float  # how long the checks took
    formulas_reused: bool = False


def apply_policy(findings: list[Finding], config: Config) -> list[Finding]:
    """The step `pv validate` applies once after the checks (today: [tool.pv] select/ignore).

    Kept as this one call so config files, suppressions and a baseline, when pv
    gains them, reach the editor by changing this function only.
    """
    from pv.core.selection import keep

    select, ignore = list(config.select), list(config.ignore)
    return sorted(f for f in findings if keep(f, select, ignore))


def formula_inputs(doc: Document) -> tuple:
    """Everything the formula check reads, with its position: equal keys give equal findings.

    The check reads the `formulas`, `equations` and `proof_obligations` sections
    and the `formulas` lists of invariants and gates. The key holds each such
    node's path, spans and the full source lines they cover, so an edit
    outside them (even one that moves them) changes nothing, while an edit
    inside them, or one that shifts their lines, changes the key.
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
    key: list[tuple] = []
    for path in nodes:
        first, last = extent[path]
        key.append((path, first, "\n".join(lines[first - 1:last])))
    return tuple(key)


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
            key = formula_inputs(result.doc)
            if memo is not None and memo.key == key and key:
                reused = True
                formula_findings = memo.findings
            else:
                formula_findings = run_checks(result.doc, self._formulas, pure=True)
                if memo is not None and not any(f.code == "PV900" for f in formula_findings):
                    memo.key, memo.findings = key, formula_findings
            findings += formula_findings
        return Outcome(apply_policy(findings, self.config), result.doc, time.perf_counter() - start, reused)
