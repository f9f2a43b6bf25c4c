"""Fixture for formula tests: build a contract in tmp_path and run the formula check on it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from formula_helpers import write_contract

from pv.checks.formulas.check import check
from pv.core.findings import Finding
from pv.core.loader import load


@pytest.fixture
def run_formulas(tmp_path: Path) -> Callable[[str], list[Finding]]:
    def run(text: str) -> list[Finding]:
        path = write_contract(tmp_path, text)
        doc, findings = load(path, tmp_path)
        assert doc is not None, findings
        return sorted(check(doc, None))

    return run
