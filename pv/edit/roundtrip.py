"""ruamel.yaml round-trip load and dump of contract text.

Only text that pv's own loader accepted comes here (no tags, anchors or
aliases, size and depth capped), so the round-trip loader never expands an
alias bomb or builds a tagged object.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

from pv.edit.merge import merge_edit


class EditError(Exception):
    """The text cannot be edited safely (the message says why)."""


def _yaml(text: str, width: int | None = None):
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    # Never re-wrap long lines, unless the caller asks for the file's own width (a new changelog entry
    # written like its neighbours); both dumps of `edit_text` use it, so lines not edited are unaffected.
    yaml.width = width or 1 << 20
    mapping, sequence, offset = guess_indent(text)
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


_SEQ_ITEM = re.compile(r"^( *)- ")
_KEY_LINE = re.compile(r"^( *)[^\s#-][^:]*:\s*(#.*)?$")


def guess_indent(text: str) -> tuple[int, int, int]:
    """(mapping indent, sequence indent, dash offset) as the file writes them."""
    lines = text.splitlines()
    mapping, offset = None, None
    for i, line in enumerate(lines[:-1]):
        key = _KEY_LINE.match(line)
        if not key:
            continue
        nxt = next((n for n in lines[i + 1:] if n.strip() and not n.lstrip().startswith("#")), None)
        if nxt is None:
            continue
        inner = len(nxt) - len(nxt.lstrip(" "))
        step = inner - len(key.group(1))
        if _SEQ_ITEM.match(nxt) and step >= 0:
            offset = step if offset is None else offset
        elif step <= 0:
            continue
        elif _SEQ_ITEM.match(nxt):
            offset = step if offset is None else offset
        elif mapping is None:
            mapping = step
        if mapping is not None and offset is not None:
            break
    mapping = mapping or 2
    offset = mapping if offset is None else offset
    return mapping, offset + 2, offset


def load(text: str, width: int | None = None) -> tuple[Any, Any]:
    """(yaml instance configured for this text, round-trip data)."""
    from ruamel.yaml.error import YAMLError

    yaml = _yaml(text, width)
    try:
        return yaml, yaml.load(text)
    except YAMLError as exc:
        raise EditError(f"cannot parse for editing: {str(exc).splitlines()[0]}") from None


def dump(yaml: Any, data: Any) -> str:
    stream = io.StringIO()
    yaml.dump(data, stream)
    return stream.getvalue()


def edit_text(text: str, mutate: Callable[[Any], None], width: int | None = None) -> str:
    """Apply `mutate(data)` to the round-trip data of `text`; return the new text.

    Lines the edit did not change keep their original bytes even where ruamel
    would have written them differently (see `merge.merge_edit`).
    """
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    body = text[len(bom):]
    crlf = "\r\n" in body
    body = body.replace("\r\n", "\n")
    if "\r" in body:
        raise EditError("the file mixes CR line endings with others; save it with LF or CRLF line endings")
    yaml, data = load(body, width)
    baseline = dump(yaml, data)
    mutate(data)
    edited = dump(yaml, data)
    merged = merge_edit(body, baseline, edited)
    return bom + (merged.replace("\n", "\r\n") if crlf else merged)
