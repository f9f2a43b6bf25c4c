"""Completion: ids where an id is expected, test node ids in evidence lists, closed-vocabulary values.

Where the cursor is is read from the lines around it (indentation and
`key:`), not from a parse, because while someone types the document often
does not parse; names defined in the contract come from the last version
that did.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pv.core.document import Document, source_lines
from pv.lsp import symbols, testids, vocab

EVIDENCE_KEYS = ("evidence_discharged_by", "harness_discharged_by")
MAX_ITEMS = 1000
_KEY_LINE = re.compile(r"^( *)((?:- +)*)([^\s:#\-][^:#]*?|-[^\s:#][^:#]*?)\s*:(?:\s+(.*))?$")
_VALUE = re.compile(r"^( *)((?:- +)*)([^\s:#][^:#]*?)\s*:\s+(?:\[(?:[^\]]*,)?\s*)?['\"]?([^\s,\[\]'\"]*)$")
_ITEM = re.compile(r"^( *)- +['\"]?([^\s'\"]*)$")
_ID_LINE = re.compile(r"^\s*(?:-\s+)?id:\s*['\"]?([^\s'\"#]+)", re.MULTILINE)


@dataclass(frozen=True)
class Item:
    label: str
    kind: str  # "id", "formula", "test", "value"
    detail: str
    line: int  # 1-based range the item replaces
    col: int
    end_col: int


@dataclass(frozen=True)
class Context:
    keys: tuple[str, ...]  # key path of the value being written, list indexes dropped
    in_list: bool  # a list item (or a flow-list element) of the key at keys[-1]
    partial: str  # what is already typed of the value
    line: int
    col: int  # 1-based column where the partial value starts


def context_at(text: str, line: int, col: int) -> Context | None:
    lines = source_lines(text)
    if not 0 < line <= len(lines):
        return None
    prefix = lines[line - 1][:col - 1]
    value = _VALUE.match(prefix)
    if value is not None:
        spaces, dashes, key, partial = value.groups()
        threshold, allow_equal = (len(spaces), True) if dashes else (len(spaces) + len(dashes), False)
        parents = _parents(lines[:line - 1], threshold, allow_equal)
        in_list = "[" in prefix[prefix.index(":"):]
        return Context(parents + (key.strip(),), in_list, partial, line, col - len(partial))
    item = _ITEM.match(prefix)
    if item is not None:
        spaces, partial = item.groups()
        parents = _parents(lines[:line - 1], len(spaces), True)
        return Context(parents, True, partial, line, col - len(partial))
    return None


def _parents(above: list[str], threshold: int, allow_equal: bool) -> tuple[str, ...]:
    """Keys enclosing a line with indentation `threshold`, read upwards through the lines above it."""
    keys: list[str] = []
    for text in reversed(above):
        stripped = text.strip()
        if not stripped or stripped.startswith("#") or (threshold == 0 and not allow_equal):
            if threshold == 0 and not allow_equal:
                break
            continue
        match = _KEY_LINE.match(text)
        lead = len(text) - len(text.lstrip(" "))
        if match is not None:
            spaces, dashes, key, rest = match.groups()
            key_indent = len(spaces) + len(dashes)
            dash_indent = len(spaces) if dashes else None
            empty = not (rest or "").strip() or (rest or "").strip().startswith("#")
            if key_indent < threshold or (allow_equal and key_indent == threshold and empty):
                keys.insert(0, key.strip().strip("'\""))
                threshold, allow_equal = (dash_indent, True) if dash_indent is not None else (key_indent, False)
            elif dash_indent is not None and dash_indent < threshold:
                threshold, allow_equal = dash_indent, True
        elif stripped.startswith("-") and lead < threshold:
            threshold, allow_equal = lead, True
    return tuple(keys)


def complete(text: str, doc: Document | None, line: int, col: int, root: Path,
             config: object = None) -> list[Item]:
    """Items for the cursor at (line, col), 1-based; `doc` is the last version of the text that parsed.

    `config` may add values to a closed vocabulary (`[tool.pv.vocabularies]`), as it does for the checks.
    """
    ctx = context_at(text, line, col)
    if ctx is None or not ctx.keys:
        return []
    key = ctx.keys[-1]
    candidates: list[tuple[str, str, str]] = []  # (label, kind, detail)
    if ctx.in_list and key in EVIDENCE_KEYS:
        candidates = [(node, "test", f"line {lineno}") for node, lineno in testids.node_ids(root)]
    elif key in symbols.ID_REF_KEYS or (ctx.in_list and ctx.keys[-2:] == ("gates", "invariants")):
        wanted = "INV-" if key == "invariants" else ""
        candidates = [(ident, "id", "id") for ident in _ids(text, doc) if ident.startswith(wanted)]
    elif key == symbols.FORMULA_REF_KEY and len(ctx.keys) == 2 and ctx.keys[0] in ("invariants", "gates") \
            and doc is not None:
        candidates = [(name, "formula", d.kind) for name, d in symbols.formula_names(doc).items()]
    else:
        from pv.core.vocabulary import config_vocabularies, extra_values_for

        values = vocab.values_for(ctx.keys) + extra_values_for(ctx.keys, config_vocabularies(config))
        candidates = [(value, "value", "/".join(ctx.keys)) for value in dict.fromkeys(values)]
    wanted = ctx.partial.lower()
    items = [Item(label, kind, detail, ctx.line, ctx.col, ctx.col + len(ctx.partial))
             for label, kind, detail in candidates if wanted in label.lower()]
    return items[:MAX_ITEMS]


def _ids(text: str, doc: Document | None) -> list[str]:
    found = dict.fromkeys(m.group(1) for m in _ID_LINE.finditer(text))
    if doc is not None:
        found.update(dict.fromkeys(symbols.ids(doc)))
    return list(found)
