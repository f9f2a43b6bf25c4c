"""pv diff on the command line: git refs, two files, formats, and bad input without tracebacks."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from lifecycle_helpers import REPO_ROOT, run_pv

CONTRACT = REPO_ROOT / "contracts" / "training-loop-pretrain-v1.yaml"
NAME = "contracts/training-loop-pretrain-v1.yaml"

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    result = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True, env=env)
    return result.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository on branch `feature`, one commit ahead of `main` with the repo's contract."""
    root = tmp_path / "repo"
    (root / "contracts").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[tool.pv]\ncontract_dirs = ["contracts"]\n', encoding="utf-8")
    shutil.copy(CONTRACT, root / NAME)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    git(root, "checkout", "-q", "-b", "feature")
    return root


def tighten_cap(root: Path) -> None:
    path = root / NAME
    text = path.read_text(encoding="utf-8")
    assert 'epoch_n_val_loss_cap: "2·previous_val_loss"' in text
    path.write_text(text.replace('epoch_n_val_loss_cap: "2·previous_val_loss"',
                                 'epoch_n_val_loss_cap: "1.5·previous_val_loss"'), encoding="utf-8")


def test_an_unbumped_change_fails_and_pv_bump_makes_diff_agree(repo: Path) -> None:
    tighten_cap(repo)
    before = run_pv("diff", "--root", str(repo), cwd=repo)
    assert before.returncode == 1, before.stdout + before.stderr
    assert "PV701" in before.stdout and "major" in before.stdout
    assert "epoch_n_val_loss_cap" in before.stdout and "formula-changed" in before.stdout
    minor = run_pv("bump", "minor", "-m", "x", "--date", "2026-12-31", "--root", str(repo), cwd=repo)
    assert minor.returncode == 0, minor.stderr
    short = run_pv("diff", "--root", str(repo), cwd=repo)
    assert short.returncode == 1 and "PV702" in short.stdout
    git(repo, "checkout", "-q", "--", NAME)
    tighten_cap(repo)
    bumped = run_pv("bump", "major", "-m", "tighter epoch-N cap", "--date", "2026-12-31", "--root", str(repo),
                    cwd=repo)
    assert bumped.returncode == 0, bumped.stderr
    assert "renamed to contracts/training-loop-pretrain-v2.yaml" in bumped.stdout
    assert not (repo / NAME).exists()
    after = run_pv("diff", "--root", str(repo), cwd=repo)
    assert after.returncode == 0, after.stdout
    version = re.search(r"^version: (\S+)", CONTRACT.read_text(encoding="utf-8"), re.M).group(1)  # today's
    assert f"require a major bump; version {version} -> {int(version.split('.')[0]) + 1}.0.0" in after.stdout


def test_wording_is_patch_and_notation_is_nothing(repo: Path) -> None:
    path = repo / NAME
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"2·ln(vocab_size)"', '"2*log(vocab_size)"'), encoding="utf-8")
    same = run_pv("diff", "--root", str(repo), cwd=repo)
    assert same.returncode == 0 and "PV710" not in same.stdout, same.stdout
    path.write_text(text.replace("A pretraining run records every step", "A pretraining run logs every step"),
                    encoding="utf-8")
    reworded = run_pv("diff", "--format", "json", "--root", str(repo), cwd=repo)
    assert reworded.returncode == 1
    report = json.loads(reworded.stdout)
    codes = [f["code"] for f in report["findings"]]
    assert "PV701" in codes and any("[wording: patch]" in f["message"] for f in report["findings"])


def test_report_to_a_file(repo: Path, tmp_path: Path) -> None:
    tighten_cap(repo)
    out = tmp_path / "diff.json"
    result = run_pv("diff", "--format", "json", "-o", str(out), "--root", str(repo), cwd=repo)
    assert result.returncode == 1 and result.stdout == ""
    assert "report written to" in result.stderr
    assert any(f["code"] == "PV701" for f in json.loads(out.read_text(encoding="utf-8"))["findings"])
    blocked = run_pv("diff", "-o", str(repo / NAME / "x"), "--root", str(repo), cwd=repo)
    assert blocked.returncode == 2 and "cannot write the report" in blocked.stderr


def test_detached_head_and_explicit_base(repo: Path) -> None:
    tighten_cap(repo)
    git(repo, "commit", "-q", "-am", "tighter")
    git(repo, "checkout", "-q", "--detach", "HEAD")
    result = run_pv("diff", "--base", "main", "--format", "sarif", "--root", str(repo), cwd=repo)
    assert result.returncode == 1
    sarif = json.loads(result.stdout)
    assert any(r["ruleId"] == "PV701" for r in sarif["runs"][0]["results"])
    default = run_pv("diff", "--root", str(repo), cwd=repo)  # merge base with main, from a detached HEAD
    assert default.returncode == 1 and "PV701" in default.stdout


