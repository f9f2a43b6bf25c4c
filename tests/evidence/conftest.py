"""Fixture repositories built in tmp_path for the evidence tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pv.checks.evidence import resolve as resolve_mod
from pv.checks.evidence.check import check
from pv.core.config import load_config
from pv.core.engine import CheckContext
from pv.core.findings import Finding
from pv.core.loader import load


class Repo:
    """A throwaway repository: write files, load a contract, run the evidence check."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    def text(self, relative: str) -> str:
        return (self.root / relative).read_text(encoding="utf-8")

    def replace(self, relative: str, old: str, new: str) -> None:
        text = self.text(relative)
        assert old in text, f"{old!r} not in {relative}"
        (self.root / relative).write_text(text.replace(old, new, 1), encoding="utf-8")

    def line_of(self, relative: str, needle: str) -> int:
        for number, line in enumerate(self.text(relative).splitlines(), start=1):
            if needle in line:
                return number
        raise AssertionError(f"{needle!r} not in {relative}")

    def check(self, contract: str = "contracts/c-v1.yaml", **options: object) -> list[Finding]:
        resolve_mod.clear_cache()
        doc, findings = load(self.root / contract, self.root)
        assert doc is not None, findings
        ctx = CheckContext(load_config(self.root), options=dict(options))
        return sorted(check(doc, ctx))


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'fixture'\n", encoding="utf-8")
    return Repo(root)

