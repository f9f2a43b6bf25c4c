"""`pv formulas`: every formula with where it is, how pv read it, its value and verdict; `pv explain` of new rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pv.cli import cli

KERNEL = """\
metadata:
  version: "1.0.0"
equations:
  gqa:
    formula: "n_h mod n_kv = 28 mod 4 = 0"
    domain: "n_h=28, n_kv=4"
    invariants:
      - "Output shape equals input shape"
      - "ratio = 28 / 4 = 8"
      - "z ~ N(0, 1)"
proof_obligations:
  - type: bound
    property: "TBD"
    formal: "TBD"
"""


def _invoke(tmp_path: Path, *args: str):
    (tmp_path / "pyproject.toml").write_text("[tool.pv]\n", encoding="utf-8")
    (tmp_path / "k.yaml").write_text(KERNEL, encoding="utf-8")
    return CliRunner().invoke(cli, ["formulas", "--root", str(tmp_path), str(tmp_path / "k.yaml"), *args],
                              catch_exceptions=False)


def test_json_report_has_places_readings_values_and_verdicts(tmp_path: Path) -> None:
    result = _invoke(tmp_path, "--format", "json")
    assert result.exit_code == 1, result.output  # `28 / 4 = 8` is false
    report = json.loads(result.output)["files"][0]
    by_path = {entry["path"]: entry for entry in report["formulas"]}
    formula = by_path["equations.gqa.formula"]
    assert (formula["line"], formula["col"]) == (5, 15)
    assert formula["read_as"] == "n_h mod n_kv = 28 mod 4 = 0"
    assert formula["bindings"] == {"n_h": "28", "n_kv": "4"}
    assert [s["verdict"] for s in formula["statements"]] == ["true", "true"]  # every link, bound ones too
    wrong = by_path["equations.gqa.invariants[1]"]
    assert wrong["verdict"] == "false" and wrong["statements"][0]["left"] == "7"
    assert by_path["equations.gqa.invariants[0]"]["status"] == "prose"
    unread = by_path["equations.gqa.invariants[2]"]
    assert unread["status"] == "not understood" and unread["reason_at"]["line"] == 10
    assert by_path["proof_obligations[0].formal"]["status"] == "placeholder"
    assert report["summary"]["closed_false"] == 1


def test_text_report_names_each_formula_and_why(tmp_path: Path) -> None:
    result = _invoke(tmp_path)
    assert "read as  n_h mod n_kv = 28 mod 4 = 0" in result.output
    assert "false    ratio = 28 / 4" not in result.output  # the unbound first link is not judged
    assert "false    28 / 4 = 8   (7 vs 8)" in result.output
    assert "why not" in result.output
    assert "Output shape equals input shape" not in result.output  # prose only with --all
    assert "Output shape equals input shape" in _invoke(tmp_path, "--all").output


def test_the_repo_contract_lists_its_section_formulas(repo_root: Path) -> None:
    result = CliRunner().invoke(cli, ["formulas", "--root", str(repo_root), "--format", "json",
                                      str(repo_root / "contracts" / "training-loop-pretrain-v1.yaml")],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    entries = json.loads(result.output)["files"][0]["formulas"]
    cap = next(e for e in entries if e.get("name") == "epoch_zero_cap_from_scratch")
    assert cap["read_as"] == "2 · ln(vocab_size)" and cap["kind"] == "definition"


@pytest.mark.parametrize("code", ["PV300", "PV350", "PV351", "PV352", "PV353", "PV354"])
def test_explain_covers_every_new_rule(code: str) -> None:
    result = CliRunner().invoke(cli, ["explain", code], catch_exceptions=False)
    assert result.exit_code == 0 and code in result.output and len(result.output) > 200


def test_pv300_reasons_are_the_grammars_own(tmp_path: Path) -> None:
    """Issue 10: PV300's reasons are accurate — each names what stopped the grammar."""
    from pv.checks.formulas.check import check
    from pv.core.loader import load

    (tmp_path / "pyproject.toml").write_text("[tool.pv]\n", encoding="utf-8")
    path = tmp_path / "k.yaml"
    path.write_text('equations:\n  a:\n    formula: "y = mask * x, mask_i ~ Bernoulli(p)"\n'
                    '  b:\n    formula: "P(C_k) = |{i : y_i = k}| / n"\n', encoding="utf-8")
    doc, _ = load(path, tmp_path)
    summary = next(f for f in check(doc, None) if f.code == "PV300")
    assert "unsupported character `~` ×1" in summary.message and "set-builder ×1" in summary.message
