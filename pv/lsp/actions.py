"""Quick fixes: the exact edits pv's findings carry (`Finding.fix`, what `pv validate --fix` applies).

One fix is derived here because its check does not attach it yet: PV104's
"did you mean `value`?" replaces a plain scalar outside its closed vocabulary,
offered only when the source text at the finding's range is exactly that
plain word (a quoted value is left to the author).
"""

from __future__ import annotations

import re

from pv.core.document import source_lines
from pv.core.findings import Finding, Fix, TextEdit

_SUGGESTED = re.compile(r"did you mean `([^`]+)`")
_PLAIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*\Z")


def fix_for(finding: Finding, text: str) -> Fix | None:
    if finding.fix is not None:
        return finding.fix
    if finding.code != "PV104" or not finding.hint:
        return None
    match = _SUGGESTED.search(finding.hint)
    if match is None or not _PLAIN.match(match.group(1)):
        return None
    new = match.group(1)
    line, col, end_line, end_col = finding.line, finding.col, finding.end_line, finding.end_col
    lines = source_lines(text)
    if end_line != line or end_col is None or not 0 < line <= len(lines):
        return None
    old = lines[line - 1][col - 1:end_col - 1]
    if not _PLAIN.match(old) or old == new:
        return None
    return Fix(f"replace `{old}` with `{new}`", (TextEdit(line, col, end_line, end_col, new),))


def overlaps(finding: Finding, line: int, col: int, end_line: int, end_col: int) -> bool:
    """Whether the finding's range meets the (1-based) range asked about."""
    f_end = (finding.end_line or finding.line, finding.end_col or finding.col + 1)
    return (finding.line, finding.col) <= (end_line, end_col) and (line, col) <= f_end


def quick_fixes(findings: list[Finding], text: str, line: int, col: int, end_line: int,
                end_col: int) -> list[tuple[Finding, Fix]]:
    out = []
    for finding in findings:
        if overlaps(finding, line, col, end_line, end_col):
            fix = fix_for(finding, text)
            if fix is not None:
                out.append((finding, fix))
    return out
