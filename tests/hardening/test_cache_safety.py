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
    cache.open(("schema",), "")
    cache.store("contracts/c-v1.yaml", {"findings": [], "needs": [], "digest": "x", "suppressions": []})
    cache.flush()
    assert list(outside.rglob("*")) == []


def test_a_symlinked_index_directory_is_not_followed(tmp_path: Path) -> None:
    # (The cache is one index file per settings under cache/v3/; that folder linked elsewhere is not used.)
    outside = tmp_path / "outside"
    outside.mkdir()
    cache = ResultCache(tmp_path / "cache")
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "v3").symlink_to(outside)
    cache.open(("schema",), "")
    cache.store("c-v1.yaml", {"findings": [], "needs": [], "digest": "x", "suppressions": []})
    cache.flush()
    assert list(outside.iterdir()) == []
    planted = outside / cache._name  # planted behind the link, under the very name pv would read
    planted.write_text('pv result index, format 3\n"c-v1.yaml"\t-\t{"findings":[],"needs":[],"digest":"x",'
                       '"suppressions":[]}')
    again = ResultCache(tmp_path / "cache")
    again.open(("schema",), "")
    assert again.peek("c-v1.yaml") is None


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
    (index,) = (tmp_path / "cache").rglob("index-*")  # one row per file: `"name"<TAB>stat<TAB>{entry}`
    header, row = index.read_text().split("\n")
    name, stat, payload = row.split("\t", 2)
    index.write_text("\n".join([header, "\t".join([name, stat, json.dumps(damage(json.loads(payload)))])]))
    ctx = CheckContext(Config(root=tmp_path), cache=ResultCache(tmp_path / "cache"), skip=frozenset({"evidence"}))
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
