"""Semantic versions and ISO dates as contracts write them."""

from __future__ import annotations

import datetime as dt
import re

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
