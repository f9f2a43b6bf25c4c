"""Apply exact `TextEdit`s (1-based line/column ranges) to a text."""

from __future__ import annotations

import re
from collections.abc import Iterable

from pv.core.findings import TextEdit

_BREAK = re.compile("\r\n|\r|\n")


class OverlapError(ValueError):
    """Two edits touch the same characters."""


def _line_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in _BREAK.finditer(text)]


def offset(text: str, line: int, col: int, starts: list[int] | None = None) -> int:
    """Character offset of 1-based (line, col); clamped to the text and to the line's end."""
    starts = starts if starts is not None else _line_starts(text)
    if line < 1:
        return 0
    if line > len(starts):
        return len(text)
    start = starts[line - 1]
    end = starts[line] if line < len(starts) else len(text)
    body_end = end
    while body_end > start and text[body_end - 1] in "\r\n":
        body_end -= 1
    return min(start + max(col, 1) - 1, body_end if col <= body_end - start + 1 else end)


def apply_edits(text: str, edits: Iterable[TextEdit]) -> str:
    """The text with every edit applied; overlapping edits raise OverlapError."""
    starts = _line_starts(text)
    spans = sorted(((offset(text, e.line, e.col, starts), offset(text, e.end_line, e.end_col, starts), e.new_text)
                    for e in edits), key=lambda s: (s[0], s[1]))
    for (_a0, a1, _), (b0, _, _) in zip(spans, spans[1:]):
        if b0 < a1:
            raise OverlapError("edits overlap")
    out, last = [], 0
    for start, end, new in spans:
        if end < start:
            raise OverlapError("an edit ends before it starts")
        out.append(text[last:start])
        out.append(new)
        last = end
    out.append(text[last:])
    return "".join(out)
