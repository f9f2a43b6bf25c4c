"""Defects 4 and 9: odd file names never crash a report, names are sanitised like messages,
messages are pv's own words, and a refuted comparison shows enough digits; any escaped exception
is PV900 with exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def _pv(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYTHONIOENCODING": "utf-8:strict", "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "pv", *args], cwd=cwd, env=env, capture_output=True, timeout=120)


@pytest.fixture
def odd_repo(tmp_path: Path) -> Path:
    (tmp_path / "contracts").mkdir()
    (tmp_path / "pyproject.toml").write_text("[tool.pv]\n")
    try:
        with open(os.path.join(os.fsencode(tmp_path / "contracts"), b"caf\xe9-v1.yaml"), "wb") as handle:
            handle.write(b"contract_id: C-X\n")
    except OSError:
        pytest.skip("this file system refuses names that are not UTF-8")
    (tmp_path / "contracts" / "x\x1b[31m\x07-v1.yaml").write_text("contract_id: C-Y\n")
    return tmp_path


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_a_file_name_that_is_not_utf8_is_shown_escaped_in_every_format(odd_repo: Path, fmt: str) -> None:
    for extra in ([], ["-o", str(odd_repo / "report.out")]):
        proc = _pv("validate", "--format", fmt, *extra, cwd=odd_repo)
        assert proc.returncode == 1, proc.stderr.decode()  # the contracts have findings: exit 1, no crash
        assert b"Traceback" not in proc.stderr
        out = proc.stdout if not extra else (odd_repo / "report.out").read_bytes()
        text = out.decode("utf-8")  # strictly UTF-8
        assert "\x1b" not in text and "\x07" not in text
        if fmt in ("text", "github"):
            assert "caf\\xe9-v1.yaml" in text
        if fmt == "sarif":
            uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    for r in json.loads(text)["runs"][0]["results"]}
            assert "contracts/caf%E9-v1.yaml" in uris  # percent-encoded from the raw bytes
        if fmt == "json":
            files = json.loads(text)["files"]
            assert "contracts/caf\\xe9-v1.yaml" in files


def test_an_exception_escaping_a_command_is_pv900_with_exit_2(monkeypatch, capsys) -> None:
    from pv import cli
    from pv.commands import rules

    def explode(*args, **kwargs):
        raise RuntimeError("boom\x1b[2J")

    monkeypatch.setattr(rules.rules, "callback", explode)
    monkeypatch.setattr(sys, "argv", ["pv", "rules"])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "PV900" in err and "RuntimeError: boom" in err and "Traceback" not in err and "\x1b" not in err


def test_a_failing_step_is_described_in_pvs_words() -> None:
    # PV311 printed "OverflowError: int too large to convert to float", Python's text, not pv's.
    from pv.checks.formulas.limits import run_steps

    def overflow() -> float:
        return float(10 ** 400)

    (result,) = run_steps([overflow], seconds=5)
    assert not result.ok and "too large" in result.error
    assert "OverflowError:" not in result.error and "convert to float" not in result.error


def test_a_refuted_comparison_shows_digits_enough_to_see_why() -> None:
    # It printed `tanh(y) = -0.999999 is not > -0.999999`.
    from pv.checks.formulas.grammar import parse
    from pv.checks.formulas.prover import explain_failure

    detail = explain_failure(parse("tanh(y) > -0.999999"), {}, {"y": Fraction(-76, 10)})
    shown = detail.split(" is not ")[0].split(" = ")[1]
    assert shown != "-0.999999" and float(shown) < -0.999999, detail
