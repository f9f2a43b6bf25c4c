"""Defect 8: every finding's line:col lies inside the file and points at the offending token."""

from __future__ import annotations

from pathlib import Path

import pytest

from pv.core.config import Config
from pv.core.engine import CheckContext, validate_file
from pv.core.loader import load


@pytest.mark.parametrize(("text", "position"), [
    ("a: [1, 2\n", (1, 9)),  # was 2:1, a line the file does not have
    ("a: [1, 2", (1, 9)),
    ("a:\n  b: {c: 1\n", (2, 11)),
    ("a: 'open\n", (1, 9)),
    ("a: b\r\nc: [\r\n", (2, 5)),
])
def test_a_syntax_error_at_the_end_stays_inside_the_file(tmp_path: Path, text: str, position: tuple) -> None:
    path = tmp_path / "c-v1.yaml"
    path.write_bytes(text.encode())
    doc, findings = load(path, tmp_path)
    assert doc is None and [(f.code, (f.line, f.col)) for f in findings] == [("PV001", position)]


@pytest.mark.parametrize("newline", [b"\r", b"\r\n", b"\n"])
def test_non_utf8_bytes_are_located_whatever_the_line_ends(tmp_path: Path, newline: bytes) -> None:
    path = tmp_path / "c-v1.yaml"
    path.write_bytes(b"contract_id: C-X" + newline + b"summary: caf\xe9" + newline)
    doc, findings = load(path, tmp_path)
    assert [(f.code, f.line, f.col) for f in findings] == [("PV006", 2, 13)]


def test_an_empty_value_is_reported_at_its_key_not_past_the_end(tmp_path: Path) -> None:
    path = tmp_path / "c-v1.yaml"
    path.write_text("contract_id: C-X\nmetadata:\n")
    findings = validate_file(path, CheckContext(config=Config(root=tmp_path))).findings
    metadata = [f for f in findings if f.path == "metadata"]
    assert metadata and all((f.line, f.col) == (2, 1) for f in metadata), metadata
