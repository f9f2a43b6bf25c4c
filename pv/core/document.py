"""A loaded contract: plain data plus the source position of every node."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pv.core import rules
from pv.core.findings import Finding, Fix, Severity

YamlPath = tuple[str | int, ...]

# (line, col, end_line, end_col), all 1-based.
Span = tuple[int, int, int, int]


def format_path(path: YamlPath) -> str:
    """`("gates", 3, "evidence_discharged_by", 1)` -> `gates[3].evidence_discharged_by[1]`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


class SpanNode:
    """One node of a document's tree of positions: linked to its parent, so memory is linear in the
    number of nodes however deep they nest (a tuple path per node would grow with the square)."""

    __slots__ = ("parent", "part", "value", "key", "children")

    def __init__(self, parent: SpanNode | None = None, part: str | int | None = None) -> None:
        self.parent = parent
        self.part = part
        self.value: Span | None = None  # where the value is written
        self.key: Span | None = None  # where its mapping key is written
        self.children: dict[str | int, SpanNode] | None = None

    def child(self, part: str | int) -> SpanNode:
        if self.children is None:
            self.children = {}
        node = self.children.get(part)
        if node is None:
            node = self.children[part] = SpanNode(self, part)
        return node

    def path(self) -> YamlPath:
        parts: list[str | int] = []
        node: SpanNode | None = self
        while node is not None and node.parent is not None:
            parts.append(node.part)  # type: ignore[arg-type]
            node = node.parent
        return tuple(reversed(parts))

    def find(self, path: YamlPath) -> SpanNode | None:
        node: SpanNode | None = self
        for part in path:
            children = node.children if node is not None else None
            node = children.get(part) if children else None
            if node is None:
                return None
        return node


class SpanView(Mapping):
    """`{path: span}` over a SpanNode tree, for value (`attr="value"`) or key (`attr="key"`) spans."""

    def __init__(self, root: SpanNode, attr: str) -> None:
        self.root = root
        self.attr = attr

    def __getitem__(self, path: YamlPath) -> Span:
        node = self.root.find(tuple(path)) if isinstance(path, tuple | list) else None
        span = getattr(node, self.attr) if node is not None else None
        if span is None:
            raise KeyError(path)
        return span

    def __iter__(self) -> Iterator[YamlPath]:
        stack = [self.root]
        while stack:
            node = stack.pop()
            if getattr(node, self.attr) is not None:
                yield node.path()
            if node.children:
                stack.extend(reversed(list(node.children.values())))

    def __len__(self) -> int:
        return sum(1 for _ in self)


_LINE_BREAK = re.compile("\r\n|\r|\n")


def source_lines(text: str) -> list[str]:
    """The lines of a file as editors and GitHub number them: only LF, CRLF and CR end a line.

    (libyaml also breaks lines at NEL, LS and PS, and str.splitlines at more; the
    loader maps libyaml's positions onto these lines.)
    """
    return _LINE_BREAK.split(text)

@dataclass
class Document:
    """One parsed contract.

    `data` holds only dicts, lists, str, int, float, bool and None (YAML 1.2
    core schema; dates stay strings). `value_spans[path]` is where the value
    at `path` is written; `key_spans[path]` is where its mapping key is.
    """

    file: str  # path as shown in reports (relative to the root where possible)
    abspath: Path
    root: Path  # repository root; nothing outside it may be read
    text: str
    data: dict[str, Any]
    value_spans: Mapping[YamlPath, Span] = field(default_factory=dict)
    key_spans: Mapping[YamlPath, Span] = field(default_factory=dict)

    def span(self, path: YamlPath, *, key: bool = False) -> Span:
        """Best known span for `path`: its key or value, else the nearest ancestor."""
        probe = tuple(path)
        while True:
            if key and probe in self.key_spans:
                return self.key_spans[probe]
            if probe in self.value_spans:
                return self.value_spans[probe]
            if probe in self.key_spans:
                return self.key_spans[probe]
            if not probe:
                return (1, 1, 1, 1)
            probe = probe[:-1]

    def get(self, path: YamlPath, default: Any = None) -> Any:
        node: Any = self.data
        for part in path:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                return default
        return node

    def finding(
        self,
        path: YamlPath,
        code: str,
        message: str,
        *,
        hint: str | None = None,
        severity: Severity | None = None,
        key: bool = False,
        at: tuple[int, int] | None = None,
        fix: Fix | None = None,
    ) -> Finding:
        """Make a finding located at `path` (at its key when `key`).

        `at` = (line, col) overrides the position, for checks that point
        inside a string (see `position_in_scalar`).
        """
        line, col, end_line, end_col = self.span(path, key=key)
        if at is not None:
            line, col = at
            end_line, end_col = line, col + 1
        line, col = self.inside(line, col)
        if end_line < line or (end_line == line and end_col < col):
            end_line, end_col = line, col + 1
        rule = rules.get(code)
        return Finding(
            file=self.file,
            line=line,
            col=col,
            code=rule.code,
            severity=severity if severity is not None else rule.severity,
            message=message,
            path=format_path(path),
            hint=hint,
            end_line=end_line,
            end_col=end_col,
            fix=fix,
        )

    def inside(self, line: int, col: int) -> tuple[int, int]:
        """(line, col) moved inside the file: a parser's mark can sit just past the last line."""
        lines = self._lines()
        if line > len(lines):
            line, col = len(lines), len(lines[-1]) + 1
        line = max(1, line)
        return line, max(1, min(col, len(lines[line - 1]) + 1))

    def _lines(self) -> list[str]:
        cached = self.__dict__.get("_source_lines")
        if cached is None:
            cached = source_lines(self.text)
            if len(cached) > 1 and cached[-1] == "":  # the text after the final line break is not a line
                cached.pop()
            self.__dict__["_source_lines"] = cached
        return cached

    def position_in_scalar(self, path: YamlPath, index: int) -> tuple[int, int]:
        """Source (line, col) of character `index` of the string at `path`.

        Exact for one-line plain and quoted scalars and for literal blocks;
        for folded or escaped scalars it finds the text of the surrounding
        line in the source, falling back to the scalar's start.
        """
        value = self.get(path)
        line, col, end_line, _ = self.span(path)
        if not isinstance(value, str):
            return line, col
        index = max(0, min(index, len(value)))
        lines = source_lines(self.text)
        first = lines[line - 1] if 0 < line <= len(lines) else ""
        opener = first[col - 1 : col] if col - 1 < len(first) else ""
        if end_line == line and "\n" not in value:
            return line, col + index + (1 if opener in ("'", '"') else 0)
        # Multi-line: locate the logical line holding `index` in the source.
        start = value.rfind("\n", 0, index) + 1
        stop = value.find("\n", index)
        segment = value[start : stop if stop != -1 else len(value)]
        probe = segment.strip()
        if probe:
            for number in range(line, min(end_line, len(lines)) + 1):
                found = lines[number - 1].find(probe)
                if found != -1:
                    lead = len(segment) - len(segment.lstrip())
                    return number, found + 1 + (index - start - lead)
        return line, col
