"""Human-readable report: `file:line:col: severity CODE message`, a code frame, a hint.

Findings are grouped by file (in file order). Errors and warnings get a code
frame of the offending line with a line of context either side and a caret
under the reported span; infos stay on one line. The last line is the
summary, `N errors, M warnings (F files checked)`.
"""

from __future__ import annotations

import re
import unicodedata

from pv.core.findings import Finding, Severity
from pv.core.report import Report
from pv.reports.common import ordered_shown, printable, summary_line

CONTEXT = 1  # lines shown before and after the offending line
MAX_WIDTH = 120  # longer source lines are cut to a window around the column
TAB = 4

# libyaml (which positions findings) counts these as line breaks; so must we.
_LINE_BREAK = re.compile("\r\n|[\r\n]")  # as pv.core.document.source_lines: NEL/LS/PS do not end a line

RESET = "\x1b[0m"
BOLD = "\x1b[1m"
DIM = "\x1b[2m"
COLORS = {Severity.ERROR: "\x1b[1;31m", Severity.WARNING: "\x1b[1;33m", Severity.INFO: "\x1b[1;36m"}
GREEN = "\x1b[1;32m"
HINT = "\x1b[32m"


class _Style:
    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, code: str, text: str) -> str:
        return f"{code}{text}{RESET}" if self.color and text else text


def _width(text: str) -> int:
    """Terminal columns taken by `text` (wide East Asian characters count 2)."""
    if text.isascii():  # the common case, and the only one that needs no per-character look-up
        return len(text)
    total = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        total += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return total


def _display(text: str) -> str:
    return printable(text).expandtabs(TAB)


def _frame(finding: Finding, lines: list[str], style: _Style) -> list[str]:
    """The code frame for one finding; empty when its line is not in the source."""
    if not 1 <= finding.line <= len(lines):
        return []
    main = lines[finding.line - 1]
    col_idx = min(max(finding.col, 1) - 1, len(main))
    if finding.end_line == finding.line and finding.end_col and finding.end_col > finding.col:
        end_idx = min(finding.end_col - 1, len(main))
    else:  # a span over several lines (or none): underline to the end of this line
        end_idx = len(main) if finding.end_line and finding.end_line > finding.line else col_idx + 1
    # Cut very long lines (one-line flow YAML) to a window around the column.
    start = 0
    if len(main) > MAX_WIDTH:
        start = max(0, min(col_idx - MAX_WIDTH // 3, len(main) - MAX_WIDTH))
    first = max(1, finding.line - CONTEXT)
    last = min(len(lines), finding.line + CONTEXT)
    gutter = len(str(last))
    out = []

    def cut(text: str) -> str:
        segment = text[start : start + MAX_WIDTH]
        lead = "…" if start and text[:start] else (" " if start else "")
        tail = "…" if len(text) > start + MAX_WIDTH else ""
        return lead + _display(segment) + tail

    for number in range(first, last + 1):
        marker = ">" if number == finding.line else " "
        text = cut(lines[number - 1]).rstrip()
        head = f" {marker} {number:>{gutter}} |" + (" " if text else "")
        out.append(style(DIM, head) + text if number != finding.line else style(BOLD, head) + text)
        if number == finding.line:
            lead = 1 if start else 0
            segment = main[start : start + MAX_WIDTH]
            left = max(0, col_idx - start)
            right = max(left + 1, min(end_idx - start, len(segment)))
            pad = lead + _width(_display(segment[:left]))
            carets = max(1, _width(_display(segment[:right])) - _width(_display(segment[:left])))
            caret_line = " " * pad + "^" * carets
            out.append(style(DIM, f"   {'':>{gutter}} | ") + style(COLORS[finding.severity], caret_line))
    return out


def _headline(finding: Finding, style: _Style) -> str:
    if finding.line > 0:
        location = f"{finding.file}:{finding.line}:{max(finding.col, 1)}"
    else:  # no position (e.g. an unreadable file)
        location = finding.file
    severity = finding.severity.label
    message = printable(finding.message).replace("\n", "\n    ")
    location = printable(location).replace("\n", "\\n")  # a file named `x\ny.yaml:1:1: …` forges no line
    return (f"{style(BOLD, location)}: {style(COLORS[finding.severity], severity)} "
            f"{style(BOLD, finding.code)} {message}")


def render(report: Report, *, color: bool = False) -> str:
    style = _Style(color)
    out: list[str] = []
    split_cache: dict[str, list[str]] = {}  # only the file being framed: findings come file by file
    for finding in ordered_shown(report):
        if finding.severity == Severity.INFO:
            line = _headline(finding, style)
            if finding.hint:
                line += style(DIM, f" (hint: {printable(finding.hint)})")
            out.append(line)
            continue
        if finding.file not in split_cache:
            split_cache.clear()
            source = report.sources.get(finding.file)
            if source is None:
                lines = []
            else:  # str.split is several times faster than the regex, and the same without CR
                lines = source.split("\n") if "\r" not in source else _LINE_BREAK.split(source)
            if lines and lines[-1] == "":  # the text after the final line break is not a line
                lines.pop()
            split_cache[finding.file] = lines
        if out and out[-1] != "":
            out.append("")  # a blank line before each framed finding
        out.append(_headline(finding, style))
        out.extend(_frame(finding, split_cache[finding.file], style))
        if finding.hint:
            hint = printable(finding.hint).replace("\n", "\n        ")
            out.append(f"  {style(HINT, 'hint:')} {hint}")
        out.append("")
    if out and out[-1] != "":
        out.append("")
    summary = summary_line(report)
    if report.errors:
        summary = style(COLORS[Severity.ERROR], summary)
    elif report.warnings:
        summary = style(COLORS[Severity.WARNING], summary)
    else:
        summary = style(GREEN, summary)
    out.append(summary)
    return "\n".join(out) + "\n"