def test_new_and_deleted_contracts_are_reported_not_judged(repo: Path) -> None:
    valid = sorted((REPO_ROOT / "tests" / "fixtures" / "valid").glob("*.yaml"))[0]
    shutil.copy(valid, repo / "contracts" / "new-v1.yaml")
    (repo / NAME).unlink()
    result = run_pv("diff", "--root", str(repo), cwd=repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "contract removed" in result.stdout and "new contract" in result.stdout


@pytest.mark.parametrize("args, words", [
    (("--base", "no-such-ref"), "unknown revision 'no-such-ref'"),
    (("--base", "--upload-pack=x"), "unknown revision"),
])
def test_a_missing_ref_is_a_usage_error(repo: Path, args: tuple[str, ...], words: str) -> None:
    result = run_pv("diff", *args, "--root", str(repo), cwd=repo)
    assert result.returncode == 2
    assert words in result.stderr and "Traceback" not in result.stderr


def test_a_shallow_clone_says_so(repo: Path, tmp_path: Path) -> None:
    tighten_cap(repo)
    git(repo, "commit", "-q", "-am", "tighter")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", "--branch", "feature", f"file://{repo}", str(clone)],
                   check=True, capture_output=True)
    result = run_pv("diff", "--base", "HEAD~1", "--root", str(clone), cwd=clone)
    assert result.returncode == 2
    assert "shallow" in result.stderr and "fetch-depth: 0" in result.stderr


def test_outside_a_repository_is_a_usage_error(tmp_path: Path) -> None:
    result = run_pv("diff", "--root", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2 and "not inside a git work tree" in result.stderr


@pytest.mark.parametrize("content, code", [
    (b"\x89PNG\r\n\x1a\n\xff\x00binary", "PV006"),
    (b"contract_id: C\n<<<<<<< HEAD\nversion: 1.0.0\n=======\nversion: 1.1.0\n>>>>>>> other\n", "PV001"),
])
def test_a_broken_working_copy_is_a_finding_not_a_traceback(repo: Path, content: bytes, code: str) -> None:
    (repo / NAME).write_bytes(content)
    result = run_pv("diff", "--root", str(repo), cwd=repo)
    assert result.returncode == 1
    assert code in result.stdout and "Traceback" not in result.stdout + result.stderr


def test_two_files(tmp_path: Path) -> None:
    old = tmp_path / "old-v1.yaml"
    new = tmp_path / "new-v1.yaml"
    shutil.copy(CONTRACT, old)
    shutil.copy(CONTRACT, new)
    new.write_text(new.read_text(encoding="utf-8").replace("2·previous_val_loss", "3·previous_val_loss"),
                   encoding="utf-8")
    result = run_pv("diff", "--root", str(tmp_path), str(old), str(new))
    assert result.returncode == 1 and "PV701" in result.stdout and "bound" not in result.stdout


def test_the_stored_older_aprender_versions(corpus_dir: Path) -> None:
    """The two older aprender contracts against their newer copies (checked by hand, see the README)."""
    older = sorted((corpus_dir / "aprender-older-versions").glob("*/contracts/*.yaml"))
    assert {p.name for p in older} == {"tokenizer-bpe-v1.yaml", "training-loop-pretrain-v1.yaml"}
    results = {}
    for path in older:
        newer = corpus_dir / "aprender" / "contracts" / path.name
        result = run_pv("diff", "--format", "json", "--root", str(corpus_dir), str(path), str(newer))
        results[path.name] = (result.returncode, json.loads(result.stdout)["findings"])
    code, findings = results["tokenizer-bpe-v1.yaml"]
    assert code == 1
    assert [f["code"] for f in findings if f["severity"] == "error"] == ["PV701"]
    assert [f["message"] for f in findings if f["code"] == "PV710"] == [
        "`metadata.description` added (prose) [wording: patch]"]
    code, findings = results["training-loop-pretrain-v1.yaml"]
    assert code == 0
    summary = [f["message"] for f in findings if f["code"] == "PV711"]
    assert summary and "require a minor bump; version 1.0.0 -> 1.5.0" in summary[0]
    messages = [f["message"] for f in findings if f["code"] == "PV710"]
    for expected in ("invariants item `INV-TRAIN-011` added [item-added: minor]",
                     "gates item `GATE-TRAIN-EXHAUST` added [item-added: minor]",
                     "`status`: PROPOSED -> ACTIVE [status-changed: minor]",
                     "`hyperparameter_defaults` added [block-added: minor]",
                     "`gates[GATE-TRAIN-005].evidence_discharged_by` added (4 entries) [evidence-added: patch]"):
        assert expected in messages
    assert not any("major" in m for m in messages)
