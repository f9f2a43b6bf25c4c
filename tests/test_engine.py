"""Engine behaviour that the CLI tests cannot see: what the cache saves."""

from __future__ import annotations

from pathlib import Path

import pytest

from pv.core import engine
from pv.core.cache import ResultCache
from pv.core.config import Config
from pv.core.engine import CheckContext, validate_file

FIXTURES = Path(__file__).parent / "fixtures"


def test_cache_hit_without_impure_work_does_not_parse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    contract = FIXTURES / "valid" / "minimal-kernel-v1.yaml"  # no peers, no gate evidence
    ctx = CheckContext(Config(root=FIXTURES), cache=ResultCache(tmp_path), skip=frozenset({"evidence"}))
    first = validate_file(contract, ctx)

    def refuse(*args, **kwargs):
        raise AssertionError("parsed a file whose cached result was complete")

    monkeypatch.setattr(engine, "parse_source", refuse)
    second = validate_file(contract, ctx)
    assert second.findings == first.findings


def test_cache_hit_still_runs_impure_checks(tmp_path: Path) -> None:
    contract = FIXTURES / "invalid" / "missing-peer-v1.yaml"  # names peer files
    ctx = CheckContext(Config(root=FIXTURES), cache=ResultCache(tmp_path), skip=frozenset({"evidence"}))
    first = validate_file(contract, ctx)
    assert "PV203" in {f.code for f in first.findings}
    second = validate_file(contract, ctx)
    assert sorted(second.findings) == sorted(first.findings)


def test_changed_content_misses_the_cache(tmp_path: Path) -> None:
    contract = tmp_path / "c-v1.yaml"
    contract.write_text((FIXTURES / "valid" / "minimal-kernel-v1.yaml").read_text())
    ctx = CheckContext(Config(root=tmp_path), cache=ResultCache(tmp_path / "cache"))
    assert not [f for f in validate_file(contract, ctx).findings if f.code == "PV220"]
    contract.write_text(contract.read_text().replace("total_obligations: 2", "total_obligations: 5"))
    assert [f for f in validate_file(contract, ctx).findings if f.code == "PV220"]


def test_peer_paths_the_os_cannot_take_are_findings_not_crashes(tmp_path: Path) -> None:
    # A NUL byte (ValueError from every os call) and a 300-character name (ENAMETOOLONG) were PV900 crashes.
    contract = tmp_path / "c-v1.yaml"
    contract.write_text('metadata:\n  depends_on:\n    - "a\\0b/c.yaml"\n    - "' + "a" * 300 + '/b.yaml"\n',
                        encoding="utf-8")
    ctx = CheckContext(Config(root=tmp_path), skip=frozenset({"evidence", "formulas"}))
    findings = validate_file(contract, ctx).findings
    assert not [f for f in findings if f.code.startswith("PV9")], findings
    assert sorted((f.code, f.line) for f in findings if f.code == "PV203") == [("PV203", 3), ("PV203", 4)]


def test_cache_entries_planted_in_the_checkout_are_not_trusted(tmp_path: Path) -> None:
    # `.pv_cache/` lives in the checkout: a pull request can commit an empty result for a broken contract
    # under the key it can compute (bytes, name, version, schemas). The machine key keeps such entries unused.
    contract = tmp_path / "c-v1.yaml"
    contract.write_text((FIXTURES / "valid" / "minimal-kernel-v1.yaml").read_text().replace(
        "total_obligations: 2", "total_obligations: 5"))
    attacker = ResultCache(tmp_path / ".pv_cache")
    attacker.secret = ""  # everything but the machine key is public
    ctx = CheckContext(Config(root=tmp_path), cache=attacker, skip=frozenset({"evidence"}))
    validate_file(contract, ctx)  # writes the entry the attacker would commit...
    for entry in (tmp_path / ".pv_cache").rglob("*.json"):
        entry.write_text('{"findings": [], "needs": []}')  # ...forged to say "clean"
    ctx = CheckContext(Config(root=tmp_path), cache=ResultCache(tmp_path / ".pv_cache"), skip=frozenset({"evidence"}))
    assert [f for f in validate_file(contract, ctx).findings if f.code == "PV220"]


