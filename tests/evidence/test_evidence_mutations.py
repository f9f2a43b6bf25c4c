"""A green contract with real evidence, then one mutation at a time: the right rule at the right line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pv.core.findings import Severity

CONTRACT = "contracts/c-v1.yaml"

GOOD_CONTRACT = """
contract_id: C-LOOP
version: 1.0.0
status: ACTIVE
invariants:
  - id: INV-LOOP-001
    description: every step is recorded
  - id: INV-LOOP-002
    description: divergence aborts
    harness:
      - name: test_doubling_aborts
        kind: pytest
        path: tests/reference/test_regime.py
gates:
  - id: GATE-LOOP-001
    rule: "every step is recorded (INV-LOOP-001)"
    verdict: pass
    discharge_status: DISCHARGED
    evidence_discharged_by:
      - tests/reference/test_metrics.py::test_every_step_recorded
      - tests/reference/test_metrics.py::TestRanges::test_lr_positive
  - id: GATE-LOOP-002
    rule: "divergence aborts (INV-LOOP-002)"
    verdict: pass
    ship_blocking: true
    discharge_status: DISCHARGED
    evidence_discharged_by:
      - tests/reference/test_regime.py::test_doubling_aborts
      - tests/reference/test_regime.py::test_cap[finetune-10.0]
      - crates/core/src/guard.rs::tests::aborts_on_doubling
      - crates/core/src/guard.rs::EPOCH_ZERO_CAP (const)
