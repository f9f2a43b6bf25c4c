"""The real contracts under ../shared/corpus: every reference classified, a hand-checked sample right."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from pv.checks.evidence.check import analyze, check
from pv.core.config import load_config
from pv.core.engine import CheckContext
from pv.core.loader import load

CLASSES = {"resolved", "missing-file", "missing-symbol", "unresolvable", "unsafe"}


def corpus_contracts(corpus: Path) -> list[tuple[Path, Path]]:
    out = []
    for sub in ("aprender", "provable-contracts"):
        root = corpus / sub
        out += [(p, root) for p in sorted(root.rglob("*.yaml"))]
    for commit in sorted((corpus / "aprender-older-versions").glob("*")):
        out += [(p, commit) for p in sorted(commit.rglob("*.yaml"))]
    return out


def test_every_reference_is_classified_without_a_crash(corpus_dir):
    counts: Counter[str] = Counter()
    for path, root in corpus_contracts(corpus_dir):
        doc, _ = load(path, root)
        if doc is None:
            continue
        for result in analyze(doc, root):
            for res in result.resolutions:
                assert res.status in CLASSES, (path, res.ref.raw)
                counts[res.status] += 1
        findings = check(doc, CheckContext(load_config(root)))
        assert not [f for f in findings if f.code == "PV900"]
        assert all(f.line >= 1 and f.col >= 1 for f in findings)
    assert sum(counts.values()) > 100
    assert counts["resolved"] and counts["missing-file"] and counts["missing-symbol"] and counts["unresolvable"]


def statuses(corpus: Path, contract: str) -> dict[str, tuple[str, list[str]]]:
    root = corpus / "aprender"
    doc, _ = load(root / contract, root)
    assert doc is not None
    return {e.ref.raw.strip(): (r.status, [i.code for i in r.issues])
            for result in analyze(doc, root) for e, r in zip(result.owner.entries, result.resolutions)
            if isinstance(e.ref.raw, str)}


# Checked by hand against the outlines under aprender/crates/.
SAMPLE = [
    ("contracts/training-loop-pretrain-v1.yaml",
     "crates/aprender-train/src/train/pretrain.rs::tests::gate_train_005_aborts_on_doubling_val_loss",
     "resolved", []),
    ("contracts/training-loop-pretrain-v1.yaml",
     "crates/aprender-train/src/train/pretrain.rs::tests::gate_train_005_from_scratch_permits_near_random_baseline",
     "missing-symbol", []),
    ("contracts/training-loop-pretrain-v1.yaml",
     "crates/aprender-train/src/train/pretrain_real.rs::tests::cpu_stepfn_exhaustion_cycles_or_halts",
     "resolved", []),
    ("contracts/training-loop-pretrain-v1.yaml",
     "crates/aprender-train/src/train/pretrain_real_cuda.rs::tests::cuda_stepfn_exhaustion_cycles_or_halts",
     "missing-file", []),
    ("contracts/qwen2-e2e-verification-v1.yaml",
     "crates/aprender-core/src/qa/ship_002.rs::AC_SHIP1_002_MAX_TOLERATED_SYNTAX_ERRORS", "resolved", []),
    ("contracts/qwen2-e2e-verification-v1.yaml",
     "crates/aprender-core/src/qa/ship_002.rs::falsify_ship_002_python_syntax_error_threshold_logic",
     "resolved", ["PV409"]),
    ("contracts/entrenar/gpu-training-backend-v1.yaml",
     "crates/aprender-train/src/train/device.rs::tests (24 tests, include CPU branch + grammar)", "resolved", []),
    ("contracts/entrenar/gpu-training-backend-v1.yaml",
     "crates/aprender-train/src/train/device.rs::tests::residency_probe_empty", "missing-symbol", []),
    ("contracts/apr-provenance-v1.yaml",
     "crates/aprender-core/src/format/tests/provenance_tests.rs::falsify_ship_022_inspect_emits_provenance_keys",
     "resolved", []),
]


@pytest.mark.parametrize("contract,raw,status,issues", SAMPLE)
def test_hand_checked_sample(corpus_dir, contract, raw, status, issues):
    got = statuses(corpus_dir, contract)
    assert got[raw] == (status, issues)


def test_prose_evidence_is_unresolvable(corpus_dir):
    got = statuses(corpus_dir, "contracts/qwen2-e2e-verification-v1.yaml")
    prose = [raw for raw, (status, _) in got.items() if raw.startswith("test: ")]
    assert prose and all(got[raw][0] == "unresolvable" for raw in prose)
