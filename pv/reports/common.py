"""Helpers shared by the report formats (cheap: no imports beyond the stdlib)."""

from __future__ import annotations

import re

from pv.core.findings import Finding
from pv.core.report import Report

# C0/C1 control characters except tab and newline, DEL, and the Unicode
# bidirectional controls ("Trojan Source"): contract text comes from pull
# requests, so it must not be able to move the cursor, recolour the terminal
# or visually reorder what a reviewer reads. LS/PS do not end a source line
# (pv numbers lines as editors do), so they must not look like one either.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with terminal-unsafe characters shown as `\\xNN` / `\\uNNNN` escapes.

    A byte of a file name that is not UTF-8 (a lone surrogate, as Python decodes
    such names) is shown as `\\xNN` too: it cannot be written to a UTF-8 stream.
    """
    return _SURROGATE.sub(_escape_byte, _UNSAFE.sub(_escape_char, text))


_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape_byte(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


def decodable(text: str) -> str:
    """`text` with only its undecodable bytes (lone surrogates) escaped as `\\xNN`: valid Unicode for JSON."""
    return _SURROGATE.sub(_escape_byte, text)


def raw_bytes(name: str) -> bytes:
    """The bytes of a file name as the file system has them (undoing Python's surrogate escapes)."""
    try:
        return name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that is no escaped byte: keep it recognisable
        return name.encode("utf-8", "surrogatepass")


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def counts(report: Report) -> str:
    """`N errors, M warnings`, plus `, K infos` when there are any.

    Correct English for 1 (`1 error, 0 warnings`); a clean run reads
    `0 errors, 0 warnings`.
    """
    text = f"{plural(report.errors, 'error')}, {plural(report.warnings, 'warning')}"
    if report.infos:
        text += f", {plural(report.infos, 'info')}"
    return text


def summary_line(report: Report) -> str:
    """The closing line of the text and GitHub formats.

    `2 errors, 0 warnings, 77 infos (81 files checked; infos not shown: -v shows them;
    120 in the baseline; 3 suppressed)`: every finding is counted, shown or not.
    """
    notes = [f"{plural(len(report.files), 'file')} checked"]
    if report.infos and not report.show_infos:
        notes.append("infos not shown: -v shows them")
    if report.baselined:
        notes.append(f"{report.baselined} in the baseline")
    if report.suppressed:
        notes.append(f"{report.suppressed} suppressed")
    return f"{counts(report)} ({'; '.join(notes)})"


def sort_key(finding: Finding) -> tuple:
    return (finding.file, finding.line, finding.col, finding.code, finding.message)


def ordered(report: Report) -> list[Finding]:
    """Findings in a deterministic order, whatever order the engine produced."""
    return sorted(report.findings, key=sort_key)


def ordered_shown(report: Report) -> list[Finding]:
    """What the text and GitHub formats print (infos only with `show_infos`), in order."""
    return sorted(report.shown(), key=sort_key)
