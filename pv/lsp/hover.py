"""Hover: a rule code's `pv explain`, a formula's reading and values, an evidence entry, an id's definition."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pv.core.document import Document
from pv.lsp import evidence_info, formula_info, symbols
from pv.lsp.positions import node_at, word_at

_CODE = re.compile(r"PV\d{3}\Z")


@dataclass(frozen=True)
class HoverText:
    markdown: str
    line: int  # 1-based range the hover is about
    col: int
    end_line: int
    end_col: int


def explain(code: str) -> str | None:
    """`pv explain CODE`, the same text, as Markdown (its first line in bold)."""
    from pv.commands.explain import explanation
    from pv.core import rules

    try:
        rule = rules.get(code)
    except KeyError:
        return None
    head, _, rest = explanation(rule).partition("\n")
    return f"**{head}**\n{rest}"


def hover(text: str, doc: Document | None, line: int, col: int) -> HoverText | None:
    """What to show at (line, col), 1-based; `doc` is the parsed `text` (None when it does not parse)."""
    word = word_at(text, line, col)
    if word is not None and _CODE.match(word[0]):
        markdown = explain(word[0])
        if markdown is not None:
            return HoverText(markdown, line, word[1], line, word[2])
    if doc is None:
        return None
    node = node_at(doc, line, col)
    if node is None:
        return None
    span = node.span
    markdown = formula_info.describe(doc, node.path)
    if markdown is None and not node.is_key:
        cited = evidence_info.cited_at(doc, node.path)
        if cited is not None:
            markdown = evidence_info.describe(cited, doc.root)
    if markdown is None:
        markdown, span = _definition_hover(doc, node, text, line, col)
    if markdown is None:
        return None
    return HoverText(markdown, *span)


def _definition_hover(doc: Document, node, text: str, line: int, col: int):
    defined = symbols.definitions(doc)
    value = doc.get(node.path)
    name, span = None, node.span
    if not node.is_key and isinstance(value, str) and value.strip() in defined:
        name = value.strip()
    else:
        word = word_at(text, line, col)
        if word is not None and word[0] in defined:
            name, span = word[0], (line, word[1], line, word[2])
    if name is None:
        return None, span
    definition = defined[name]
    if definition.path == node.path or (definition.is_key and node.is_key and definition.path == node.path):
        here = "defined here"
    else:
        here = f"defined on line {doc.span(definition.path, key=definition.is_key)[0]}"
    summary = symbols.summary_of(doc, definition.item)
    markdown = f"**{name}** — {definition.kind}, {here}"
    if summary:
        markdown += f"\n\n{summary}"
    return markdown, span