"""

METRICS = '''
import pytest


def _check_record(record):
    assert set(record) == {"step", "loss"}


def test_every_step_recorded():
    _check_record({"step": 0, "loss": 1.0})


class TestRanges:
    def test_lr_positive(self):
        assert 1e-3 > 0
'''

REGIME = '''
import math

import pytest


def test_doubling_aborts():
    with pytest.raises(ZeroDivisionError):
        1 / 0


@pytest.mark.parametrize("regime,cap", [("finetune", 10.0), ("from_scratch", 2 * math.log(50257))])
def test_cap(regime, cap):
    assert cap > 0
'''

GUARD = '''
pub const EPOCH_ZERO_CAP: f32 = 10.0;
pub fn check(prev: f32, now: f32) -> bool { now <= 2.0 * prev }
#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn aborts_on_doubling() { assert!(!check(1.0, 3.0)); }
}
'''


@pytest.fixture
def good(repo):
    repo.write(CONTRACT, GOOD_CONTRACT)
    repo.write("tests/reference/test_metrics.py", METRICS)
    repo.write("tests/reference/test_regime.py", REGIME)
    repo.write("crates/core/src/guard.rs", GUARD)
    return repo


def only(findings, code):
    hits = [f for f in findings if f.code == code]
    assert hits, f"no {code} in {[(f.code, f.line, f.message) for f in findings]}"
    return hits


def test_good_contract_is_green(good):
    findings = good.check()
    assert [f for f in findings if f.severity >= Severity.WARNING] == []


def test_renamed_test_is_missing_symbol(good):
    good.replace("tests/reference/test_metrics.py", "def test_every_step_recorded", "def test_each_step_recorded")
    (finding,) = only(good.check(), "PV402")
    assert finding.severity == Severity.ERROR
    assert finding.line == good.line_of(CONTRACT, "::test_every_step_recorded")
    assert finding.col == 9
    assert "test_each_step_recorded" in (finding.hint or "")  # did you mean


def test_missing_file(good):
    (good.root / "tests/reference/test_metrics.py").unlink()
    findings = only(good.check(), "PV401")
    assert {f.line for f in findings} == {good.line_of(CONTRACT, "::test_every_step_recorded"),
                                         good.line_of(CONTRACT, "::TestRanges")}
    assert all(f.severity == Severity.ERROR for f in findings)


@pytest.mark.parametrize("path", ["../outside/test_x.py::test_a", "/etc/passwd", "tests/../../x.py::test_a"])
def test_reference_escaping_the_root(good, path):
    good.replace(CONTRACT, "tests/reference/test_metrics.py::test_every_step_recorded", path)
    (finding,) = only(good.check(), "PV404")
    assert finding.severity == Severity.ERROR
    assert finding.line == good.line_of(CONTRACT, path)


def test_symlink_leaving_the_root(good, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "test_secret.py").write_text("def test_a():\n    assert True\n", encoding="utf-8")
    os.symlink(outside, good.root / "tests" / "linked")
    good.replace(CONTRACT, "tests/reference/test_metrics.py::test_every_step_recorded",
                 "tests/linked/test_secret.py::test_a")
    (finding,) = only(good.check(), "PV404")
    assert "link" in finding.message
    assert finding.line == good.line_of(CONTRACT, "tests/linked/test_secret.py")


def test_skipped_test(good):
    good.replace("tests/reference/test_regime.py", "def test_doubling_aborts",
                 "@pytest.mark.skip(reason='flaky')\ndef test_doubling_aborts")
    findings = good.check()
    hits = only(findings, "PV405")
    # The gate entry and the invariant's harness entry both cite the skipped test.
    assert {f.line for f in hits} == {good.line_of(CONTRACT, "test_regime.py::test_doubling_aborts"),
                                      good.line_of(CONTRACT, "name: test_doubling_aborts")}
    assert {f.severity for f in hits} == {Severity.ERROR}


def test_xfail_test(good):
    good.replace("tests/reference/test_metrics.py", "def test_every_step_recorded",
                 "@pytest.mark.xfail\ndef test_every_step_recorded")
    (finding,) = only(good.check(), "PV405")
    assert "xfail" in finding.message
    assert finding.line == good.line_of(CONTRACT, "::test_every_step_recorded")


def test_test_that_asserts_nothing(good):
    good.replace("tests/reference/test_metrics.py", "    assert 1e-3 > 0", "    lr = 1e-3")
    (finding,) = only(good.check(), "PV406")
    assert finding.severity == Severity.WARNING
    assert finding.line == good.line_of(CONTRACT, "::TestRanges::test_lr_positive")


def test_empty_test_body(good):
    good.replace("tests/reference/test_metrics.py", "    assert 1e-3 > 0", "    pass")
    (finding,) = only(good.check(), "PV407")
    assert finding.severity == Severity.ERROR
    assert finding.line == good.line_of(CONTRACT, "::TestRanges::test_lr_positive")


def test_discharged_gate_with_missing_test(good):
    good.replace(CONTRACT, "      - tests/reference/test_regime.py::test_doubling_aborts\n",
                 "      - tests/reference/test_regime.py::test_doubling_aborts\n"
                 "      - tests/reference/test_regime.py::test_never_written\n")
    (finding,) = only(good.check(), "PV402")
    assert finding.severity == Severity.ERROR
    assert finding.line == good.line_of(CONTRACT, "test_never_written")
    assert "DISCHARGED" in finding.message


def test_unknown_parametrize_id(good):
    good.replace(CONTRACT, "test_cap[finetune-10.0]", "test_cap[finetune-12.0]")
    (finding,) = only(good.check(), "PV402")
    assert "finetune-10.0" in (finding.hint or "")


def test_renamed_rust_test(good):
    good.replace("crates/core/src/guard.rs", "fn aborts_on_doubling", "fn aborts_when_doubling")
    (finding,) = only(good.check(), "PV402")
    assert finding.line == good.line_of(CONTRACT, "::tests::aborts_on_doubling")


def test_ignored_rust_test(good):
    good.replace("crates/core/src/guard.rs", "    #[test]\n", "    #[test]\n    #[ignore]\n")
    (finding,) = only(good.check(), "PV405")
    assert "#[ignore]" in finding.message


def test_pending_gate_with_missing_evidence_is_info(good):
    good.replace(CONTRACT, "    verdict: pass\n    discharge_status: DISCHARGED\n    evidence_discharged_by:\n"
                 "      - tests/reference/test_metrics.py",
                 "    verdict: pending\n    discharge_status: PENDING\n    evidence_discharged_by:\n"
                 "      - tests/reference/test_later.py")
    findings = good.check()
    hits = only(findings, "PV401")
    assert {f.severity for f in hits} == {Severity.INFO}
    assert not [f for f in findings if f.severity >= Severity.WARNING]


def test_pending_gate_with_all_evidence_is_ready(good):
    good.replace(CONTRACT, "    verdict: pass\n    discharge_status: DISCHARGED\n    evidence_discharged_by:\n"
                 "      - tests/reference/test_metrics.py",
                 "    verdict: pending\n    discharge_status: PENDING\n    evidence_discharged_by:\n"
                 "      - tests/reference/test_metrics.py")
    (finding,) = only(good.check(), "PV410")
    assert finding.severity == Severity.INFO
    assert finding.line == good.line_of(CONTRACT, "discharge_status: PENDING")


def test_ship_blocking_gate_not_discharged_in_active_contract(good):
    good.replace(CONTRACT, "    ship_blocking: true\n    discharge_status: DISCHARGED",
                 "    ship_blocking: true\n    discharge_status: PARTIAL_ALGORITHM_LEVEL\n"
                 "    full_discharge_blocks_on: a live run")
    (finding,) = only(good.check(), "PV413")
    assert finding.severity == Severity.WARNING
    assert finding.line == good.line_of(CONTRACT, "ship_blocking: true")
    good.replace(CONTRACT, "status: ACTIVE", "status: DRAFT")
    assert not [f for f in good.check() if f.code == "PV413"]


def test_partial_without_blocker(good):
    good.replace(CONTRACT, "    ship_blocking: true\n    discharge_status: DISCHARGED",
                 "    discharge_status: PARTIAL_ALGORITHM_LEVEL")
    (finding,) = only(good.check(), "PV412")
    assert finding.line == good.line_of(CONTRACT, "PARTIAL_ALGORITHM_LEVEL")


def test_verdict_status_conflict(good):
    good.replace(CONTRACT, "    verdict: pass\n    discharge_status: DISCHARGED\n    evidence_discharged_by:\n"
                 "      - tests/reference/test_metrics.py",
                 "    verdict: pass\n    discharge_status: PENDING\n    evidence_discharged_by:\n"
                 "      - tests/reference/test_metrics.py")
    (finding,) = only(good.check(), "PV415")
    assert finding.line == good.line_of(CONTRACT, "verdict: pass")


def test_claimed_gate_without_evidence(good):
    good.replace(CONTRACT, "      - tests/reference/test_metrics.py::test_every_step_recorded\n"
                 "      - tests/reference/test_metrics.py::TestRanges::test_lr_positive\n", "")
    good.replace(CONTRACT, "    evidence_discharged_by:\n  - id: GATE-LOOP-002", "  - id: GATE-LOOP-002")
    (finding,) = only(good.check(), "PV411")
    assert finding.severity == Severity.ERROR
    assert finding.line == good.line_of(CONTRACT, "id: GATE-LOOP-001")


def test_duplicate_entry(good):
    good.replace(CONTRACT, "      - tests/reference/test_metrics.py::TestRanges::test_lr_positive\n",
                 "      - tests/reference/test_metrics.py::TestRanges::test_lr_positive\n"
                 "      - tests/reference/test_metrics.py::TestRanges::test_lr_positive\n")
    (finding,) = only(good.check(), "PV418")
    assert finding.line == good.line_of(CONTRACT, "::TestRanges::test_lr_positive") + 1


def test_prose_entry_in_discharged_gate(good):
    good.replace(CONTRACT, "      - crates/core/src/guard.rs::EPOCH_ZERO_CAP (const)",
                 "      - \"LIVE-PENDING: a real run on the GPU box\"")
    (finding,) = only(good.check(), "PV403")
    assert finding.severity == Severity.ERROR
    assert finding.line == good.line_of(CONTRACT, "LIVE-PENDING")


def test_harness_name_missing(good):
    good.replace(CONTRACT, "      - name: test_doubling_aborts", "      - name: test_tripling_aborts")
    (finding,) = only(good.check(), "PV402")
    assert finding.line == good.line_of(CONTRACT, "name: test_tripling_aborts")
    assert finding.col == good.text(CONTRACT).splitlines()[finding.line - 1].index("test_tripling") + 1


def test_repo_contract_has_no_errors(repo_root: Path):
    """The repo's own contract: every reference classified, nothing at error level."""
    from pv.checks.evidence.check import analyze, check
    from pv.core.config import load_config
    from pv.core.engine import CheckContext
    from pv.core.loader import load

    doc, _ = load(repo_root / "contracts" / "training-loop-pretrain-v1.yaml", repo_root)
    assert doc is not None
    results = analyze(doc, repo_root)
    entries = [r for result in results for r in result.resolutions]
    assert entries, "the repo contract cites evidence"
    assert all(r.ref.form in ("python", "rust", "file") for r in entries)
    findings = check(doc, CheckContext(load_config(repo_root)))
    assert [f for f in findings if f.severity == Severity.ERROR] == []


