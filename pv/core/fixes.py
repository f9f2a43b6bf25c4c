"""Build the exact `Fix` a finding's hint states, from a document's source spans.

Checks call these to attach `Finding.fix`; `pv validate --fix` and editor code
actions apply them (pv/edit/fix.py). Each helper returns None when the edit
would not be exact (a multi-line scalar, a key that would collide), so a fix
is offered only where it changes nothing but what the hint says.
"""

from __future__ import annotations

import json
import re

from pv.core.document import Document, YamlPath, source_lines
from pv.core.findings import Fix, TextEdit

_PLAIN_SAFE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./:-]*\Z")  # no spaces, so never `: ` or ` #`


def _plain_ok(text: str) -> bool:
    from pv.core.loader import resolve_plain

    return bool(_PLAIN_SAFE.match(text)) and not text.endswith(":") and isinstance(resolve_plain(text), str)


def scalar_text(doc: Document, value: str, like: str) -> str:
    """`value` written as a YAML scalar in the style of the source text `like`."""
    if like.startswith("'"):
        return "'" + value.replace("'", "''") + "'"
    if like.startswith('"') or not _plain_ok(value):
        return json.dumps(value, ensure_ascii=False)
    return value


def _source(doc: Document, span: tuple[int, int, int, int]) -> str | None:
    line, col, end_line, end_col = span
    if line != end_line or line < 1:
        return None
    lines = source_lines(doc.text)
    return lines[line - 1][col - 1:end_col - 1] if line <= len(lines) else None


def rename_key(doc: Document, path: YamlPath, new: str, title: str | None = None) -> Fix | None:
    """Rename the mapping key at `path` to `new` (None when `new` is already a sibling key)."""
    parent = doc.get(path[:-1])
    span = doc.key_spans.get(tuple(path))
    if not isinstance(parent, dict) or new in parent or span is None or not _plain_ok(new):
        return None
    old = _source(doc, span)
    if old is None:
        return None
    line, col, _, end_col = span
    return Fix(title or f"rename `{path[-1]}` to `{new}`",
               (TextEdit(line, col, line, end_col, scalar_text(doc, new, old)),))


def replace_scalar(doc: Document, path: YamlPath, new_text: str, title: str) -> Fix | None:
    """Replace the one-line scalar at `path` with `new_text` (already YAML, quotes included)."""
    span = doc.value_spans.get(tuple(path))
    if span is None or _source(doc, span) is None:
        return None
    line, col, _, end_col = span
    return Fix(title, (TextEdit(line, col, line, end_col, new_text),))


def replace_string(doc: Document, path: YamlPath, value: str, title: str) -> Fix | None:
    """Replace the one-line string at `path` with `value`, keeping its quote style."""
    span = doc.value_spans.get(tuple(path))
    old = _source(doc, span) if span is not None else None
    if old is None:
        return None
    return replace_scalar(doc, path, scalar_text(doc, value, old), title)


def insert_list_item(doc: Document, path: YamlPath, index: int, value: str, title: str) -> Fix | None:
    """Insert a one-line string item before item `index` of the block list at `path` (at the end when
    `index` is its length), indented like its items."""
    items = doc.get(path)
    if not isinstance(items, list) or not items:
        return None
    lines = source_lines(doc.text)
    first = doc.value_spans.get(tuple(path) + (0,))
    if first is None:
        return None
    dash = re.match(r"(\s*)-\s+", lines[first[0] - 1])
    if dash is None or len(dash.group(0)) != first[1] - 1:
        return None  # not a block list written one item per `- ` line
    item = dash.group(0) + json.dumps(value, ensure_ascii=False)
    nl = "\r\n" if "\r\n" in doc.text else "\n"
    if index < len(items):
        at = doc.value_spans.get(tuple(path) + (index,))
        if at is None or not lines[at[0] - 1].startswith(dash.group(0)):
            return None
        return Fix(title, (TextEdit(at[0], 1, at[0], 1, item + nl),))
    last = doc.value_spans.get(tuple(path) + (len(items) - 1,))
    if last is None:
        return None
    end_line = last[2]
    if end_line > len(lines):
        return None
    return Fix(title, (TextEdit(end_line, len(lines[end_line - 1]) + 1, end_line, len(lines[end_line - 1]) + 1,
                                nl + item),))


_NUMERIC_VERSION = re.compile(r"\d+(?:\.\d+){0,2}\Z")
VERSION_PATHS = (("version",), ("metadata", "version"))


def semver_text(text: str) -> str | None:
    """`1` -> `1.0.0`, `1.2` -> `1.2.0`: the MAJOR.MINOR.PATCH a short version means; None otherwise."""
    text = text.strip().strip("'\"")
    if not _NUMERIC_VERSION.match(text):
        return None
    parts = text.split(".")
    return ".".join(str(int(p)) for p in parts + ["0"] * (3 - len(parts)))


def quote_version(doc: Document, path: YamlPath) -> Fix | None:
    """A version written as a number (`1.0`, read as a float) becomes the quoted string "1.0.0"."""
    if tuple(path) not in VERSION_PATHS:
        return None
    span = doc.value_spans.get(tuple(path))
    source = _source(doc, span) if span is not None else None
    new = semver_text(source) if source is not None else None
    if new is None:
        return None
    return replace_scalar(doc, path, f'"{new}"', f'write the version as the string "{new}"')
