"""Safe, fast loading of contract YAML with source positions.

We walk libyaml's event stream (ruamel.yaml.clib's C parser) and build
plain Python data ourselves instead of using a constructor, because that
lets us (a) refuse anchors, aliases, tags and merge keys at the first
event that uses them, so alias bombs never expand, (b) see duplicate keys,
(c) cap nesting depth without recursion, and (d) record the position of
every key and value at ~1 ms per contract, far below ruamel's round-trip
loader (~16 ms). Scalars are resolved with the YAML 1.2 core schema, so
`1e-5` is a float and dates stay strings.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pv.core.document import Document, Span, SpanNode, SpanView, YamlPath, source_lines
from pv.core.findings import Finding

DEFAULT_MAX_BYTES = 2 * 1024 * 1024
DEFAULT_MAX_DEPTH = 64
MAX_DEPTH_CAP = 256  # `max_depth` is clamped here: checks recurse over the data, paths grow with depth
# The largest real contract we know has ~2,400 nodes. Within the byte cap, 2 MiB of `[],` is 600,000 nodes:
# seconds to load and hundreds of MB to check. The node cap keeps that bounded.
DEFAULT_MAX_NODES = 200_000


@dataclass(frozen=True)
class LoadLimits:
    max_bytes: int = DEFAULT_MAX_BYTES
    max_depth: int = DEFAULT_MAX_DEPTH
    max_nodes: int = DEFAULT_MAX_NODES

    def __post_init__(self) -> None:
        object.__setattr__(self, "max_depth", max(1, min(self.max_depth, MAX_DEPTH_CAP)))


class _Stop(Exception):
    """Raised inside the builder when a finding makes further parsing pointless."""


_NULL = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_INT = re.compile(r"[-+]?[0-9]+\Z")
_OCT = re.compile(r"0o[0-7]+\Z")
_HEX = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_INF = re.compile(r"[-+]?\.(?:inf|Inf|INF)\Z")
_NAN = re.compile(r"\.(?:nan|NaN|NAN)\Z")


def resolve_plain(text: str) -> Any:
    """YAML 1.2 core schema resolution of a plain (unquoted) scalar."""
    if text in _NULL:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    try:
        if _INT.match(text):
            return int(text)
        if _OCT.match(text):
            return int(text[2:], 8)
        if _HEX.match(text):
            return int(text[2:], 16)
    except ValueError:  # more digits than Python converts: keep the text
        return text
    if _FLOAT.match(text):
        return float(text)
    if _INF.match(text):
        return float("-inf") if text.startswith("-") else float("inf")
    if _NAN.match(text):
        return float("nan")
    return text


def _pure_events(text: str):
    """ruamel's pure-Python YAML 1.2 event stream (slower, but it is the reference)."""
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True).parse(text)


def _event_parser(text: str, *, pure: bool = False):
    """Yield parser events: libyaml when available (and not `pure`), else ruamel's pure parser."""
    try:
        if pure:
            raise ImportError
        from _ruamel_yaml import CParser
    except ImportError:  # ruamel.yaml.clib missing: slower but equivalent
        yield from _pure_events(text)
        return
    parser = CParser(text)
    while True:
        event = parser.get_event()
        if event is None:
            return
        yield event
        if type(event).__name__ == "StreamEndEvent":
            return


_ODD_BREAK = re.compile("[\x85\u2028\u2029]")


def _line_starts(text: str) -> list[int] | None:
    """Offsets of line starts, when libyaml's line numbers would be wrong (None otherwise).

    libyaml (YAML 1.1) also ends a line at NEL, LS and PS; editors, GitHub and
    YAML 1.2 do not, so every finding after one would be a line off.
    """
    if not _ODD_BREAK.search(text):
        return None
    return [0] + [m.end() for m in re.finditer("\r\n|\r|\n", text)]


def _position(starts: list[int], mark) -> tuple[int, int]:
    """1-based (line, col) of a libyaml mark (its `index` counts characters)."""
    import bisect

    line = bisect.bisect_right(starts, mark.index)
    return line, mark.index - starts[line - 1] + 1


