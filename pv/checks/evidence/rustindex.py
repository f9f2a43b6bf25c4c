"""A small Rust item scanner: enough to tell whether `file.rs::a::b` exists.

It tokenises with one regular expression, skipping comments (nested block
comments included), string, byte, C and raw string literals (`r#"…"#`) and
char literals, so text inside them never looks like an item. It then walks
the tokens tracking `mod` and `impl`/`trait` nesting and `#[…]` attributes:
`#[test]`-style attributes mark tests, `#[cfg(test)]` marks test-only
modules, `#[ignore]` marks tests that do not run. Function bodies and
type bodies are skipped; items inside a brace-delimited macro call at item
level (`proptest! { … }`) are recorded as if the macro were transparent.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

# An unterminated string or raw string runs to the end of the file (as rustc reads it);
# failing the match instead made every later `r#"` or `"` rescan the rest: quadratic.
_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<line_comment>//[^\n]*)
  | (?P<block_comment>/\*)
  | (?P<raw_string>(?:br|cr|r)(?P<hashes>\#*)"(?:.|\n)*?(?:"(?P=hashes)|\Z))
  | (?P<raw_ident>r\#[A-Za-z_]\w*)
  | (?P<string>(?:b|c)?"(?:[^"\\]|\\(?:.|\Z))*(?:"|\Z))
  | (?P<char>b?'(?:[^'\\\n]|\\(?:u\{[0-9a-fA-F]{1,6}\}|x[0-9a-fA-F]{2}|.))')
  | (?P<lifetime>'[A-Za-z_]\w*)
  | (?P<ident>[A-Za-z_]\w*)
  | (?P<number>\d[\w]*(?:\.\d[\w]*)?)
  | (?P<punct>::|->|=>|[{}()\[\];#!<>,=:&*+\-/%^|.?@$~'"\\])
    """,
    re.VERBOSE | re.DOTALL,
)

MAX_ITEM_DEPTH = 256  # mod/impl/trait nesting; real code stays far below

_TEST_ATTRS = {"test", "rstest", "test_case", "proptest", "quickcheck", "wasm_bindgen_test", "proof",
               "test_log::test", "tokio::test", "async_std::test", "kani::proof", "serial_test::serial"}
_ITEM_KEYWORDS = {"fn", "const", "static", "struct", "enum", "trait", "type", "union", "mod", "impl",
                  "macro_rules"}


@dataclass
class RustItem:
    path: tuple[str, ...]
    kind: str  # fn, const, static, struct, enum, trait, type, union, mod, macro
    line: int
    is_test: bool = False
    ignored: bool = False
    cfg_test: bool = False  # inside (or is) a #[cfg(test)] module


@dataclass
class RustFile:
    items: dict[tuple[str, ...], RustItem] = field(default_factory=dict)
    error: str | None = None

    def by_suffix(self, symbol: tuple[str, ...]) -> list[RustItem]:
        n = len(symbol)
        return [item for path, item in self.items.items() if len(path) > n and path[-n:] == symbol]


