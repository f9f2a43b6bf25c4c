"""Defect 6: the cache never leaves the root, never follows links, keys every setting, survives bad entries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pv.core.cache import ResultCache
from pv.core.config import Config
from pv.core.engine import CheckContext, validate_file
from pv.core.loader import LoadLimits

REPO_ROOT = Path(__file__).resolve().parents[2]
CONTRACT = (REPO_ROOT / "tests" / "fixtures" / "valid" / "minimal-kernel-v1.yaml").read_text()


def _repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "contracts").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (root / "contracts" / "c-v1.yaml").write_text(CONTRACT)
    return root


def _pv(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run([sys.executable, "-m", "pv", *args], cwd=cwd, env=env, capture_output=True, timeout=120)


def test_a_committed_cache_symlink_is_neither_read_nor_written(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / ".pv_cache").symlink_to(outside)
    proc = _pv("validate", cwd=root)
    assert proc.returncode in (0, 1), proc.stderr
    assert list(outside.rglob("*")) == []  # nothing written outside the repository

    cache = ResultCache(root / ".pv_cache", root=root)
    cache.put("ab" * 32, [], [])
    assert list(outside.rglob("*")) == []


def test_a_symlinked_shard_directory_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    cache = ResultCache(tmp_path / "cache")
    key = "ab" + "0" * 62
    (tmp_path / "cache" / "v2").mkdir(parents=True)
    (tmp_path / "cache" / "v2" / "ab").symlink_to(outside)
    cache.put(key, [], [])
    assert list(outside.iterdir()) == []
    (outside / f"{key}.json").write_text('{"findings": [], "needs": []}')  # planted behind the link
    assert cache.get(key) is None


def test_the_cache_key_covers_the_load_limits(tmp_path: Path) -> None:
    path = tmp_path / "c-v1.yaml"
    path.write_text("a:\n  b:\n    c:\n      d: 1\n")
    cache = ResultCache(tmp_path / "cache")
    shallow = CheckContext(Config(root=tmp_path, limits=LoadLimits(max_depth=2)), cache=cache)
    assert "PV009" in {f.code for f in validate_file(path, shallow).findings}
    deep = CheckContext(Config(root=tmp_path), cache=cache)
    assert "PV009" not in {f.code for f in validate_file(path, deep).findings}


@pytest.mark.parametrize("damage", [
    lambda e: {**e, "findings": [{**f, "line": "3"} for f in e["findings"]]},
    lambda e: {**e, "findings": [5]},
    lambda e: {**e, "findings": [{**f, "severity": "fatal"} for f in e["findings"]]},
    lambda e: {**e, "findings": [{**f, "code": "PV0"} for f in e["findings"]]},
    lambda e: {**e, "findings": [{**f, "message": ["x"]} for f in e["findings"]]},
    lambda e: {**e, "needs": "evidence"},
    lambda e: [],
    lambda e: {"findings": {}, "needs": []},
])
def test_a_malformed_cache_entry_is_a_miss(tmp_path: Path, damage) -> None:
    from pv.core.report import Report
    from pv.reports import render

    path = tmp_path / "c-v1.yaml"
    path.write_text(CONTRACT.replace("total_obligations: 2", "total_obligations: 5"))
    ctx = CheckContext(Config(root=tmp_path), cache=ResultCache(tmp_path / "cache"), skip=frozenset({"evidence"}))
    first = validate_file(path, ctx)
    assert first.findings
    (entry,) = (tmp_path / "cache").rglob("*.json")
    entry.write_text(json.dumps(damage(json.loads(entry.read_text()))))
    second = validate_file(path, ctx)
    assert sorted(second.findings) == sorted(first.findings)
    for fmt in ("text", "json", "sarif", "github"):
        render(fmt, Report(root=tmp_path, files=[second.file], findings=sorted(second.findings)))


def test_an_empty_cache_dir_is_a_usage_error(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    proc = _pv("validate", "--cache-dir", "", cwd=root)
    assert proc.returncode == 2
    assert b"--cache-dir" in proc.stderr
    assert sorted(p.name for p in root.iterdir()) == ["contracts", "pyproject.toml"]