class _Builder:
    def __init__(self, file: str, limits: LoadLimits, make_finding, text: str = "") -> None:
        self.limits = limits
        self.starts = _line_starts(text)
        self.finding = make_finding
        self.findings: list[Finding] = []
        self.tree = SpanNode()  # positions, linked to their parents: memory linear in the nodes
        self.value_spans = SpanView(self.tree, "value")
        self.key_spans = SpanView(self.tree, "key")
        self.documents = 0
        self.nodes = 0
        self.root: Any = None

    def _span(self, event) -> Span:
        s, e = event.start_mark, event.end_mark
        if self.starts is not None:
            return _position(self.starts, s) + _position(self.starts, e)
        return (s.line + 1, s.column + 1, e.line + 1, e.column + 1)

    def build(self, events) -> Any:
        # Each frame: [container, its SpanNode, pending_key or None, seen_keys]
        stack: list[list[Any]] = []
        for event in events:
            kind = type(event).__name__
            if kind in ("StreamStartEvent", "StreamEndEvent", "DocumentEndEvent"):
                continue
            if kind == "DocumentStartEvent":
                self.documents += 1
                if self.documents > 1:
                    line, col, _, _ = self._span(event)
                    self.findings.append(self.finding(
                        line, col, "PV007",
                        "the file holds more than one YAML document; a contract is one mapping",
                        hint="remove the `---` separator and split the file"))
                    raise _Stop
                continue
            if kind == "AliasEvent":
                line, col, _, _ = self._span(event)
                self.findings.append(self.finding(
                    line, col, "PV004", f"alias `*{event.anchor}` is not allowed in contracts",
                    hint="write the value out instead of referring to an anchor"))
                raise _Stop
            anchor = getattr(event, "anchor", None)
            if anchor is not None:
                line, col, _, _ = self._span(event)
                self.findings.append(self.finding(
                    line, col, "PV004", f"anchor `&{anchor}` is not allowed in contracts",
                    hint="remove the anchor; write values out where they are needed"))
                raise _Stop
            tag = getattr(event, "tag", None)
            if tag is not None:
                line, col, _, _ = self._span(event)
                shown = tag.replace("tag:yaml.org,2002:", "!!")
                self.findings.append(self.finding(
                    line, col, "PV003", f"explicit YAML tag `{shown}` is not allowed in contracts",
                    hint="remove the tag; quote the value if it must stay a string"))
                raise _Stop

            if kind in ("MappingEndEvent", "SequenceEndEvent"):
                container = stack.pop()[0]
                self._attach(stack, container)
                continue

            if stack:
                frame = stack[-1]
                if isinstance(frame[0], dict) and frame[2] is None:
                    self._take_key(frame, event, kind)
                    continue
                node = self._child_node(frame)
            else:
                node = self.tree

            span = self._span(event)
            self.nodes += 1
            if self.nodes > self.limits.max_nodes:
                self.findings.append(self.finding(
                    span[0], span[1], "PV011", f"more than {self.limits.max_nodes} YAML nodes",
                    hint="split the contract; no hand-written contract comes near this"))
                raise _Stop
            if kind == "ScalarEvent":
                value = event.value if event.style else resolve_plain(event.value)
                if not event.value and not event.style and node.key is not None:
                    # An empty value (`metadata:` then nothing) has no text of its own; the parser's
                    # mark is where the next token starts, often the next line or past the end.
                    span = node.key
                node.value = span
                self._attach(stack, value)
            else:  # MappingStartEvent / SequenceStartEvent
                if len(stack) >= self.limits.max_depth:
                    self.findings.append(self.finding(
                        span[0], span[1], "PV009",
                        f"nesting deeper than {self.limits.max_depth} levels",
                        hint="flatten the structure"))
                    raise _Stop
                node.value = span
                container = {} if kind == "MappingStartEvent" else []
                stack.append([container, node, None, {}])
        return self.root

    def _take_key(self, frame: list[Any], event, kind: str) -> None:
        span = self._span(event)
        if kind != "ScalarEvent":
            self.findings.append(self.finding(
                span[0], span[1], "PV001", "a mapping key must be a plain scalar, not a collection",
                hint="use a simple string key"))
            raise _Stop
        key = event.value
        if key == "<<" and not event.style:
            self.findings.append(self.finding(
                span[0], span[1], "PV005", "merge key `<<` is not allowed in contracts",
                hint="write the merged keys out explicitly"))
            raise _Stop
        seen = frame[3]
        if key in seen:
            first = seen[key]
            self.findings.append(self.finding(
                span[0], span[1], "PV002",
                f"duplicate key `{key}` (first defined at line {first[0]}, column {first[1]})",
                hint=f"merge this entry with the one on line {first[0]}, or rename one of them",
                path=frame[1].path() + (key,)))
            frame[2] = _DUPLICATE
            return
        seen[key] = span
        frame[1].child(key).key = span
        frame[2] = key

    @staticmethod
    def _child_node(frame: list[Any]) -> SpanNode:
        container, node, key, _ = frame
        if isinstance(container, dict):
            return SpanNode() if key is _DUPLICATE else node.child(key)  # a dropped value: kept nowhere
        return node.child(len(container))

    def _attach(self, stack: list[list[Any]], value: Any) -> None:
        if not stack:
            self.root = value
            return
        frame = stack[-1]
        container = frame[0]
        if isinstance(container, dict):
            if frame[2] is not _DUPLICATE:
                container[frame[2]] = value
            frame[2] = None
        else:
            container.append(value)


