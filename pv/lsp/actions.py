"""Quick fixes: the exact edits pv's findings carry (`Finding.fix`), and the renames their hints state.

A finding that carries a `fix` (what `pv validate --fix` applies) is offered
as is. Until the schema check attaches fixes itself, the two hint-stated
renames are derived here: PV101 "did you mean `name`?" renames the key and
PV104 "did you mean `value`?" replaces the value, each only when the
source text at the finding's range is exactly the word being replaced.
"""

from __future__ import annotations

import re

from pv.core.document import source_lines
from pv.core.findings import Finding, Fix, TextEdit

_SUGGESTED = re.compile(r"(?:did you mean|rename `[^`]+` to) `([^`]+)`")
_PLAIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*\Z")


def fix_for(finding: Finding, text: str) -> Fix | None:
    if finding.fix is not None:
        return finding.fix
    if finding.code not in ("PV101", "PV104") or not finding.hint:
        return None
    match = _SUGGESTED.search(finding.hint)
    if match is None or not _PLAIN.match(match.group(1)):
        return None
    new = match.group(1)
    line, col, end_line, end_col = finding.line, finding.col, finding.end_line, finding.end_col
    lines = source_lines(text)
    if end_line != line or end_col is None or not 0 < line <= len(lines):
        return None
    written = lines[line - 1][col - 1:end_col - 1]
    old = _written_word(finding, written)
    if old is None or written != old or old == new:
        return None
    what = "key" if finding.code == "PV101" else "value"
    return Fix(f"rename {what} `{old}` to `{new}`", (TextEdit(line, col, end_line, end_col, new),))


def _written_word(finding: Finding, written: str) -> str | None:
    """The key (PV101, named in the message) or the plain value (PV104) the finding is about."""
    if finding.code == "PV101":
        match = re.match(r"unknown key `([^`]+)`", finding.message)
        return match.group(1) if match else None
    return written if _PLAIN.match(written) else None  # a quoted value is left to the author


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
