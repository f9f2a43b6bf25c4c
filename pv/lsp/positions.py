"""Positions: pv's 1-based (line, column) in code points, and what sits at a place in a contract.

LSP positions are 0-based and count in the encoding the client chose
(UTF-16 by default); the conversion uses pygls's codec on pv's own lines
(pv ends lines only at LF, CRLF and CR, as editors do).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pv.core.document import Document, Span, YamlPath, source_lines

_WORD = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")


@dataclass(frozen=True)
class Node:
    """The innermost YAML node at a position."""

    path: YamlPath
    is_key: bool
    span: Span


def contains(span: Span, line: int, col: int) -> bool:
    """Whether (line, col) lies in the span, its end included (a cursor right after a word is on it)."""
    return (span[0], span[1]) <= (line, col) <= (span[2], span[3])


def node_at(doc: Document, line: int, col: int) -> Node | None:
    """The smallest key or value span holding (line, col), 1-based."""
    best: Node | None = None
    for spans, is_key in ((doc.value_spans, False), (doc.key_spans, True)):
        for path, span in spans.items():
            if contains(span, line, col) and (best is None or _smaller(span, best.span)):
                best = Node(path, is_key, span)
    return best


def _smaller(a: Span, b: Span) -> bool:
    return (a[0], a[1]) >= (b[0], b[1]) and (a[2], a[3]) <= (b[2], b[3]) and a != b


def word_at(text: str, line: int, col: int) -> tuple[str, int, int] | None:
    """The word (letters, digits, `_ . -`) at (line, col), with its 1-based start and end columns."""
    lines = source_lines(text)
    if not 0 < line <= len(lines):
        return None
    source = lines[line - 1]
    for match in _WORD.finditer(source):
        if match.start() + 1 <= col <= match.end() + 1:
            word = match.group(0).rstrip(".-")
            return word, match.start() + 1, match.start() + 1 + len(word)
    return None


def scalar_text_at(doc: Document, node: Node) -> str | None:
    """The string value of the node (or the key itself for a key)."""
    if node.is_key:
        last = node.path[-1] if node.path else None
        return str(last) if last is not None else None
    value = doc.get(node.path)
    return value if isinstance(value, str) else None