_DUPLICATE = object()  # marks a pending duplicate key whose value is dropped


def _utf8_error_position(raw: bytes, offset: int) -> tuple[int, int]:
    """1-based (line, col) of byte `offset`, lines ended by LF, CRLF or CR (as editors number them)."""
    before = raw[:offset]
    breaks = list(re.finditer(rb"\r\n|\r|\n", before))
    line_start = breaks[-1].end() if breaks else 0
    col = len(before[line_start:].decode("utf-8", errors="replace")) + 1
    return len(breaks) + 1, col


def _error_mark(exc: BaseException):
    return getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)


def _error_index(exc: BaseException, text: str) -> int:
    """Character offset where a parser gave up (-1 when it does not say)."""
    mark = _error_mark(exc)
    if mark is not None and getattr(mark, "index", None) is not None:
        return mark.index
    char = getattr(exc, "character", None)  # ReaderError: a character it refuses (libyaml counts bytes)
    return text.find(chr(char)) if isinstance(char, int) and 0 <= char <= 0x10FFFF else -1


def clamp_position(text: str, line: int, col: int) -> tuple[int, int]:
    """(line, col) moved inside the file: a parser's end-of-stream mark sits past the last line."""
    lines = source_lines(text)
    if len(lines) > 1 and lines[-1] == "":  # the text after the final line break is not a line
        lines.pop()
    if line > len(lines):
        line, col = len(lines), len(lines[-1]) + 1
    line = max(1, line)
    return line, max(1, min(col, len(lines[line - 1]) + 1))


def _syntax_finding(exc: BaseException, text: str, starts: list[int] | None, finding) -> Finding:
    """PV001 for a parser error, at the offending character, in pv's words."""
    mark = _error_mark(exc)
    problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    message = f"{context}: {problem}" if context else str(problem)
    index = _error_index(exc, text)
    if mark is None and index >= 0:  # ReaderError: only the offset of the refused character
        all_starts = [0] + [m.end() for m in re.finditer("\r\n|\r|\n", text)]
        line, col = _position(all_starts, _Index(index))
        message = f"character {_char_name(text[index:index + 1])} is not allowed in YAML"
    elif mark is None:
        line, col = 1, 1
    elif starts is not None:
        line, col = _position(starts, mark)
    else:
        line, col = mark.line + 1, mark.column + 1
    line, col = clamp_position(text, line, col)
    source_line = next(iter(source_lines(text)[line - 1 : line]), "")
    hint = "YAML does not allow tabs for indentation; indent with spaces" if "\t" in source_line else None
    return finding(line, col, "PV001", f"invalid YAML: {message}", hint=hint)


@dataclass(frozen=True)
class _Index:
    index: int


def _char_name(char: str) -> str:
    return f"U+{ord(char):04X}" if char else "end of file"


def display_name(path: Path, root: Path) -> str:
    """Repo-relative path with forward slashes when under root, else as given."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _finding(shown: str, line: int, col: int, code: str, message: str, *, hint: str | None = None,
             path: YamlPath = ()) -> Finding:
    from pv.core import rules
    from pv.core.document import format_path

    rule = rules.get(code)
    return Finding(shown, line, col, code, rule.severity, message, format_path(path), hint)


@dataclass
class Source:
    """A contract file's text as read from disk (None when it could not be read)."""

    shown: str  # display name, repo-relative where possible
    path: Path
    root: Path
    text: str | None
    findings: list[Finding]


def _within(path: str, top: str) -> bool:
    return path == top or path.startswith(top.rstrip(os.sep) + os.sep)


def _link_leaves_root(path: Path, root: Path) -> bool:
    """A path under the root (as written) whose real file is outside it."""
    real_root = os.path.realpath(root)
    given = os.path.abspath(path)
    if not (_within(given, os.path.abspath(root)) or _within(given, real_root)):
        return False  # named outside the root on the command line: the user's choice
    return not _within(os.path.realpath(path), real_root)


