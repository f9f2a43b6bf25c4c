"""Defect 2: formula verdicts must not depend on machine load, and a limit-reached result is never cached."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pv.core.cache import ResultCache
from pv.core.config import Config
from pv.core.engine import CheckContext, validate_file

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="forked steps need os.fork")


def _sleepy() -> int:
    time.sleep(1.2)  # waiting, as a step does while other processes hold the CPU
    return 5


def test_a_step_that_waits_for_the_cpu_is_not_cut_off() -> None:
    # With a wall-clock limit this was a "timeout": load, not work, decided the verdict.
    from pv.checks.formulas.limits import run_steps

    results = run_steps([_sleepy, lambda: 7], seconds=0.5, total=1.0)
    assert [(r.ok, r.value) for r in results] == [(True, 5), (True, 7)]


def test_soft_deadline_counts_cpu_time_not_wall_time() -> None:
    from pv.checks.formulas.limits import StepTimeout, soft_deadline

    with soft_deadline(0.2):
        time.sleep(0.5)  # no CPU spent: no timeout
    with pytest.raises(StepTimeout), soft_deadline(0.2):
        while True:
            pass


def test_nested_soft_deadlines_keep_the_outer_one() -> None:
    from pv.checks.formulas.limits import StepTimeout, soft_deadline

    started = time.process_time()
    with pytest.raises(StepTimeout), soft_deadline(0.3):
        with soft_deadline(0.1):
            time.sleep(0.01)
        while True:  # the outer deadline must still fire after the inner block is left
            pass
    assert time.process_time() - started < 2


CONTRACT = """\
formulas:
  symbols:
    n: {domain: "integer ≥ 2"}
  obligations:
    big: {formula: "n^3 - n ≥ 0"}
"""


def _cache_entries(directory: Path) -> list[str]:
    """Cached results: a row of a result index (one per file) or a per-formula memo entry."""
    rows = [line for index in directory.rglob("index-*") for line in index.read_text().split("\n")[1:]]
    return sorted(rows + [str(p) for p in directory.rglob("*.json")])


def test_a_result_reached_by_a_time_limit_is_never_cached(tmp_path: Path, monkeypatch) -> None:
    from pv.checks.formulas import prover

    path = tmp_path / "contracts" / "c-v1.yaml"
    path.parent.mkdir()
    path.write_text(CONTRACT, encoding="utf-8")
    cache_dir = tmp_path / "cache"
    ctx = CheckContext(config=Config(root=tmp_path), cache=ResultCache(cache_dir), skip=frozenset({"schema"}))

    monkeypatch.setattr(prover, "PROVE_SECONDS", 1e-6)  # the proof attempt always gives up
    limited = validate_file(path, ctx)
    assert any(f.code == "PV321" and "gave up" in f.message for f in limited.findings), limited.findings
    assert _cache_entries(cache_dir) == []  # neither the file's findings nor a per-formula result

    monkeypatch.setattr(prover, "PROVE_SECONDS", 2.5)  # a quiet run reaches the real verdict, and caches it
    real = validate_file(path, ctx)
    assert [f.code for f in real.findings] == ["PV322"]
    assert len(_cache_entries(cache_dir / "v3")) == 1  # the file's findings (and any per-formula memo)


def _validate(args: list[str], cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.Popen([sys.executable, "-m", "pv", "validate", "--format", "json", *args], cwd=cwd,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _verdict(proc: subprocess.Popen) -> tuple[int, list[tuple]]:
    out, err = proc.communicate(timeout=300)
    assert b"Traceback" not in err, err.decode()
    data = json.loads(out)
    return proc.returncode, [(f["code"], f["line"], f["message"]) for f in data["findings"]]


def test_eight_concurrent_validations_give_the_idle_verdict(tmp_path: Path) -> None:
    idle = _verdict(_validate(["--no-cache", "--strict"], REPO_ROOT))
    assert idle[0] == 0 and any(code == "PV322" for code, _, _ in idle[1])
    cache = tmp_path / "cache"
    runs = [_validate(["--strict", "--cache-dir", str(cache)], REPO_ROOT) for _ in range(8)]
    verdicts = [_verdict(proc) for proc in runs]
    assert verdicts == [idle] * 8
    again = _verdict(_validate(["--strict", "--cache-dir", str(cache)], REPO_ROOT))  # from the cache now
    assert again == idle
