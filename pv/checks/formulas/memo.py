"""Formula results cached per formula, so an edit elsewhere in a file does not redo the maths.

The file-level cache (`pv.core.cache`) keys on a file's whole text; this one
keys each symbolic step (one claim, one obligation) on what it depends on:
the formula's canonical text, the definitions it uses, the domains of its
symbols, the claim's point and value. A hit needs no sympy at all.

Entries live beside the file cache (`.pv_cache/formulas/`) under keys salted
with the same secret machine key, so a committed entry cannot be planted.
Only results reached without hitting any limit are stored (`storable`): a
step that timed out, ran out of budget, or gave up early is recomputed next
time, so a loaded machine never leaves a degraded verdict behind.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pv import __version__
from pv.core.cache import real_dirs

FORMAT = 1
_MEMORY: dict[str, Any] = {}  # this process's hits and stores, in front of the disk
_MEMORY_CAP = 10_000  # a long-lived process (the language server) forgets rather than grows


class Memo:
    def __init__(self, directory: Path | None, secret: str) -> None:
        self.directory = directory / "formulas" / f"v{FORMAT}" if directory is not None else None
        self.secret = secret

    @classmethod
    def for_context(cls, ctx: Any) -> Memo:
        """The memo of an engine context: on disk beside its result cache, else in memory only."""
        cache = getattr(ctx, "cache", None)
        if cache is None or not getattr(cache, "usable", True):  # e.g. a `.pv_cache` linked outside the root
            return cls(None, "")
        return cls(Path(cache.directory).parent, cache.secret)

    def key(self, *parts: str) -> str:
        digest = hashlib.sha256()
        for part in (self.secret, __version__, str(FORMAT), *parts):
            digest.update(part.encode("utf-8", "surrogatepass"))
            digest.update(b"\0")
        return digest.hexdigest()

    def get(self, key: str) -> Any | None:
        if key in _MEMORY:
            return _MEMORY[key]
        if self.directory is None:
            return None
        path = self.directory / key[:2] / f"{key}.json"
        if not real_dirs(self.directory.parent.parent, path, create=False):  # no symbolic link is followed
            return None
        try:
            value = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # missing or damaged: recompute
        if not isinstance(value, dict):
            return None
        if len(_MEMORY) >= _MEMORY_CAP:
            _MEMORY.clear()
        _MEMORY[key] = value
        return value

    def put(self, key: str, value: dict[str, Any]) -> None:
        if len(_MEMORY) >= _MEMORY_CAP:
            _MEMORY.clear()
        _MEMORY[key] = value
        if self.directory is None:
            return
        try:
            from pv.core.atomic import write_text_atomic

            path = self.directory / key[:2] / f"{key}.json"
            if real_dirs(self.directory.parent.parent, path, create=True):
                write_text_atomic(path, json.dumps(value), durable=False)
        except (OSError, TypeError, ValueError):
            pass  # a read-only checkout still validates, just without this cache


def well_formed(kind: str, value: Any) -> bool:
    """A damaged but parseable entry is a miss, never a crash in a report."""
    if not isinstance(value, dict):
        return False
    if kind == "claim":
        if "error" in value:
            return isinstance(value["error"], str)
        return isinstance(value.get("ok"), bool) and isinstance(value.get("actual"), str) and isinstance(
            value.get("precise", ""), str)
    strings = ("method", "detail", "note")
    return value.get("status") in ("proved", "refuted", "undecided") and all(
        isinstance(value.get(k, ""), str) for k in strings) and all(
        isinstance(value.get(k, 0), int) and not isinstance(value.get(k, 0), bool) for k in ("points", "skipped")) \
        and isinstance(value.get("counterexample", {}), dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.get("counterexample", {}).items())


def storable(kind: str, value: dict[str, Any]) -> bool:
    """Whether a step's result was reached without hitting a limit, so it may be cached."""
    if kind == "claim":
        return "error" not in value or "cannot decide" in value.get("error", "")
    if value.get("status") in ("proved", "refuted"):
        return True
    # undecided: only when the search ran its full course and no proof attempt was cut short
    return not value.get("note") and value.get("complete", False)