def tokenize(text: str) -> list[tuple[str, str, int]]:
    """(kind, text, offset) for every significant token; comments and literals collapse."""
    tokens: list[tuple[str, str, int]] = []
    pos, end = 0, len(text)
    match = _TOKEN.match
    while pos < end:
        m = match(text, pos)
        if m is None:  # a character no rule knows (e.g. stray unicode): skip it
            pos += 1
            continue
        kind = m.lastgroup or ""
        if kind == "hashes":
            kind = "raw_string"
        if kind == "block_comment":
            depth, i = 1, m.end()
            while depth and i < end:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
            pos = i
            continue
        pos = m.end()
        if kind in ("ws", "line_comment"):
            continue
        if kind in ("raw_string", "string", "char"):
            tokens.append(("literal", "", m.start()))
        elif kind == "raw_ident":
            tokens.append(("ident", m.group()[2:], m.start()))
        else:
            tokens.append((kind, m.group(), m.start()))
    return tokens


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.lines = [m.start() for m in re.finditer("\n", text)]
        self.result = RustFile()

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.lines, offset - 1) + 1

    def _skip_balanced(self, i: int, open_: str, close: str) -> int:
        """From tokens[i] == open_, return the index after the matching close."""
        depth = 0
        while i < len(self.tokens):
            text = self.tokens[i][1]
            if text == open_:
                depth += 1
            elif text == close:
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        return i

    def _skip_generics(self, i: int) -> int:
        """Skip `<…>` starting at tokens[i] == '<' (`->` and `=>` are separate tokens)."""
        depth = 0
        while i < len(self.tokens):
            text = self.tokens[i][1]
            if text == "<":
                depth += 1
            elif text == ">":
                depth -= 1
                if depth == 0:
                    return i + 1
            elif text in ("{", ";"):
                return i
            i += 1
        return i

    def _attribute(self, i: int) -> tuple[str, int]:
        """tokens[i] == '#': return (attribute text, index after it)."""
        j = i + 1
        if j < len(self.tokens) and self.tokens[j][1] == "!":
            j += 1
        if j >= len(self.tokens) or self.tokens[j][1] != "[":
            return "", i + 1
        stop = self._skip_balanced(j, "[", "]")
        body = " ".join(tok[1] for tok in self.tokens[j + 1 : stop - 1])
        return body, stop

    @staticmethod
    def _attr_flags(attrs: list[str]) -> tuple[bool, bool, bool]:
        """(is test, is ignored, is cfg(test))."""
        is_test = ignored = cfg_test = False
        for attr in attrs:
            compact = attr.replace(" ", "")
            head = re.split(r"[(=\[]", compact, maxsplit=1)[0]
            if head in _TEST_ATTRS or head.endswith("::test"):
                is_test = True
            if head == "ignore":
                ignored = True
            if head == "cfg" and re.search(r"(?<![\w])test(?![\w])", compact) and "not(test" not in compact:
                cfg_test = True
        return is_test, ignored, cfg_test

    def _type_name(self, i: int, stop_words: set[str]) -> tuple[str | None, int]:
        """Last path identifier of a type at generic depth 0, scanning until `{`, `;` or a stop word."""
        name = None
        while i < len(self.tokens):
            kind, text, _ = self.tokens[i]
            if text in ("{", ";") or (kind == "ident" and text in stop_words):
                return name, i
            if text == "<":
                i = self._skip_generics(i)
                continue
            if text == "(":
                i = self._skip_balanced(i, "(", ")")
                continue
            if text == "[":
                i = self._skip_balanced(i, "[", "]")
                continue
            if kind == "ident" and text not in ("dyn", "mut", "const", "unsafe", "impl"):
                name = text
            i += 1
        return name, i

    def scan(self) -> RustFile:
        tokens = self.tokens
        # Frames: (path prefix, cfg_test, transparent?) per open brace; None = opaque body.
        stack: list[tuple[tuple[str, ...], bool] | None] = [((), False)]
        pending_attrs: list[str] = []
        pending_scope: tuple[tuple[str, ...], bool] | None = None
        i = 0
        while i < len(tokens):
            kind, text, offset = tokens[i]
            frame = stack[-1]
            if text == "{":
                stack.append(pending_scope if pending_scope is not None else None)
                pending_scope = None
                pending_attrs = []
                i += 1
                continue
            if text == "}":
                if len(stack) > 1:
                    stack.pop()
                pending_attrs = []
                i += 1
                continue
            if frame is None:  # inside a function or type body: nothing addressable
                i += 1
                continue
            prefix, in_cfg_test = frame
            if len(prefix) > MAX_ITEM_DEPTH:  # every item keeps its whole path: depth² memory
                self.result.error = f"nests modules deeper than {MAX_ITEM_DEPTH} levels; not scanned"
                return self.result
            if text == "#":
                attr, i = self._attribute(i)
                if attr:
                    pending_attrs.append(attr)
                continue
            if text == ";":
                pending_attrs = []
                pending_scope = None
                i += 1
                continue
            if kind != "ident":
                i += 1
                continue
            is_test, ignored, cfg_test = self._attr_flags(pending_attrs)
            line = self.line_of(offset)
            nxt = tokens[i + 1] if i + 1 < len(tokens) else ("", "", 0)
            if text == "mod" and nxt[0] == "ident":
                path = prefix + (nxt[1],)
                self._add(RustItem(path, "mod", line, cfg_test=in_cfg_test or cfg_test))
                pending_scope = (path, in_cfg_test or cfg_test)
                pending_attrs = []
                i += 2
                continue
            if text == "impl":
                j = i + 1
                if j < len(tokens) and tokens[j][1] == "<":
                    j = self._skip_generics(j)
                first, j = self._type_name(j, {"for", "where"})
                name = first
                if j < len(tokens) and tokens[j][1] == "for":
                    name, j = self._type_name(j + 1, {"where"})
                if j < len(tokens) and tokens[j][1] == "where":
                    while j < len(tokens) and tokens[j][1] not in ("{", ";"):
                        j += 1
                pending_scope = (prefix + ((name,) if name else ()), in_cfg_test) if name else None
                pending_attrs = []
                i = j
                continue
            if text == "trait" and nxt[0] == "ident":
                path = prefix + (nxt[1],)
                self._add(RustItem(path, "trait", line, cfg_test=in_cfg_test))
                j = i + 2
                while j < len(tokens) and tokens[j][1] not in ("{", ";"):
                    j += 1
                pending_scope = (path, in_cfg_test)
                pending_attrs = []
                i = j
                continue
            if text == "fn" and nxt[0] == "ident":
                self._add(RustItem(prefix + (nxt[1],), "fn", line, is_test=is_test, ignored=ignored,
                                   cfg_test=in_cfg_test or cfg_test))
                pending_attrs = []
                pending_scope = None
                i = self._skip_signature(i + 2)
                continue
            if text in ("const", "static") and nxt[0] == "ident" and nxt[1] not in ("fn", "unsafe", "async",
                                                                                    "extern", "mut"):
                self._add(RustItem(prefix + (nxt[1],), text, line, cfg_test=in_cfg_test or cfg_test))
                pending_attrs = []
                i = self._skip_to_semicolon(i + 2)
                continue
            if text == "static" and nxt[1] == "mut" and i + 2 < len(tokens) and tokens[i + 2][0] == "ident":
                self._add(RustItem(prefix + (tokens[i + 2][1],), "static", line, cfg_test=in_cfg_test))
                pending_attrs = []
                i = self._skip_to_semicolon(i + 3)
                continue
            if text in ("struct", "enum", "union", "type") and nxt[0] == "ident":
                self._add(RustItem(prefix + (nxt[1],), text, line, cfg_test=in_cfg_test or cfg_test))
                pending_attrs = []
                pending_scope = None
                i += 2
                continue
            if text == "macro_rules" and nxt[1] == "!" and i + 2 < len(tokens) and tokens[i + 2][0] == "ident":
                self._add(RustItem(prefix + (tokens[i + 2][1],), "macro", line, cfg_test=in_cfg_test))
                pending_attrs = []
                i += 3
                continue
            if nxt[1] == "!" and i + 2 < len(tokens) and tokens[i + 2][1] == "{" and text not in _ITEM_KEYWORDS:
                # An item-level macro call with a brace body (proptest! { … }): look inside.
                pending_scope = (prefix, in_cfg_test)
                i += 2
                continue
            if text == "extern" and i + 2 < len(tokens) and tokens[i + 1][0] == "literal" \
                    and tokens[i + 2][1] == "{":
                pending_scope = (prefix, in_cfg_test)
                i += 2
                continue
            i += 1
        return self.result

    def _skip_signature(self, i: int) -> int:
        """From after `fn name`, stop at the body's `{` (left for the main loop) or after `;`."""
        depth = 0
        while i < len(self.tokens):
            text = self.tokens[i][1]
            if text in ("(", "[", "<"):
                depth += 1
            elif text in (")", "]", ">"):
                depth = max(0, depth - 1)
            elif text == "{" and depth == 0:
                return i
            elif text == ";" and depth == 0:
                return i + 1
            i += 1
        return i

    def _skip_to_semicolon(self, i: int) -> int:
        """Skip a const/static initialiser, braces included, through its `;`."""
        while i < len(self.tokens):
            text = self.tokens[i][1]
            if text == "{":
                i = self._skip_balanced(i, "{", "}")
                continue
            if text == ";":
                return i + 1
            if text == "}":
                return i  # malformed: let the main loop close the scope
            i += 1
        return i

    def _add(self, item: RustItem) -> None:
        if item.path[-1] != "_":  # `const _: () = …;` is an anonymous compile-time check
            self.result.items.setdefault(item.path, item)


def index_source(text: str) -> RustFile:
    """Index Rust source text."""
    try:
        return _Scanner(text).scan()
    except RecursionError:  # defensive; the scanner itself does not recurse
        return RustFile(error="too deeply nested to scan")
