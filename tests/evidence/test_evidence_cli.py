"""`pv discharge` and `pv trace`: output formats and every exit code."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from pv.cli import cli

CONTRACT = "contracts/c-v1.yaml"

BASE = """contract_id: C-CLI
version: 1.0.0
status: ACTIVE
invariants:
  - id: INV-CLI-001
    description: covered
  - id: INV-CLI-002
    description: nobody covers this one
gates:
  - id: GATE-CLI-001
    rule: "holds (INV-CLI-001)"
    verdict: {verdict}
    discharge_status: {status}
    evidence_discharged_by:
      - tests/test_cli_fx.py::test_ok
      - tests/test_cli_fx.py::{second}
  - id: GATE-CLI-002
    rule: "not yet"
    verdict: pending
    discharge_status: PENDING
"""

TESTS = '''
import pytest


def test_ok():
    assert True


def test_bad():
    assert False


@pytest.mark.contract("GATE-CLI-002")
def test_declares_gate_002():
    assert True


@pytest.mark.contract("GATE-NOWHERE")
def test_declares_unknown_gate():
    assert True


@pytest.mark.contract("GATE-CLI-001")
def test_listed_and_marked():
    assert True
'''


@pytest.fixture
def cli_repo(repo):
    repo.write("tests/test_cli_fx.py", TESTS)

    def set_contract(verdict="pass", status="DISCHARGED", second="test_listed_and_marked"):
        repo.write(CONTRACT, BASE.format(verdict=verdict, status=status, second=second))
        return repo

    repo.set_contract = set_contract
    return set_contract()


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_discharge_all_pass_exits_0(cli_repo):
    result = invoke("discharge", "--root", str(cli_repo.root))
    assert result.exit_code == 0, result.output
    assert "GATE-CLI-001" in result.output
    assert "passed        tests/test_cli_fx.py::test_ok" in result.output
    assert "0 errors" in result.output


def test_discharge_failing_test_of_a_claimed_gate_exits_1(cli_repo):
    cli_repo.set_contract(second="test_bad")
    result = invoke("discharge", "--root", str(cli_repo.root))
    assert result.exit_code == 1
    line = cli_repo.line_of(CONTRACT, "::test_bad")
    assert f"{CONTRACT}:{line}:9: error PV414" in result.output


def test_discharge_failing_test_of_a_pending_gate_is_not_an_error(cli_repo):
    cli_repo.set_contract(verdict="pending", status="PENDING", second="test_bad")
    result = invoke("discharge", "--root", str(cli_repo.root))
    assert result.exit_code == 0, result.output
    assert "pending" in result.output


def test_discharge_json(cli_repo):
    cli_repo.set_contract(second="test_bad")
    result = invoke("discharge", "--root", str(cli_repo.root), "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.output)
    (gate, pending) = data["contracts"][0]["gates"]
    assert gate["id"] == "GATE-CLI-001" and gate["claims_discharge"] is True and gate["outcome"] == "failed"
    assert [row["outcome"] for row in gate["evidence"]] == ["passed", "failed"]
    assert pending["outcome"] == "no-evidence"
    assert data["summary"]["errors"] >= 1
    assert {f["code"] for f in data["findings"]} >= {"PV414"}


def test_discharge_gate_filter_and_unknown_gate(cli_repo):
    result = invoke("discharge", "--root", str(cli_repo.root), "--gate", "GATE-CLI-001", "--format", "json")
    assert [g["id"] for g in json.loads(result.output)["contracts"][0]["gates"]] == ["GATE-CLI-001"]
    result = invoke("discharge", "--root", str(cli_repo.root), "--gate", "GATE-NOPE")
    assert result.exit_code == 2 and "no such gate" in result.output


def test_discharge_junit(cli_repo, tmp_path):
    report = tmp_path / "r.xml"
    report.write_text('<testsuites><testsuite><testcase classname="tests.test_cli_fx" name="test_ok"/>'
                      '<testcase classname="tests.test_cli_fx" name="test_listed_and_marked">'
                      '<failure message="boom"/></testcase></testsuite></testsuites>', encoding="utf-8")
    result = invoke("discharge", "--root", str(cli_repo.root), "--junit", str(report))
    assert result.exit_code == 1
    assert "failed" in result.output and "boom" in result.output


def test_discharge_bad_junit_exits_2(cli_repo, tmp_path):
    report = tmp_path / "r.xml"
    report.write_text('<!DOCTYPE x [<!ENTITY a "b">]><testsuites/>', encoding="utf-8")
    result = invoke("discharge", "--root", str(cli_repo.root), "--junit", str(report))
    assert result.exit_code == 2 and "DOCTYPE" in result.output
    result = invoke("discharge", "--root", str(cli_repo.root), "--junit", str(tmp_path / "absent.xml"))
    assert result.exit_code == 2


def test_discharge_nothing_to_do_exits_2(repo):
    repo.write(CONTRACT, "contract_id: C-EMPTY\nversion: 1.0.0\ngates: []\n")
    result = invoke("discharge", "--root", str(repo.root))
    assert result.exit_code == 2 and "nothing to discharge" in result.output


def test_discharge_no_contracts_exits_2(repo):
    result = invoke("discharge", "--root", str(repo.root))
    assert result.exit_code == 2 and "no such file or directory" in result.output
    (repo.root / "contracts").mkdir()
    result = invoke("discharge", "--root", str(repo.root))
    assert result.exit_code == 2 and "PV901" in result.output


def test_discharge_strict_fails_on_warnings(cli_repo):
    cli_repo.replace(CONTRACT, "status: DISCHARGED", "status: DISCHARGED\n    ship_blocking: false")
    cli_repo.replace("tests/test_cli_fx.py", "def test_ok():\n    assert True", "def test_ok():\n    x = 1")
    assert invoke("discharge", "--root", str(cli_repo.root)).exit_code == 0
    assert invoke("discharge", "--root", str(cli_repo.root), "--strict").exit_code == 1


def test_trace_text(cli_repo):
    result = invoke("trace", "--root", str(cli_repo.root))
    assert result.exit_code == 0, result.output
    assert "INV-CLI-001\n    -> GATE-CLI-001" in result.output
    assert "uncovered invariants: INV-CLI-002" in result.output
    assert "gates without evidence: GATE-CLI-002" in result.output
    line = cli_repo.line_of("tests/test_cli_fx.py", "def test_declares_gate_002")
    assert (f"tests/test_cli_fx.py:{line}:1: warning PV417 `tests/test_cli_fx.py::test_declares_gate_002` "
            "declares GATE-CLI-002, but GATE-CLI-002 does not list it") in result.output
    assert "declares GATE-NOWHERE, but no traced contract defines GATE-NOWHERE" in result.output
    assert "test_listed_and_marked` declares" not in result.output


def test_trace_json_and_strict(cli_repo):
    result = invoke("trace", "--root", str(cli_repo.root), "--format", "json")
    data = json.loads(result.output)
    (contract,) = data["contracts"]
    assert contract["uncovered_invariants"] == ["INV-CLI-002"]
    assert contract["gates_without_evidence"] == ["GATE-CLI-002"]
    assert {(u["test"].split("::")[-1], u["gate"]) for u in data["unlisted_markers"]} == {
        ("test_declares_gate_002", "GATE-CLI-002"), ("test_declares_unknown_gate", "GATE-NOWHERE")}
    assert invoke("trace", "--root", str(cli_repo.root), "--strict").exit_code == 1
    no_markers = json.loads(invoke("trace", "--root", str(cli_repo.root), "--no-markers", "--format",
                                   "json").output)
    assert no_markers["unlisted_markers"] == []


def test_trace_bad_yaml_exits_1(repo):
    repo.write(CONTRACT, "contract_id: [unclosed\n")
    result = invoke("trace", "--root", str(repo.root))
    assert result.exit_code == 1 and "PV001" in result.output


def test_commands_are_wired():
    result = invoke("--help")
    assert "discharge" in result.output and "trace" in result.output


def test_trace_does_not_follow_links_out_of_the_root(cli_repo, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "test_leak.py").write_text(
        'import pytest\n\n@pytest.mark.contract("GATE-CLI-002")\ndef test_leak():\n    assert True\n',
        encoding="utf-8")
    (cli_repo.root / "tests" / "test_link.py").symlink_to(outside / "test_leak.py")
    (cli_repo.root / "linkdir").symlink_to(outside)
    result = invoke("trace", "--root", str(cli_repo.root), "--format", "json")
    assert "test_leak" not in result.output


def test_validate_bad_junit_exits_2_like_discharge(cli_repo, tmp_path):
    # Before: an unusable --junit was one PV416 warning and `pv validate` exited 0 over unchecked gates.
    report = tmp_path / "r.xml"
    for text in ('<!DOCTYPE x [<!ENTITY a "b">]><testsuites/>', '<?xml version="1.0" encoding="klingon"?><a/>'):
        report.write_text(text, encoding="utf-8")
        result = invoke("validate", "--root", str(cli_repo.root), "--no-cache", "--junit", str(report))
        assert result.exit_code == 2 and "cannot use --junit" in result.output, result.output
        result = invoke("discharge", "--root", str(cli_repo.root), "--junit", str(report))
        assert result.exit_code == 2 and "cannot use --junit" in result.output, result.output


def test_junit_from_an_endless_device_is_capped_not_read_forever(cli_repo):
    import os

    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    for command in ("validate", "discharge"):
        result = invoke(command, "--root", str(cli_repo.root), "--junit", "/dev/zero")
        assert result.exit_code == 2 and "larger than" in result.output, result.output


def test_discharge_and_trace_text_escape_contract_text(cli_repo):
    # A cited reference is contract text from a pull request: no raw ESC, bidi override or NUL in the log.
    text = BASE.format(verdict="pass", status="DISCHARGED", second="SECOND")
    cli_repo.write(CONTRACT, text.replace("- tests/test_cli_fx.py::SECOND",
                                          '- "tests/test_cli_fx.py::nope\\x1b[2J\\u202e\\x00"'))
    for command in ("discharge", "trace"):
        result = invoke(command, "--root", str(cli_repo.root))
        assert "\x1b" not in result.output and "\u202e" not in result.output and "\x00" not in result.output
        assert "\\x1b[2J\\u202e\\x00" in result.output, result.output


def test_discharge_reports_a_contract_that_does_not_parse(cli_repo):
    # It said "no gate cites any evidence; nothing to discharge" (exit 2) and hid the YAML error.
    # (`gates: [tests/x.py::test_a]` used to be the broken file; it is valid YAML 1.2, so pv now reads it.)
    cli_repo.write(CONTRACT, "contract_id: C-CLI\ngates: [tests/x.py::test_a\n")
    result = invoke("discharge", "--root", str(cli_repo.root))
    assert result.exit_code == 1 and "PV001" in result.output, result.output
    data = json.loads(invoke("discharge", "--root", str(cli_repo.root), "--format", "json").output)
    assert [f["code"] for f in data["findings"]] == ["PV001"]


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_discharge_timeout_must_be_finite(cli_repo, value):
    # --timeout nan passed click's FloatRange(min=1) and crashed with a ValueError traceback.
    result = invoke("discharge", "--root", str(cli_repo.root), "--timeout", value)
    assert result.exit_code == 2 and "finite" in result.output
