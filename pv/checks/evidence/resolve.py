"""Resolve a parsed reference against the files under the repository root.

Static only: Python is read with `ast`, Rust with the scanner in
`rustindex`; nothing is imported or run. Parsed files are cached per
process, keyed by real path and (mtime, size), because many gates cite
one file.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from pv.checks.evidence import nearby
from pv.checks.evidence.paths import locate
from pv.checks.evidence.refs import FILE, PYTHON, RUST, UNRESOLVABLE, UNSAFE, Reference
from pv.core.deps import note_read

if TYPE_CHECKING:  # the indexers load only when a cited .py/.rs file is read
    from pv.checks.evidence import pyindex, rustindex

RESOLVED, MISSING_FILE, MISSING_SYMBOL = "resolved", "missing-file", "missing-symbol"
# Classification of every entry: resolved, missing-file, missing-symbol, unresolvable, unsafe.

MAX_SOURCE_BYTES = 4 * 1024 * 1024
_CACHE_SIZE = 512
_cache: OrderedDict[tuple[str, str], tuple[tuple[int, int], object]] = OrderedDict()
_hints: dict[tuple[str, str], str | None] = {}  # missing-file suggestions, per process


@dataclass(frozen=True)
class Issue:
    """A quality problem of evidence that exists (rule code, message, hint)."""

    code: str
    message: str
    hint: str | None = None
    rewrite: tuple[str, str] | None = None  # (as written, exact form) when the hint is an exact rewrite


@dataclass
class Resolution:
    ref: Reference
    status: str  # RESOLVED, MISSING_FILE, MISSING_SYMBOL, UNRESOLVABLE or UNSAFE (refs constants)
    message: str = ""
    hint: str | None = None
    path: Path | None = None  # real file path when it exists
    target: str = ""  # "test", "function", "class", "module", "const", "file", …
    runnable: str | None = None  # "pytest" or "cargo" when the item is a test that can be run
    exact: tuple[str, ...] = ()  # the item's full path (Rust suffix matches)
    issues: list[Issue] = field(default_factory=list)
    line: int | None = None  # line of the item in its file

    @property
    def ok(self) -> bool:
        return self.status == RESOLVED


def clear_cache() -> None:
    _cache.clear()
    _hints.clear()


def _read(path: Path) -> tuple[str | None, str | None]:
    try:
        st = os.stat(path)
        if st.st_size > MAX_SOURCE_BYTES:
            return None, f"is larger than {MAX_SOURCE_BYTES} bytes"
        with open(path, "rb") as handle:
            data = handle.read(MAX_SOURCE_BYTES + 1)
        return data.decode("utf-8", errors="replace"), None
    except OSError as exc:
        return None, f"cannot be read ({exc.strerror or exc})"


def parsed(path: Path, language: str):
    """The cached index of a file (`pyindex.PyModule` or `rustindex.RustFile`)."""
    from pv.checks.evidence import pyindex, rustindex

    key = (language, str(path))
    try:
        st = os.stat(path)
        stamp = (st.st_mtime_ns, st.st_size)
        note_read(path, st)  # the result depends on these bytes (pv.core.deps: warm runs reuse it)
    except OSError as exc:
        stamp = (-1, -1)
        error = f"cannot be read ({exc.strerror or exc})"
        return pyindex.PyModule(error=error) if language == PYTHON else rustindex.RustFile(error=error)
    hit = _cache.get(key)
    if hit is not None and hit[0] == stamp:
        _cache.move_to_end(key)
        return hit[1]
    text, error = _read(path)
    if text is None:
        index: object = pyindex.PyModule(error=error) if language == PYTHON else rustindex.RustFile(error=error)
    elif language == PYTHON:
        index = pyindex.index_source(text, str(path))
    else:
        index = rustindex.index_source(text)
    _cache[key] = (stamp, index)
    if len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    return index


def _suggest(name: str, candidates: list[str]) -> str | None:
    return _suggest_cached(name, tuple(sorted(set(candidates))))


@lru_cache(maxsize=1024)
def _suggest_cached(name: str, candidates: tuple[str, ...]) -> str | None:
    import difflib

    close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.6)
    if not close:
        return None
    return "did you mean " + ", ".join(f"`{c}`" for c in close) + "?"


def _is_test_file(relative: str) -> bool:
    name = relative.rsplit("/", 1)[-1]
    parts = relative.split("/")[:-1]
    return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py" \
        or any(p in ("tests", "test") for p in parts)


def resolve(ref: Reference, root: Path) -> Resolution:
    """Classify one reference as resolved, missing-file, missing-symbol, unresolvable or unsafe."""
    if ref.form == UNRESOLVABLE:
        return Resolution(ref, UNRESOLVABLE, f"cannot resolve `{_short(ref.raw)}`: {ref.reason}", ref.hint)
    if ref.form == UNSAFE:
        return Resolution(ref, UNSAFE, f"refused `{ref.file}`: {ref.reason}", ref.hint)
    assert ref.file is not None
    located = locate(root, ref.file)
    if located.problem is not None:
        return Resolution(ref, UNSAFE, f"refused `{ref.file}`: {located.problem}",
                          "evidence must live inside the repository root")
    if not located.exists or located.path is None:
        return Resolution(ref, MISSING_FILE, f"`{ref.file}` does not exist",
                          _missing_file_hint(root, ref.file))
    path = located.path
    if not (os.path.isfile(path) or os.path.isdir(path)):
        return Resolution(ref, MISSING_FILE, f"`{ref.file}` is not a file", None)
    if ref.form == FILE or (not ref.symbol and not ref.extra):
        resolution = Resolution(ref, RESOLVED, path=path, target="file")
        if ref.form in (PYTHON, RUST) and os.path.isfile(path):
            _whole_module(resolution, path, ref.form)
        return resolution
    if not os.path.isfile(path):
        return Resolution(ref, MISSING_FILE, f"`{ref.file}` is not a file", None)
    if ref.form == PYTHON:
        return _resolve_python(ref, path)
    return _resolve_rust(ref, path)


def _whole_module(resolution: Resolution, path: Path, language: str) -> None:
    """A gate citing a whole Python or Rust file: it must parse; a Python test file is run by pytest."""
    index = parsed(path, language)
    if index.error:
        resolution.status = MISSING_SYMBOL
        resolution.message = f"`{resolution.ref.file}` {index.error}"
        return
    resolution.target = "module"
    if language != PYTHON:
        return
    resolution.runnable = "pytest" if _is_test_file(resolution.ref.file or "") else None
    if index.skip and resolution.runnable:
        resolution.issues.append(Issue("PV405", f"`{resolution.ref.file}` is skipped: {index.skip}"))


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _missing_file_hint(root: Path, relative: str) -> str | None:
    key = (str(root), relative)
    if key not in _hints:
        if len(_hints) > 4096:
            _hints.clear()
        _hints[key] = _compute_missing_file_hint(root, relative)
    return _hints[key]


def _compute_missing_file_hint(root: Path, relative: str) -> str | None:
    """Suggest a file of the same name in the same or the parent directory."""
    parent = os.path.dirname(relative.rstrip("/"))
    name = os.path.basename(relative.rstrip("/"))
    for directory in (parent, os.path.dirname(parent)):
        located = locate(root, directory or ".")
        if located.path is None or not located.exists or not os.path.isdir(located.path):
            continue
        try:
            names = os.listdir(located.path)
        except OSError:
            continue
        import difflib

        close = difflib.get_close_matches(name, names, n=2, cutoff=0.75)
        if close:
            base = f"{directory}/" if directory else ""
            return "did you mean " + ", ".join(f"`{base}{c}`" for c in close) + "?"
        break
    return None


# --- Python --------------------------------------------------------------------


def _resolve_python(ref: Reference, path: Path) -> Resolution:
    module = parsed(path, PYTHON)
    res = Resolution(ref, RESOLVED, path=path)
    if module.error:
        res.status, res.message = MISSING_SYMBOL, f"`{ref.file}` {module.error}"
        return res
    targets = [ref.symbol] if ref.symbol else []
    targets += list(ref.extra)
    for symbol in targets:
        item = module.find_loose(symbol[-1]) if ref.loose and len(symbol) == 1 else module.find(symbol)
        if item is None:
            shown = "::".join(symbol)
            res.status = MISSING_SYMBOL
            res.message = f"`{ref.file}` has no `{shown}`"
            scope = symbol[:-1] if not ref.loose else ()
            tests = [q[-1] for q, f in module.functions.items() if f.is_test]
            res.hint = nearby.hint(symbol[-1], [
                (f"in `{'::'.join(scope)}`", module.names_in(scope) if scope else []),
                (f"in `{ref.file}`", tests),
                (f"in `{ref.file}`", [q[-1] for q in module.functions] + [q[-1] for q in module.classes])])
            return res
        if symbol is ref.symbol or (ref.loose and symbol == ref.symbol):
            _python_target(res, module, item, ref)
            if res.status != RESOLVED:
                return res
    if not ref.symbol:
        res.target = "items"
    return res


def _python_target(res: Resolution, module: pyindex.PyModule, item, ref: Reference) -> None:
    res.line = item.line
    shown = "::".join(item.qualname)
    in_test_file = _is_test_file(ref.file or "")
    from pv.checks.evidence.pyindex import PyClass

    if isinstance(item, PyClass):
        res.target = "class"
        res.runnable = "pytest" if item.collected else None
        skip = module.skip or item.skip
        if skip and item.collected:
            res.issues.append(Issue("PV405", f"`{shown}` is skipped: {skip}"))
        return
    res.target = "test" if item.is_test else "function"
    res.exact = item.qualname
    if ref.param is not None:
        if item.param_ids is not None:
            from pv.checks.evidence.pyindex import WILDCARD, param_id_matches

            if not param_id_matches(ref.param, item.param_ids):
                res.status = MISSING_SYMBOL
                res.message = f"`{shown}` has no parametrize id `[{ref.param}]`"
                known = sorted(k.replace(WILDCARD, "…") for k in item.param_ids)
                res.hint = _suggest(ref.param, known) or "its ids are " + ", ".join(
                    f"`{k}`" for k in known[:8]) + (" …" if len(known) > 8 else "")
                return
        elif not item.parametrized and not item.has_args:
            res.status = MISSING_SYMBOL
            res.message = f"`{shown}` is not parametrized, so `[{ref.param}]` cannot exist"
            res.hint = f"cite `{ref.file}::{shown}`"
            return
    if item.is_test:
        res.runnable = "pytest"
        skip = module.skip or item.skip or (item.param_skips.get(ref.param) if ref.param else None)
        if skip:
            res.issues.append(Issue("PV405", f"`{shown}` is {skip}"
                                    if skip.startswith("marked") else f"`{shown}` {skip}",
                                    "remove the mark, or cite a test that runs"))
    elif in_test_file:
        res.issues.append(Issue("PV408", f"`{shown}` is not collected by pytest (its name does not start "
                                "with `test`, or its class is not a `Test…` class)",
                                "cite the test that calls it"))
    if item.empty:
        res.issues.append(Issue("PV407", f"`{shown}` has an empty body (`pass` or `...`)",
                                "write the test, or keep the gate PENDING"))
    elif item.is_test and not item.asserts:
        res.issues.append(Issue("PV406", f"`{shown}` asserts nothing",
                                "add an `assert` (or `pytest.raises`) for what the gate claims"))


# --- Rust ----------------------------------------------------------------------


def _resolve_rust(ref: Reference, path: Path) -> Resolution:
    index: rustindex.RustFile = parsed(path, RUST)
    res = Resolution(ref, RESOLVED, path=path)
    if index.error:
        res.status, res.message = MISSING_SYMBOL, f"`{ref.file}` {index.error}"
        return res
    stem = os.path.splitext(os.path.basename(ref.file or ""))[0]
    targets = [ref.symbol] if ref.symbol else []
    targets += list(ref.extra)
    for symbol in targets:
        item, inexact = _rust_lookup(index, symbol, stem)
        if item is None:
            res.status = MISSING_SYMBOL
            res.message = f"`{ref.file}` has no `{'::'.join(symbol)}`"
            # What is near: the same module's tests first (a renamed test), then the file's tests, then anything.
            scope = symbol[:-1]
            res.hint = nearby.hint(symbol[-1], [
                (f"in `{'::'.join(scope)}`", [p[-1] for p, i in index.items.items() if p[:-1] == scope and i.is_test]
                 if scope else []),
                (f"in `{ref.file}`", [p[-1] for p, i in index.items.items() if i.is_test]),
                (f"in `{ref.file}`", [p[-1] for p in index.items])])
            return res
        if inexact:
            full = f"{ref.file}::{'::'.join(item.path)}"
            res.issues.append(Issue("PV409", f"`{'::'.join(symbol)}` is `{'::'.join(item.path)}` in "
                                    f"`{ref.file}`", f"write `{full}`",
                                    rewrite=(f"{ref.file}::{'::'.join(symbol)}", full)))
        if symbol == ref.symbol:
            _rust_target(res, item)
    if not ref.symbol:
        res.target = "items"
    return res


def _rust_lookup(index: rustindex.RustFile, symbol: tuple[str, ...],
                 stem: str) -> tuple[rustindex.RustItem | None, bool]:
    if symbol in index.items:
        return index.items[symbol], False
    if len(symbol) > 1 and symbol[0] == stem and symbol[1:] in index.items:
        return index.items[symbol[1:]], False  # `file.rs::file::x`: the file's own module name
    candidates = index.by_suffix(symbol)
    if candidates:
        tests = [c for c in candidates if c.is_test]
        return (tests or candidates)[0], True
    return None, False


def _rust_target(res: Resolution, item: rustindex.RustItem) -> None:
    res.line = item.line
    res.exact = item.path
    shown = "::".join(item.path)
    if item.kind == "fn":
        res.target = "test" if item.is_test else "function"
    else:
        res.target = item.kind
    if item.is_test:
        res.runnable = "cargo"
        if item.ignored:
            res.issues.append(Issue("PV405", f"`{shown}` is marked #[ignore], so `cargo test` skips it",
                                    "remove #[ignore], or cite a test that runs"))
    elif item.kind == "fn" and item.cfg_test:
        res.issues.append(Issue("PV408", f"`{shown}` is a helper in test code, not a #[test] function",
                                "cite the #[test] function that calls it"))
    elif item.kind == "mod" and item.cfg_test:
        res.runnable = "cargo"


def hint_bare_names(resolutions: list[Resolution], root: Path) -> None:
    """For `test: name` entries, look for `name` in the files the same gate cites."""
    files = []
    for res in resolutions:
        if res.ref.file and res.ref.form in (PYTHON, RUST) and res.ref.file not in files:
            files.append(res.ref.file)
    for res in resolutions:
        name = res.ref.bare_name
        if res.status != UNRESOLVABLE or not name:
            continue
        for file in files:
            located = locate(root, file)
            if located.path is None or not located.exists or not os.path.isfile(located.path):
                continue
            if file.endswith(".py"):
                item = parsed(located.path, PYTHON).find_loose(name)
                where = "::".join(item.qualname) if item is not None else None
            else:
                hits = [i for p, i in parsed(located.path, RUST).items.items() if p[-1] == name]
                where = "::".join(hits[0].path) if hits else None
            if where:
                res.hint = f"it is defined in a file this gate cites: write `{file}::{where}`"
                break
        else:
            if files:
                res.hint = (f"write `<file>::…::{name}`; it is not in the files this gate cites ("
                            + ", ".join(f"`{f}`" for f in files[:3]) + ")")
