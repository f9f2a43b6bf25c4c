"""Helpers for formula tests (imported by the test modules of this folder)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from pv.core.findings import Finding


def write_contract(root: Path, text: str, name: str = "c.yaml") -> Path:
    (root / "pyproject.toml").write_text("[tool.pv]\n", encoding="utf-8")
    path = root / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


def only(findings: list[Finding], code: str) -> Finding:
    matching = [f for f in findings if f.code == code]
    assert len(matching) == 1, [(f.code, f.message) for f in findings]
    return matching[0]
