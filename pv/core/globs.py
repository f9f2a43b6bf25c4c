"""Path globs for `exclude` and `per-file-ignores`, matched against repo-relative POSIX paths.

- `*` matches within one path segment, `?` one character, `[abc]` a class;
  `**` as a whole segment matches any number of segments (zero included).
- A pattern without `/` matches at any depth (`*.draft.yaml`, `kaizen`), as in
  .gitignore and ruff; a pattern with `/` is anchored at the repository root
  (a leading `/` or `./` is allowed and means the same).
- A pattern that matches a folder matches everything under it, so
  `contracts/kaizen` and `contracts/kaizen/**` are the same.
"""

from __future__ import annotations

import re
from functools import lru_cache


def _segment(part: str) -> str:
    out, i = [], 0
    while i < len(part):
        char = part[i]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = part.find("]", i + 2 if part[i + 1 : i + 2] in ("!", "]") else i + 1)
            if end == -1:
                out.append(re.escape(char))
            else:
                body = part[i + 1 : end]
                body = ("^" + body[1:]) if body.startswith("!") else body
                out.append(f"[{body.replace(chr(92), chr(92) * 2)}]")
                i = end
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


@lru_cache(maxsize=512)
def compile_glob(pattern: str) -> re.Pattern[str]:
    """Regex matching a path the pattern covers (the path itself or anything under it)."""
    text = pattern.strip().replace("\\", "/")
    while text.startswith("./"):
        text = text[2:]
    anchored = "/" in text.rstrip("/")
    text = text.strip("/")
    parts = [p for p in text.split("/") if p] or ["**"]
    if not anchored:
        parts = ["**", *parts]
    regex = ""
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if part == "**":
            regex += ".*" if last else "(?:[^/]+/)*"
        else:
            regex += _segment(part) + ("" if last else "/")
    return re.compile(f"{regex}(?:/.*)?\\Z", re.DOTALL)


def matches(path: str, pattern: str) -> bool:
    """Does `pattern` cover the repo-relative POSIX `path`?"""
    return compile_glob(pattern).match(path) is not None


def matches_any(path: str, patterns: tuple[str, ...] | list[str]) -> bool:
    return any(matches(path, pattern) for pattern in patterns)