@pytest.mark.parametrize("value", ["7", "true", '"INV-MINI-001"', "1.5e308"])
def test_gate_invariants_of_the_wrong_type_are_a_schema_finding_not_a_crash(tmp_path: Path, value: str) -> None:
    # `invariants: 7` crashed the consistency check (PV900: int is not iterable); a string was iterated by char.
    contract = tmp_path / "c-v1.yaml"
    contract.write_text((FIXTURES / "valid" / "minimal-gated-v1.yaml").read_text().replace(
        "invariants: [INV-MINI-001]", f"invariants: {value}"))
    findings = validate_file(contract, CheckContext(Config(root=tmp_path), skip=frozenset({"evidence"}))).findings
    assert not [f for f in findings if f.code.startswith("PV9") or f.code == "PV202"], findings
    assert [f.code for f in findings if f.code == "PV102"] == ["PV102"]


# --- warm runs reuse the impure checks' findings while nothing they looked at changed ---------------

GATED = """\
contract_id: C-W
version: 1.0.0
metadata:
  version: "1.0.0"
  created: "2026-01-05"
  depends_on: [later-v1]
invariants:
  - id: INV-W-001
    description: "Outputs are finite."
gates:
  - id: GATE-W-001
    rule: "INV-W-001 holds."
    verdict: pass
    discharge_status: DISCHARGED
    invariants: [INV-W-001]
    evidence_discharged_by:
      - tests/test_w.py::test_finite
"""


def _age(root: Path, seconds: int, *, only: bool = False) -> None:
    """Set the mtime of `root` (and, unless `only`, of all below it) `seconds` ago: out of the racy window."""
    import os
    import time

    stamp = time.time_ns() - seconds * 1_000_000_000
    for path in [root] if only else [root, *root.rglob("*")]:
        os.utime(path, ns=(stamp, stamp))


def _codes(results: list) -> list[tuple[str, int]]:
    return sorted((f.code, f.line) for r in results for f in r.findings if f.code.startswith(("PV2", "PV4")))


def test_warm_runs_reuse_impure_results_until_a_file_or_folder_changes(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from pv.core.engine import validate_files

    root = tmp_path / "repo"
    (root / "contracts").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "contracts" / "w-v1.yaml").write_text(GATED)
    (root / "tests" / "test_w.py").write_text("def test_finite():\n    assert 1 + 1 == 2\n")
    _age(root, 100)
    contract = [root / "contracts" / "w-v1.yaml"]
    cache = ResultCache(tmp_path / "cache")

    def run() -> list[tuple[str, int]]:
        ctx = CheckContext(Config(root=root), cache=cache, skip=frozenset({"formulas"}))
        return _codes(validate_files(contract, ctx))

    first = run()
    assert first == [("PV203", 6)]  # no contract `later-v1`; the cited test exists
    real_parse = engine.parse_source
    monkeypatch.setattr(engine, "parse_source", lambda *a, **k: pytest.fail("parsed an unchanged file"))
    assert run() == first
    monkeypatch.setattr(engine, "parse_source", real_parse)

    # A new contract in a new folder: the peer exists now (folders changed, impure checks run again).
    (root / "contracts" / "more").mkdir()
    (root / "contracts" / "more" / "later-v1.yaml").write_text("metadata: {}\n")
    _age(root / "contracts" / "more", 50)
    _age(root / "contracts", 50, only=True)  # the contract itself is untouched: its stat still hits
    assert run() == []
    # The cited test file loses the test: same folders, other bytes.
    (root / "tests" / "test_w.py").write_text("def test_other():\n    assert 1 + 1 == 2\n")
    _age(root / "tests" / "test_w.py", 40)
    assert [code for code, _ in run()] == ["PV402"]
    # Changed within the last two seconds: nothing is trusted, the checks run (and are right).
    (root / "tests" / "test_w.py").write_text("def test_finite():\n    assert 1 + 1 == 2\n")
    assert run() == []
