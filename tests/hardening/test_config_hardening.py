"""Defect 7: bad [tool.pv] values are usage errors naming the key; max_depth is clamped."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pv.core.config import Config, load_config
from pv.core.engine import CheckContext, validate_file
from pv.core.loader import MAX_DEPTH_CAP

REPO_ROOT = Path(__file__).resolve().parents[2]


def _repo(tmp_path: Path, table: str) -> Path:
    (tmp_path / "contracts").mkdir()
    (tmp_path / "contracts" / "c-v1.yaml").write_text("contract_id: C-X\n")
    (tmp_path / "pyproject.toml").write_text("[tool.pv]\n" + table, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(("table", "key"), [
    ('contract_dirs = ["con\\u0000tracts"]\n', "contract_dirs"),  # was a ValueError traceback
    ('contract_dirs = [""]\n', "contract_dirs"),
    ('select = ["PV1\\u0000"]\n', "select"),
    ("max_depth = -3\n", "max_depth"),
    ('max_file_bytes = "big"\n', "max_file_bytes"),
])
def test_a_bad_config_value_is_a_usage_error_naming_the_key(tmp_path: Path, table: str, key: str) -> None:
    root = _repo(tmp_path, table)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.run([sys.executable, "-m", "pv", "validate"], cwd=root, env=env, capture_output=True,
                          timeout=120)
    assert proc.returncode == 2 and b"Traceback" not in proc.stderr, proc.stderr.decode()
    assert key in proc.stderr.decode()


def test_max_depth_is_clamped_and_deep_files_stay_cheap(tmp_path: Path) -> None:
    root = _repo(tmp_path, "max_depth = 10000\n")
    config = load_config(root)
    assert config.errors == () and config.limits.max_depth == MAX_DEPTH_CAP == 256
    path = root / "contracts" / "c-v1.yaml"
    path.write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    findings = validate_file(path, CheckContext(config=config)).findings
    assert [(f.code, f.col) for f in findings] == [("PV009", 4 + 255)]


def test_nesting_up_to_the_cap_is_checked_without_a_crash(tmp_path: Path) -> None:
    root = _repo(tmp_path, "max_depth = 256\n")
    path = root / "contracts" / "c-v1.yaml"
    gated = (REPO_ROOT / "tests" / "fixtures" / "valid" / "minimal-gated-v1.yaml").read_text()
    path.write_text(gated + "formulas: {symbols: {x: " + "{a: " * 250 + "1" + "}" * 250 + "}}\n")
    findings = validate_file(path, CheckContext(config=Config(root=root, limits=load_config(root).limits))).findings
    assert findings and not [f for f in findings if f.code.startswith("PV9")], findings


def _peak_bytes(depth: int, nodes: int) -> int:
    import tracemalloc

    from pv.core.loader import LoadLimits, Source, parse_source

    chunk = "[" * depth + "]" * depth
    text = "x: [" + ", ".join([chunk] * (nodes // depth)) + "]\n"
    tracemalloc.start()
    try:
        doc, findings = parse_source(Source("c", Path("c"), Path("."), text, []), LoadLimits(max_depth=256))
        assert doc is not None and findings == []
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_is_linear_in_the_nodes_not_in_their_depth() -> None:
    # Each node's position was keyed by its full path (a tuple as long as its depth): memory grew with
    # depth x nodes, the square of the depth for one deep structure. Positions now link to their parent.
    shallow, deep = _peak_bytes(5, 20_000), _peak_bytes(250, 20_000)
    assert deep < 1.5 * shallow, (shallow, deep)
