"""pv new, pv graph and pv coverage: outputs, exit codes and bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from lifecycle_helpers import REPO_ROOT, run_pv


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[tool.pv]\ncontract_dirs = ["contracts"]\n', encoding="utf-8")
    (tmp_path / "contracts").mkdir()
    shutil.copytree(REPO_ROOT / "schemas", tmp_path / "schemas")
    return tmp_path


@pytest.mark.parametrize("family, args", [("gated", ()), ("kernel", ("--prefix", "SM"))])
def test_new_skeleton_validates_with_no_error_or_warning(project: Path, family: str, args: tuple) -> None:
    made = run_pv("new", "my-thing", "--family", family, *args, "--date", "2026-12-01", "--root", str(project))
    assert made.returncode == 0, made.stderr
    path = project / "contracts" / "my-thing-v1.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.startswith(f"# yaml-language-server: $schema=../schemas/{family}-contract.schema.json\n")
    result = run_pv("validate", "--no-cache", "--format", "json", "--root", str(project), str(path))
    assert result.returncode == 0, result.stdout
    report = json.loads(result.stdout)
    assert [f for f in report["findings"] if f["severity"] != "info"] == []
    assert "PV100" not in {f["code"] for f in report["findings"]}  # the family is recognised
    if family == "gated":
        assert "discharge_status: PENDING" in text and "INV-MY-THING-001" in text
    again = run_pv("new", "my-thing", "--family", family, "--root", str(project))
    assert again.returncode == 2 and "exists" in again.stderr


@pytest.mark.parametrize("args, words", [
    (("Bad Name",), "must be lowercase"),
    (("ok", "--prefix", "lower"), "--prefix"),
    (("ok", "--date", "2026-02-30"), "not a YYYY-MM-DD date"),
    (("ok", "--dir", "/tmp"), "outside the repository root"),
])
def test_new_usage_errors(project: Path, args: tuple, words: str) -> None:
    result = run_pv("new", *args, "--root", str(project))
    assert result.returncode == 2 and words in result.stderr


def _contract(path: Path, metadata_extra: str = "") -> None:
    path.write_text(f'metadata:\n  version: "1.0.0"\n  created: "2026-01-01"\n{metadata_extra}', encoding="utf-8")


def test_graph_formats_and_dangling_edges(project: Path) -> None:
    c = project / "contracts"
    _contract(c / "a-v1.yaml", "  depends_on:\n    - b-v1\n    - missing-v1\n  peer_contracts:\n"
                               "    - contracts/c-v1.yaml\n")
    _contract(c / "b-v1.yaml", "  parent_contracts:\n    - contracts/nowhere-v1.yaml\n")
    _contract(c / "c-v1.yaml")
    text = run_pv("graph", "--root", str(project))
    assert text.returncode == 0, text.stderr
    assert "  -> contracts/b-v1.yaml (depends on)\n" in text.stdout
    assert "  -> missing-v1 (depends on)  [dangling: no such contract]" in text.stdout
    assert "  -> contracts/c-v1.yaml (peer)\n" in text.stdout
    assert "3 contracts (1 without references), 4 references, 2 dangling" in text.stdout
    data = json.loads(run_pv("graph", "--format", "json", "--root", str(project)).stdout)
    assert {(e["from"], e["to"], e["dangling"]) for e in data["edges"]} == {
        ("contracts/a-v1.yaml", "contracts/b-v1.yaml", False), ("contracts/a-v1.yaml", "missing-v1", True),
        ("contracts/a-v1.yaml", "contracts/c-v1.yaml", False),
        ("contracts/b-v1.yaml", "contracts/nowhere-v1.yaml", True)}
    mermaid = run_pv("graph", "--format", "mermaid", "--root", str(project)).stdout
    assert mermaid.startswith("graph LR\n") and ":::dangling" in mermaid and "-.->|peer|" in mermaid
    dot = run_pv("graph", "--format", "dot", "--root", str(project)).stdout
    assert dot.startswith("digraph contracts {") and '"contracts/a-v1.yaml" -> "missing-v1" [label="depends on", ' \
        'color=red];' in dot
    assert run_pv("graph", "--strict", "--root", str(project)).returncode == 1


def test_graph_and_coverage_report_unloadable_files_without_traceback(project: Path) -> None:
    _contract(project / "contracts" / "ok-v1.yaml")
    (project / "contracts" / "bin-v1.yaml").write_bytes(b"\xff\xfe\x00binary")
    (project / "contracts" / "conflict-v1.yaml").write_text(
        "metadata:\n<<<<<<< HEAD\n  version: 1.0.0\n=======\n  version: 1.1.0\n>>>>>>> x\n", encoding="utf-8")
    for command in ("graph", "coverage"):
        result = run_pv(command, "--root", str(project))
        assert "PV006" in result.stderr and "PV001" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr + result.stdout
    assert run_pv("graph", "--root", str(project)).returncode == 1  # an error on stderr is never exit 0
    assert run_pv("graph", "--strict", "--root", str(project)).returncode == 1
    assert run_pv("coverage", "--root", str(project)).returncode == 1


GATED = """\
contract_id: C-X
version: "1.0.0"
status: DRAFT
metadata:
  version: "1.0.0"
  created: "2026-01-01"
