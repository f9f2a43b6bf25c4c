"""Parse and classify the evidence references contract authors write.

Forms understood (all paths relative to the repository root):

- pytest node ids: `tests/test_x.py::test_a`, `tests/test_x.py::TestC::test_m[param-id]`;
- Rust items: `crates/a/src/b.rs::tests::fn_name`, `…/b.rs::Type::method`,
  `…/b.rs::CONST`, optionally followed by a parenthetical note
  (`… (const fn)`), or a file followed by a `+`-separated list of items
  (`…/b.rs (fn_a + fn_b + CONST)`);
- plain files: `scripts/run.sh`, `contracts/other-v1.yaml (note)`;
- harness mappings `{name, kind, path}` and evidence mappings `{path, …}`.

Anything else (prose, shell commands, `LIVE-PENDING: …`) is classified as
unresolvable with a hint that says which form would be.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

PYTHON, RUST, FILE, UNRESOLVABLE, UNSAFE = "python", "rust", "file", "unresolvable", "unsafe"

_IDENT = re.compile(r"(?:r#)?[A-Za-z_][A-Za-z0-9_]*\Z")
_PATH_CHARS = re.compile(r"[A-Za-z0-9_.\-+@/\\~:]+\Z")
_ITEM_LIST = re.compile(r"\s*[A-Za-z_][\w:]*(?:\s*[+,]\s*[A-Za-z_][\w:]*)*\s*\Z")
_WINDOWS_ABS = re.compile(r"[A-Za-z]:[\\/]")
_SHELL_WORDS = {"cargo", "pytest", "python", "python3", "apr", "make", "bash", "sh", "pv", "git", "uv", "npm"}
_NAME_LABELS = {"test:", "tests:", "fn:", "harness:", "unit-test:"}
_FORM_HINT = ("write a pytest node id (`tests/test_x.py::test_name`), a Rust item "
              "(`crates/x/src/y.rs::tests::test_name`), or a repository file path")


@dataclass(frozen=True)
class Reference:
    """One evidence entry, parsed.

    `symbol` is the `::`-separated item path after the file (empty for a
    whole file); `extra` holds items listed in a trailing parenthesis;
    `loose` means the name may sit anywhere in the file (harness entries).
    """

    raw: str
    form: str
    file: str | None = None
    symbol: tuple[str, ...] = ()
    param: str | None = None
    extra: tuple[tuple[str, ...], ...] = ()
    note: str | None = None
    reason: str | None = None  # why the entry is unresolvable or unsafe
    hint: str | None = None
    loose: bool = False
    kind: str | None = None  # harness `kind`, when given
    bare_name: str | None = None  # a test named without its file (`test: name …`)
    path_key: tuple[str | int, ...] = field(default=(), compare=False)  # sub-path of the file value
    name_key: tuple[str | int, ...] = field(default=(), compare=False)  # sub-path of the name value

    @property
    def display(self) -> str:
        if self.file is None:
            return " ".join(self.raw.split())
        text = self.file + "".join("::" + part for part in self.symbol)
        return text + (f"[{self.param}]" if self.param is not None else "")

    @property
    def checkable(self) -> bool:
        return self.form in (PYTHON, RUST, FILE)


def _kind_of(path: str) -> str:
    lower = path.lower()
    if lower.endswith(".py"):
        return PYTHON
    if lower.endswith(".rs"):
        return RUST
    return FILE


def _unresolvable(raw: str, reason: str, hint: str = _FORM_HINT) -> Reference:
    return Reference(raw=raw, form=UNRESOLVABLE, reason=reason, hint=hint)


def path_problem(path: str) -> str | None:
    """Why a path written in a contract is refused before touching the disk."""
    if path.startswith(("/", "\\", "~")) or _WINDOWS_ABS.match(path):
        return "absolute path"
    if "\x00" in path:
        return "NUL byte in path"
    depth = 0
    for part in re.split(r"[\\/]", path):
        if part == "..":
            depth -= 1
            if depth < 0:
                return "`..` climbs above the repository root"
        elif part not in ("", "."):
            depth += 1
    return None


def _split_token(text: str) -> tuple[str, str]:
    """Split `ref (note)` into the reference token and the rest.

    The token ends at the first whitespace or `(`, except inside a
    `[param id]`, which may contain spaces.
    """
    depth = 0
    for index, char in enumerate(text):
        if char == "[":
            depth += 1
        elif char == "]" and depth:
            depth -= 1
        elif depth == 0 and (char.isspace() or (char == "(" and index > 0)):
            return text[:index], text[index:].strip()
    return text, ""


def _parse_symbol(text: str, form: str) -> tuple[tuple[str, ...], str | None, str | None]:
    """Validate the `::a::b[param]` part; returns (symbol, param, problem)."""
    param = None
    if "[" in text:  # a pytest param id may itself contain `::` or spaces
        start = text.index("[")
        if not text.endswith("]"):
            return (), None, f"unbalanced `[` in `{text}`"
        param, text = text[start + 1 : -1], text[:start]
        if form != PYTHON:
            return (), None, "a `[param-id]` only makes sense on a pytest node id"
    parts = text.split("::")
    if parts and parts[-1].endswith("()"):
        parts[-1] = parts[-1][:-2]
    for part in parts:
        if not _IDENT.match(part):
            return (), None, f"`{part}` is not an identifier"
    return tuple(parts), param, None


def parse(raw: str) -> Reference:
    """Classify one string entry."""
    text = raw.strip()
    if not text:
        return _unresolvable(raw, "the entry is empty")
    token, rest = _split_token(text)
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "`'\"":
        token = token[1:-1]
    if token.upper().startswith("LIVE-PENDING") or token.upper().startswith("PENDING"):
        return _unresolvable(raw, "a pending note is not evidence",
                             "keep the gate `discharge_status: PENDING` and put the note in `discharge_notes`")
    if token.lower() in _SHELL_WORDS:
        return _unresolvable(raw, "a shell command is not a reference to evidence",
                             "cite the test the command runs, e.g. `tests/test_x.py::test_name`")
    if "://" in token:
        return _unresolvable(raw, "a URL is not evidence inside the repository",
                             "cite the test or file in this repository that the page describes")
    head, _, _ = token.partition("::")
    if head.lower() in _NAME_LABELS and _IDENT.match(rest.split(" ", 1)[0] if rest else ""):
        name = rest.split(" ", 1)[0]
        return Reference(raw=raw, form=UNRESOLVABLE, bare_name=name,
                         reason=f"`{name}` is named without the file that defines it",
                         hint=f"write `path/to/file.rs::tests::{name}` (or `tests/test_x.py::{name}`)")
    if not head or not _PATH_CHARS.match(head) or head.endswith(":"):
        return _unresolvable(raw, "prose, not a reference")
    if "/" not in head and "\\" not in head and "." not in head:
        if _IDENT.match(head) and not rest:
            return Reference(raw=raw, form=UNRESOLVABLE, bare_name=head,
                             reason=f"`{head}` is named without the file that defines it",
                             hint=f"write `path/to/file.rs::tests::{head}` (or `tests/test_x.py::{head}`)")
        return _unresolvable(raw, "prose, not a reference")
    problem = path_problem(head)
    if problem is not None:
        return Reference(raw=raw, form=UNSAFE, file=head, reason=problem,
                         hint="write the path relative to the repository root, without `..`")
    form = _kind_of(head)
    tail = token[len(head) + 2 :] if token.startswith(head + "::") else ""
    if tail and form == FILE:
        return _unresolvable(raw, f"`::` items can be resolved only in .py and .rs files, not in `{head}`",
                             f"cite the file `{head}` alone, or the test that checks it")
    symbol, param, bad = _parse_symbol(tail, form) if tail else ((), None, None)
    if bad is not None:
        return _unresolvable(raw, bad)
    note, extra = None, ()
    if rest:
        if not (rest.startswith("(") and rest.endswith(")")):
            return _unresolvable(raw, "text after the reference is not a parenthetical note",
                                 "write one reference per entry; put notes in a trailing `( … )`")
        note = rest[1:-1].strip()
        # `file.rs (fn_a + fn_b)` lists items; `file.rs::x (const fn)` is a note.
        if not symbol and form in (PYTHON, RUST) and _ITEM_LIST.match(note):
            extra = tuple(tuple(item.strip().split("::")) for item in re.split(r"[+,]", note))
            note = None
    return Reference(raw=raw, form=form, file=head.replace("\\", "/"), symbol=symbol, param=param,
                     extra=extra, note=note)


def parse_mapping(item: dict[str, Any], *, harness: bool) -> Reference:
    """A `{name, kind, path}` harness item or a `{path, type, note}` evidence item."""
    path = item.get("path")
    raw = f"{path}" if path is not None else repr(item)
    if not isinstance(path, str) or not path.strip():
        return _unresolvable(raw, "the mapping has no `path` string",
                             "give the file as `path:` (relative to the repository root)")
    ref = parse(path)
    name = item.get("name") if harness else None
    kind = item.get("kind") if isinstance(item.get("kind"), str) else None
    if ref.form in (UNSAFE, UNRESOLVABLE):
        return Reference(raw=ref.raw, form=ref.form, file=ref.file, reason=ref.reason, hint=ref.hint,
                         kind=kind, path_key=("path",))
    symbol, loose, name_key = ref.symbol, False, ()
    if isinstance(name, str) and name.strip() and not ref.symbol:
        if ref.form == FILE:
            # A harness named in a file pv cannot read symbols from: the file is the evidence.
            symbol = ()
        elif _IDENT.match(name.strip()):
            symbol, loose, name_key = (name.strip(),), True, ("name",)
        else:
            return Reference(raw=raw, form=UNRESOLVABLE, file=ref.file, kind=kind, name_key=("name",),
                             reason=f"harness name `{name}` is not an identifier",
                             hint="give the test function's name")
    return Reference(raw=ref.raw, form=ref.form, file=ref.file, symbol=symbol, param=ref.param,
                     extra=ref.extra, note=ref.note, loose=loose, kind=kind, path_key=("path",),
                     name_key=name_key)


def parse_entry(value: Any, *, harness: bool = False) -> Reference:
    """Classify any YAML value found in an evidence list."""
    if isinstance(value, str):
        return parse(value)
    if isinstance(value, dict):
        return parse_mapping(value, harness=harness)
    shown = {type(None): "null", bool: "a boolean", int: "an integer", float: "a number", list: "a list"}.get(
        type(value), f"a {type(value).__name__}")
    return _unresolvable(str(value), f"the entry is {shown}, not a reference",
                         "write a string reference, or a mapping with a `path:`")
