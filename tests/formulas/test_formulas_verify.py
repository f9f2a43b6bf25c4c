"""`pv verify`: bound implementations against their formulas, and the repo's own contract."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from formula_helpers import write_contract

from pv.cli import cli

REPO = Path(__file__).resolve().parents[2]

IMPL = '''
import math

def cap(vocab_size):
    return 2.0 * math.log(vocab_size)

def wrong_cap(vocab_size):
    return 2.0 * math.log(vocab_size) if vocab_size < 1000 else 3.0 * math.log(vocab_size)

def doubling_ok(epoch, history):
    return history[epoch] <= 2.0 * history[epoch - 1]

def strict_doubling_ok(epoch, history):
    return history[epoch] < 2.0 * history[epoch - 1]

class Box:
    def __init__(self, size):
        self.size = size

def boxed_cap(box):
    return 2.0 * math.log(box.size)

def explodes(vocab_size):
    raise RuntimeError("boom")
'''

CONTRACT = """
    formulas:
      symbols:
        vocab_size: "integer ≥ 2"
        val_loss: "sequence of real > 0"
        N: "integer ≥ 1"
      definitions:
        cap:
          formula: "2·ln(vocab_size)"
          bind: {{function: "implmod:{cap}", args: {{vocab_size: vocab_size}}}}
        boxed:
          formula: "2·ln(vocab_size)"
          bind:
            function: "implmod:boxed_cap"
            args:
              box: {{call: "implmod:Box", args: {{size: vocab_size}}}}
        nd:
          formula: "val_loss[N] ≤ 2 × val_loss[N-1]"
          bind: {{function: "implmod:{nd}", args: {{epoch: N, history: val_loss}}}}
"""


@pytest.fixture(autouse=True)
def _fresh_implmod():
    # Each test has its own root; a module imported from another test's root is (rightly) refused.
    sys.modules.pop("implmod", None)
    yield
    sys.modules.pop("implmod", None)


def run_verify(tmp_path: Path, cap: str = "cap", nd: str = "doubling_ok", *extra: str):
    (tmp_path / "implmod.py").write_text(IMPL, encoding="utf-8")
    path = write_contract(tmp_path, CONTRACT.format(cap=cap, nd=nd))
    return CliRunner().invoke(cli, ["verify", str(path), "--root", str(tmp_path), *extra])


def test_agreeing_bindings_exit_0(tmp_path: Path) -> None:
    result = run_verify(tmp_path)
    assert result.exit_code == 0, result.output
    assert result.output.count("PV343") == 3
    assert "agrees with `implmod:cap` on 200 point(s)" in result.output


def test_numeric_disagreement_reports_first_inputs(tmp_path: Path) -> None:
    result = run_verify(tmp_path, cap="wrong_cap")
    assert result.exit_code == 1
    assert "PV342" in result.output and "vocab_size = " in result.output
    line = next(ln for ln in result.output.splitlines() if "PV342" in ln)
    value = int(line.split("vocab_size = ")[1].split(":")[0])
    assert value >= 1000  # the inputs really are where the implementation is wrong


def test_relation_disagreement_on_a_generated_trace(tmp_path: Path) -> None:
    result = run_verify(tmp_path, nd="strict_doubling_ok")
    assert result.exit_code == 1
    line = next(ln for ln in result.output.splitlines() if "PV342" in ln)
    assert "val_loss = [" in line and "the formula is true" in line


def test_implementation_that_raises(tmp_path: Path) -> None:
    result = run_verify(tmp_path, cap="explodes")
    assert result.exit_code == 1 and "raised RuntimeError: boom" in result.output


def test_missing_target(tmp_path: Path) -> None:
    result = run_verify(tmp_path, cap="nope")
    assert result.exit_code == 1 and "PV341" in result.output and "no attribute `nope`" in result.output


def test_points_option_and_json(tmp_path: Path) -> None:
    result = run_verify(tmp_path, "cap", "doubling_ok", "--points", "5", "--format", "json")
    assert result.exit_code == 0
    assert "on 5 point(s)" in json.dumps(json.loads(result.output))


def test_nothing_to_verify_exits_2(tmp_path: Path) -> None:
    path = write_contract(tmp_path, "formulas:\n  symbols:\n    x: real\n  definitions:\n    f: x\n")
    result = CliRunner().invoke(cli, ["verify", str(path), "--root", str(tmp_path)])
    assert result.exit_code == 2


def test_repo_contract_bindings_agree_with_the_reference_loop() -> None:
    pytest.importorskip("pv.reference.regime")
    result = CliRunner().invoke(cli, ["verify", str(REPO / "contracts"), "--root", str(REPO)])
    assert result.exit_code == 0, result.output
    for name in ("epoch_zero_cap_finetune", "epoch_zero_cap_from_scratch", "non_divergence",
                 "epoch_zero_ok_finetune", "epoch_zero_ok_from_scratch"):
        assert f"`{name}` agrees with" in result.output


def test_literal_arguments_and_static_errors(tmp_path: Path) -> None:
    (tmp_path / "implmod.py").write_text(IMPL, encoding="utf-8")
    path = write_contract(tmp_path, """
        formulas:
          symbols:
            val_loss: "sequence of real > 0"
            vocab_size: "integer ≥ 2"
          definitions:
            first_ok:
              formula: "val_loss[1] ≤ 2 × val_loss[0]"
              bind: {function: "implmod:doubling_ok", args: {epoch: {value: 1}, history: val_loss}}
            broken:
              formula: "2·ln(vocab_sise)"
              bind: {function: "implmod:cap", args: {vocab_size: vocab_size}}
    """)
    result = CliRunner().invoke(cli, ["verify", str(path), "--root", str(tmp_path)])
    assert result.exit_code == 1
    assert "`first_ok` agrees with `implmod:doubling_ok`" in result.output
    assert "PV303" in result.output and "`broken` agrees" not in result.output


@pytest.mark.parametrize("target, args", [
    ("os:system", "{command: {value: 'echo pwned'}}"),          # a stdlib module
    ("subprocess:getoutput", "{cmd: {value: 'echo pwned'}}"),
    ("implmod:os.system", "{command: {value: 'echo pwned'}}"),  # reached through a repo module
])
def test_binding_outside_the_repository_is_never_called(tmp_path: Path, target: str, args: str) -> None:
    (tmp_path / "implmod.py").write_text("import os\n", encoding="utf-8")
    marker = tmp_path / "called"
    args = args.replace("echo pwned", f"touch {marker}")
    path = write_contract(tmp_path, f"""
        formulas:
          symbols:
            x: "integer ≥ 1"
          definitions:
            f:
              formula: "x + 1"
              bind: {{function: "{target}", args: {args}}}
    """)
    result = CliRunner().invoke(cli, ["verify", str(path), "--root", str(tmp_path), "--points", "1"])
    assert result.exit_code == 1, result.output
    assert "PV341" in result.output and "repository's own code" in result.output
    assert not marker.exists()