def read_source(path: Path, root: Path, limits: LoadLimits = LoadLimits()) -> Source:
    """Read and decode one file, refusing oversized and non-UTF-8 files."""
    shown = display_name(path, root)

    def refuse(line: int, col: int, code: str, message: str, hint: str | None = None) -> Source:
        return Source(shown, path, root, None, [_finding(shown, line, col, code, message, hint=hint)])

    try:
        st = os.stat(path)
        if not os.path.isfile(path):
            return refuse(0, 0, "PV010", f"{shown}: not a regular file")
        if _link_leaves_root(path, root):
            # A pull request can add contracts/x.yaml -> /proc/self/environ; code frames would print it.
            return refuse(0, 0, "PV010", f"{shown}: a symbolic link leads outside the repository root",
                          "contracts inside the repository must be files inside it")
        if st.st_size > limits.max_bytes:
            return refuse(1, 1, "PV008", f"file is {st.st_size} bytes, over the cap of {limits.max_bytes} bytes",
                          "split the contract, or raise `max_file_bytes` in [tool.pv]")
        with open(path, "rb") as handle:
            raw = handle.read(limits.max_bytes + 1)
    except OSError as exc:
        return refuse(0, 0, "PV010", f"cannot read {shown}: {exc.strerror or exc}")
    if len(raw) > limits.max_bytes:  # grew between stat and read
        return refuse(1, 1, "PV008", f"file is over the cap of {limits.max_bytes} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _utf8_error_position(raw, exc.start)
        return refuse(line, col, "PV006", f"byte 0x{raw[exc.start]:02x} at offset {exc.start} is not valid UTF-8",
                      "re-save the file as UTF-8")
    return Source(shown, path, root, text, [])


def text_source(path: Path, root: Path, text: str, limits: LoadLimits = LoadLimits()) -> Source:
    """A contract's text that did not come from disk (an editor buffer), under the same size cap."""
    shown = display_name(path, root)
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as exc:  # a lone surrogate from a JSON client
        line, col = text.count("\n", 0, exc.start) + 1, exc.start - text.rfind("\n", 0, exc.start)
        return Source(shown, path, root, None, [_finding(shown, line, col, "PV006",
                                                         "the text holds a lone UTF-16 surrogate, not valid UTF-8")])
    if size > limits.max_bytes:
        return Source(shown, path, root, None, [_finding(
            shown, 1, 1, "PV008", f"file is {size} bytes, over the cap of {limits.max_bytes} bytes",
            hint="split the contract, or raise `max_file_bytes` in [tool.pv]")])
    return Source(shown, path, root, text, [])


def load(path: Path, root: Path, limits: LoadLimits = LoadLimits()) -> tuple[Document | None, list[Finding]]:
    """Load one contract file. Returns (document or None, findings)."""
    return parse_source(read_source(path, root, limits), limits)


def parse_source(source: Source, limits: LoadLimits = LoadLimits()) -> tuple[Document | None, list[Finding]]:
    """Parse a read source into a Document (or None, with the findings that say why)."""
    if source.text is None:
        return None, source.findings
    shown, text = source.shown, source.text

    def finding(line: int, col: int, code: str, message: str, *, hint: str | None = None,
                path: YamlPath = ()) -> Finding:
        return _finding(shown, line, col, code, message, hint=hint, path=path)

    if text.startswith("\ufeff"):
        text = text[1:]
    builder = _Builder(shown, limits, finding, text)
    try:
        data = builder.build(_event_parser(text))
    except _Stop:
        return None, builder.findings
    except Exception as fast_error:  # ruamel's MarkedYAMLError and friends
        # libyaml scans YAML 1.1 (no `:` inside a flow scalar, NEL is a line break, ...):
        # a document that ruamel's YAML 1.2 parser accepts must load, so ask it before refusing.
        builder = _Builder(shown, limits, finding, text)
        try:
            data = builder.build(_event_parser(text, pure=True))
        except _Stop:
            return None, builder.findings
        except Exception as pure_error:
            # Both refuse it: report the error found further into the file (the real one).
            error = max((fast_error, pure_error), key=lambda e: _error_index(e, text))
            return None, builder.findings + [_syntax_finding(error, text, builder.starts, finding)]
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__.replace('str', 'string')}"
        return None, builder.findings + [finding(
            1, 1, "PV007", f"the document is {kind}, not a mapping of contract keys",
            hint="a contract starts with top-level keys such as `metadata:` or `contract_id:`")]
    doc = Document(file=shown, abspath=source.path, root=source.root, text=text, data=data,
                   value_spans=builder.value_spans, key_spans=builder.key_spans)
    return doc, builder.findings