@pytest.mark.parametrize("data,expected", [
    ({"gates": [{"id": "G"}]}, True),
    ({"falsification_tests": [{"id": "F", "evidence_discharged_by": ["x.rs::t"]}]}, True),
    ({"a": {"b": [{"discharge_status": "PENDING"}]}}, True),
    ({"invariants": [{"id": "I", "harness": [{"name": "t", "path": "t.py"}]}]}, True),
    ({"equations": {"e": {"formula": "x"}}, "gates": []}, False),
    ({"metadata": {"version": "1.0.0"}}, False),
])
def test_applies_tells_the_engine_when_to_skip(data, expected):
    from pv.checks.evidence.check import applies

    assert applies(data) is expected


def test_fifo_is_never_opened(good):
    os.mkfifo(good.root / "tests" / "test_fifo.py")
    good.replace(CONTRACT, "tests/reference/test_metrics.py::test_every_step_recorded", "tests/test_fifo.py::test_a")
    (finding,) = only(good.check(), "PV401")
    assert "not a file" in finding.message


ODD_SHAPES = """
contract_id: C-ODD
status: [not, a, string]
gates:
  - just a string
  - id: 42
    verdict: 7
    discharge_status: {nested: map}
    ship_blocking: "yes"
    evidence_discharged_by: tests/single_string.py::test_a
  - id: GATE-ODD-2
    discharge_status: PARTIAL_ALGORITHM_LEVEL
    full_discharge_blocks_on: ""
    evidence_discharged_by:
      - null
      - 12
      - [nested, list]
      - {type: csv}
      - {path: 5}
      - {path: "../escape.csv"}
    harness_discharged_by: {path: crates/x.rs, name: 3}
    discharged_evidence:
      evidence_discharged_by_live: "one prose line"
      evidence_file: /abs/evidence.json
invariants:
  - id: INV-ODD
    harness:
      - {name: "not an ident!", kind: pytest, path: tests/t.py}
      - {kind: pytest}
falsification_tests: {not: a list}
"""


def test_odd_shapes_never_crash(repo):
    repo.write(CONTRACT, ODD_SHAPES)
    findings = repo.check()
    assert findings and all(f.line >= 1 and f.col >= 1 for f in findings)
    by_code = {f.code for f in findings}
    assert {"PV401", "PV403", "PV404", "PV412"} <= by_code
