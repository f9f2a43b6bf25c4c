"""Inputs the long fuzz campaign found, kept as regression tests."""

from __future__ import annotations

from pathlib import Path

from pv.core.config import Config
from pv.core.engine import CheckContext, validate_file


def test_a_peer_contract_name_longer_than_the_os_allows_is_a_finding(tmp_path: Path) -> None:
    # Campaign seed 11024591: `softmax-k999…9ernel-v1` (300 characters) in `depends_on` was PV900
    # (OSError: File name too long) from the peer-files check.
    (tmp_path / "contracts").mkdir()
    path = tmp_path / "contracts" / "c-v1.yaml"
    path.write_text("metadata:\n  version: \"1.0.0\"\n  depends_on: [softmax-k" + "9" * 300 + "ernel-v1]\n")
    findings = validate_file(path, CheckContext(config=Config(root=tmp_path))).findings
    assert not [f for f in findings if f.code == "PV900"], findings
    assert [f.line for f in findings if f.code == "PV203"] == [3]


def test_a_binding_module_name_longer_than_the_os_allows_is_refused(tmp_path: Path) -> None:
    import pytest

    from pv.checks.formulas.targets import TargetError, check_target

    with pytest.raises(TargetError):
        check_target("m" * 300 + ":f", tmp_path)
