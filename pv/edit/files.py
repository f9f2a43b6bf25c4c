"""Reading a contract for editing and writing it back atomically."""

from __future__ import annotations

import difflib
import os
import stat
from pathlib import Path

from pv.core.atomic import write_text_atomic
from pv.core.findings import Finding
from pv.core.loader import LoadLimits, parse_source, read_source


def read_for_edit(path: Path, root: Path, limits: LoadLimits | None = None) -> tuple[str | None, list[Finding]]:
    """The file's text if pv's safe loader accepts it (no tags, aliases, oversize, bad UTF-8), else findings.

    Editing goes through ruamel's round-trip loader, so only text that the
    safe loader accepted may reach it.
    """
    limits = limits or LoadLimits()
    source = read_source(path, root, limits)
    doc, findings = parse_source(source, limits)
    errors = [f for f in findings if f.code.startswith("PV0")]
    if doc is None or errors:
        return None, findings
    return source.text, []


def write_contract(path: Path, text: str) -> None:
    """Replace the file atomically, keeping its permission bits."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mode = None
    write_text_atomic(path, text)
    if mode is not None and mode != 0o644:
        os.chmod(path, mode)


def unified(old: str, new: str, name: str) -> str:
    """A unified diff of one file's change, for --diff previews."""
    return "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        fromfile=f"a/{name}", tofile=f"b/{name}"))
