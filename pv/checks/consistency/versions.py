"""Semantic versions and ISO dates as contracts write them."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?\Z"
)
TWO_PART = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)")  # "1.0": MAJOR.MINOR without PATCH
LEADING_VERSION = re.compile(r"\s*v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)")
DATE_IN_TEXT = re.compile(r"\((\d{4}-\d{2}-\d{2})\)|\b(\d{4}-\d{2}-\d{2})\b")

Version = tuple[int, int, int, tuple]


def parse_semver(text: object) -> Version | None:
    """(major, minor, patch, prerelease parts) or None when not semver."""
    if not isinstance(text, str):
        return None
    match = SEMVER.match(text.strip())
    if not match:
        return None
    pre = tuple(int(p) if p.isdigit() else p for p in match.group(4).split(".")) if match.group(4) else ()
    return int(match.group(1)), int(match.group(2)), int(match.group(3)), pre


def version_key(version: Version) -> tuple:
    """Sort key following semver precedence (a prerelease sorts before its release)."""
    major, minor, patch, pre = version
    release = (1,) if not pre else (0, tuple((0, p) if isinstance(p, int) else (1, p) for p in pre))
    return (major, minor, patch, release)


def parse_date(text: object) -> dt.date | None:
    if not isinstance(text, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None


VERSION_PATHS = (("version",), ("metadata", "version"))


def two_part_number(doc: Any, path: tuple, value: object) -> str | None:
    """The source text of an unquoted two-part version (`version: 1.0`, a YAML float), else None.

    The text is read from the file, not from the float, so `1.10` stays `1.10`.
    """
    if path not in VERSION_PATHS or not isinstance(value, float):
        return None
    line, col, end_line, end_col = doc.span(path)
    lines = doc.text.splitlines()
    if line != end_line or not 0 < line <= len(lines):
        return None
    text = lines[line - 1][col - 1:end_col - 1].strip()
    return text if TWO_PART.fullmatch(text) else None
