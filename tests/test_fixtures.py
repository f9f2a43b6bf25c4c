"""Data-driven cases: each invalid fixture lists its expected findings as
`# expect: CODE LINE:COL` comments; the errors and warnings pv reports must be
exactly that set. Valid fixtures must produce no error or warning."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pv.core.config import Config
from pv.core.engine import CheckContext, validate_file
from pv.core.findings import Severity

FIXTURES = Path(__file__).parent / "fixtures"
EXPECT = re.compile(r"#\s*expect:\s*(PV\d{3})\s+(\d+):(\d+)")


def _validate(path: Path) -> set[tuple[str, int, int]]:
    ctx = CheckContext(Config(root=FIXTURES), skip=frozenset({"evidence", "formulas"}))
    result = validate_file(path, ctx)
    return {(f.code, f.line, f.col) for f in result.findings if f.severity >= Severity.WARNING}


def _expected(path: Path) -> set[tuple[str, int, int]]:
    text = path.read_bytes().decode("utf-8", errors="replace")
    return {(m.group(1), int(m.group(2)), int(m.group(3))) for m in EXPECT.finditer(text)}


@pytest.mark.parametrize("path", sorted((FIXTURES / "invalid").glob("*.yaml")), ids=lambda p: p.stem)
def test_invalid_fixture_reports_exactly_its_expectations(path: Path) -> None:
    expected = _expected(path)
    assert expected, f"{path.name} states no expectation"
    assert _validate(path) == expected


@pytest.mark.parametrize("path", sorted((FIXTURES / "valid").glob("*.yaml")), ids=lambda p: p.stem)
def test_valid_fixture_is_clean(path: Path) -> None:
    assert _validate(path) == set()
