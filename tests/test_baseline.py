"""Issue 10: the baseline (ratchet), and reports that do not depend on where the checkout lives."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from policy_helpers import KERNEL, LEAN, run


def json_findings(*args: str) -> tuple[int, list[dict]]:
    code, out = run("validate", "--format", "json", *args)
    return code, [f for f in json.loads(out)["findings"] if f["severity"] != "info"]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "contracts").mkdir()
    (tmp_path / "contracts" / "k-v1.yaml").write_text(KERNEL)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_baseline_survives_line_shifts_and_index_shifts(repo: Path) -> None:
    code, out = run("baseline", "--skip", "evidence")
    assert code == 0 and "wrote .pv-baseline.json: 1 finding" in out
    entry = json.loads((repo / ".pv-baseline.json").read_text())["findings"]
    assert entry == [{"code": "PV220", "count": 1, "file": "contracts/k-v1.yaml", "path":
                      "verification_summary.total_obligations", "message":
                      "verification_summary.total_obligations is 5 but the contract has 2 proof_obligations"}]
    assert run("validate", "--skip", "evidence")[0] == 0
    path = repo / "contracts" / "k-v1.yaml"
    path.write_text("# a new header comment\n# and another\n" + path.read_text())  # every line moves
    code, out = run("validate", "--skip", "evidence")
    assert code == 0 and "1 in the baseline" in out


def test_a_new_mistake_fails_and_is_the_only_one_named(repo: Path) -> None:
    run("baseline", "--skip", "evidence")
    path = repo / "contracts" / "k-v1.yaml"
    path.write_text(path.read_text().replace("l4_lean_proved: 1", "l4_lean_proved: 7"))
    code, findings = json_findings("--skip", "evidence")
    assert code == 1
    assert [(f["code"], f["line"], f["path"]) for f in findings] == [
        ("PV220", LEAN, "verification_summary.l4_lean_proved")]
    assert json_findings("--skip", "evidence", "--no-baseline")[0] == 1
    assert len(json_findings("--skip", "evidence", "--no-baseline")[1]) == 2


def test_a_fixed_finding_leaves_a_stale_entry_until_the_baseline_is_rewritten(repo: Path) -> None:
    run("baseline", "--skip", "evidence")
    (repo / "contracts" / "k-v1.yaml").write_text(KERNEL.replace("total_obligations: 5", "total_obligations: 2"))
    code, findings = json_findings("--skip", "evidence")
    assert code == 0  # a warning: --strict makes the ratchet bite
    assert [(f["code"], f["file"]) for f in findings] == [("PV912", "contracts/k-v1.yaml")]
    assert "PV220 at `verification_summary.total_obligations`" in findings[0]["message"]
    assert json_findings("--skip", "evidence", "--strict")[0] == 1
    assert run("baseline", "--skip", "evidence")[0] == 0
    assert json.loads((repo / ".pv-baseline.json").read_text())["findings"] == []
    assert json_findings("--skip", "evidence", "--strict") == (0, [])


def test_baseline_of_some_paths_keeps_the_other_entries(repo: Path) -> None:
    (repo / "contracts" / "j-v1.yaml").write_text(KERNEL)
    run("baseline", "--skip", "evidence")
    (repo / "contracts" / "j-v1.yaml").write_text(KERNEL.replace("total_obligations: 5", "total_obligations: 2"))
    run("baseline", "--skip", "evidence", "contracts/j-v1.yaml")
    files = [e["file"] for e in json.loads((repo / ".pv-baseline.json").read_text())["findings"]]
    assert files == ["contracts/k-v1.yaml"]


@pytest.mark.parametrize("content, needle", [
    ("{", "cannot read the baseline .pv-baseline.json"),
    ('{"version": 9, "findings": []}', "is not a pv baseline"),
    ('{"version": 1, "findings": [{"file": 1}]}', "a malformed entry"),
])
def test_a_damaged_baseline_is_a_usage_error(repo: Path, content: str, needle: str) -> None:
    (repo / ".pv-baseline.json").write_text(content)
    code, out = run("validate", "--skip", "evidence")
    assert code == 2 and needle in out and "Traceback" not in out


def test_aprender_adopts_with_a_baseline(corpus_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "aprender"
    shutil.copytree(corpus_dir / "aprender", root)
    assert run("validate", "--root", str(root), "--no-cache")[0] == 1  # what a first run finds today
    code, out = run("baseline", "--root", str(root))
    assert code == 0, out
    code, out = run("validate", "--root", str(root))
    assert code == 0, out
    assert "info PV" not in out and "infos not shown: -v shows them" in out
    # One new mistake: only it is named.
    contract = root / "contracts" / "tokenizer-bpe-v1.yaml"
    text = contract.read_text()
    assert 'created: "2026-04-18"' in text
    contract.write_text(text.replace('created: "2026-04-18"', 'created: "2026-04-31"', 1))
    code, findings = json_findings("--root", str(root))
    assert code == 1
    assert [(f["code"], f["file"], f["path"]) for f in findings] == [
        ("PV215", "contracts/tokenizer-bpe-v1.yaml", "metadata.created")]
    contract.write_text(text)
    # Fixing a baselined finding: a dangling peer contract of apr-provenance.
    provenance = root / "contracts" / "apr-provenance-v1.yaml"
    provenance.write_text(provenance.read_text().replace("    - contracts/publish-manifest-v1.yaml\n", "", 1))
    code, findings = json_findings("--root", str(root))
    assert code == 0
    assert [(f["code"], f["file"]) for f in findings] == [("PV912", "contracts/apr-provenance-v1.yaml")]
    assert "PV203" in findings[0]["message"] and "publish-manifest-v1.yaml" in findings[0]["message"]


def _small_tree(corpus_dir: Path, target: Path) -> None:
    """A few corpus contracts with errors, warnings, infos, hints and gate evidence (missing and present)."""
    source = corpus_dir / "aprender"
    for rel in ("contracts/apr-provenance-v1.yaml", "contracts/tokenizer-bpe-v1.yaml",
                "contracts/training-loop-pretrain-v1.yaml", "contracts/trueno/simd-scalar-parity-v1.yaml"):
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / rel, target / rel)
    shutil.copytree(source / "crates", target / "crates")


def test_two_checkouts_give_byte_identical_json_and_sarif(corpus_dir: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a" / "checkout", tmp_path / "elsewhere" / "deeper" / "copy"
    for root in (first, second):
        _small_tree(corpus_dir, root)
    for fmt in ("json", "sarif"):
        outputs = []
        for root in (first, second):
            code, out = run("validate", "--root", str(root), "--format", fmt, "--no-cache")
            assert code == 1
            assert str(root) not in out and str(tmp_path) not in out, out
            outputs.append(out)
        assert outputs[0] == outputs[1]
        assert '"hint"' in outputs[0] and "relative to the repository root" in outputs[0]
