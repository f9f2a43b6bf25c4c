"""Report formats: turn a `Report` into text, JSON, SARIF or GitHub annotations.

Each format lives in its own module and is imported only when asked for, so
`pv validate --format text` never pays for building SARIF rule descriptors.
"""

from __future__ import annotations

import importlib
import os
from typing import TextIO

from pv.core.report import Report

# format name -> module with a `render(report, *, color) -> str` function.
FORMATS: dict[str, str] = {
    "text": "pv.reports.text",
    "json": "pv.reports.json",
    "sarif": "pv.reports.sarif",
    "github": "pv.reports.github",
}


def render(fmt: str, report: Report, *, color: bool = False) -> str:
    """Render `report` in format `fmt` (one of `FORMATS`); the result ends with a newline.

    `color` adds ANSI colours and only affects the text format.
    """
    try:
        module_name = FORMATS[fmt]
    except KeyError:
        raise ValueError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}") from None
    module = importlib.import_module(module_name)
    return module.render(report, color=color)


def _env_flag(name: str) -> bool:
    """True when the variable is set to a non-empty value (no-color.org semantics)."""
    return bool(os.environ.get(name, ""))


def want_color(stream: TextIO) -> bool:
    """Should output to `stream` be coloured?

    - `NO_COLOR` set to any non-empty value: never (https://no-color.org); it
      wins over everything else, as the issue requires.
    - `FORCE_COLOR` set to a non-empty value other than `0`/`false`: always,
      even when piped (useful in CI logs that render ANSI, e.g. GitHub Actions).
    - otherwise only when `stream` is a terminal and `TERM` is not `dumb`.
    """
    if _env_flag("NO_COLOR"):
        return False
    force = os.environ.get("FORCE_COLOR", "")
    if force and force.lower() not in ("0", "false", "no"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # no isatty, or a closed stream
        return False