invariants:
  - id: INV-X-001
    description: one
  - id: INV-X-002
    description: two
  - id: INV-X-003
    description: three
gates:
  - id: GATE-X-001
    rule: "INV-X-001 holds."
    evidence_discharged_by:
      - tests/test_x.py::test_one
  - id: GATE-X-002
    rule: "checked later"
    invariants: [INV-X-002]
    evidence_discharged_by:
      - tests/test_x.py::test_missing
"""

KERNEL = """\
metadata:
  version: "1.0.0"
  created: "2026-01-01"
proof_obligations:
  - id: K-OB-001
    type: invariant
    property: "Shape preservation"
  - type: bound
    property: "Finite output"
falsification_tests:
  - id: FALSIFY-K-001
    rule: "shape  preservation"
    harness: proptest_shape
  - id: FALSIFY-K-002
    rule: "Finite output"
"""


def test_coverage_per_contract_total_and_fail_under(project: Path) -> None:
    (project / "tests").mkdir()
    (project / "tests" / "test_x.py").write_text("def test_one():\n    assert 1 + 1 == 2\n", encoding="utf-8")
    (project / "contracts" / "x-v1.yaml").write_text(GATED, encoding="utf-8")
    (project / "contracts" / "k-v1.yaml").write_text(KERNEL, encoding="utf-8")
    result = run_pv("coverage", "--format", "json", "--root", str(project))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    by_file = {c["file"]: c for c in data["contracts"]}
    gated = by_file["contracts/x-v1.yaml"]
    assert (gated["items"], gated["linked"], gated["backed"]) == (3, 2, 1)
    assert [(r["item"], r["link"], r["backed"]) for r in gated["rows"]] == [
        ("INV-X-001", "GATE-X-001", True), ("INV-X-002", "GATE-X-002", False), ("INV-X-003", None, False)]
    kernel = by_file["contracts/k-v1.yaml"]
    assert (kernel["items"], kernel["linked"], kernel["backed"]) == (2, 2, 1)
    assert data["total"] == {"items": 5, "linked": 4, "backed": 2, "percent": 40.0}
    text = run_pv("coverage", "--root", str(project))
    assert "total: 5 items in 2 contracts, linked 80.0%, backed 40.0%" in text.stdout
    assert run_pv("coverage", "--fail-under", "40", "--root", str(project)).returncode == 0
    below = run_pv("coverage", "--fail-under", "41", "--root", str(project))
    assert below.returncode == 1 and "below --fail-under 41" in below.stderr
    assert run_pv("coverage", "--fail-under", "101", "--root", str(project)).returncode == 2


def test_coverage_of_this_repository_contract() -> None:
    result = run_pv("coverage", "--format", "json")
    assert result.returncode == 0
    total = json.loads(result.stdout)["total"]
    assert total["items"] >= 13 and total["backed"] == total["items"]
