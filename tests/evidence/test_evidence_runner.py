"""Running cited evidence: pytest in a subprocess, JUnit reports, cargo (real, fake and absent)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from pv.checks.evidence import runner
from pv.checks.evidence.check import analyze
from pv.core.loader import load

CONTRACT = "contracts/c-v1.yaml"

TESTS = '''
import time

import pytest


def test_ok():
    assert True


def test_bad():
    assert 1 == 2, "one is not two"


@pytest.mark.parametrize("n", [1, 2])
def test_param(n):
    assert n == 1


def test_sleeps():
    time.sleep(30)
    assert True


class TestGroup:
    def test_m(self):
        assert True
'''


def contract(*entries: str) -> str:
    lines = "\n".join(f"      - {e}" for e in entries)
    return f"""contract_id: C-RUN
version: 1.0.0
status: ACTIVE
gates:
  - id: GATE-RUN-001
    rule: "runs"
    verdict: pass
    discharge_status: DISCHARGED
    evidence_discharged_by:
{lines}
"""


def outcomes(repo, *entries: str, **kwargs) -> dict[str, runner.Outcome]:
    repo.write(CONTRACT, contract(*entries))
    doc, _ = load(repo.root / CONTRACT, repo.root)
    results = analyze(doc, repo.root)
    got = runner.run_all([("c", results)], repo.root, **kwargs)
    owner = results[0].owner
    return {entry.ref.raw: got[("c", entry.path)] for entry in owner.entries}


@pytest.fixture
def pyrepo(repo):
    repo.write("tests/test_run.py", TESTS)
    repo.write("tests/test_broken.py", "import module_that_is_not_installed_zz\n\ndef test_x():\n    assert True\n")
    return repo


def test_pytest_outcomes(pyrepo):
    got = outcomes(pyrepo, "tests/test_run.py::test_ok", "tests/test_run.py::test_bad",
                   "tests/test_run.py::test_param[1]", "tests/test_run.py::test_param",
                   "tests/test_run.py::TestGroup", "tests/test_run.py::TestGroup::test_m",
                   "tests/test_broken.py::test_x", "tests/test_run.py::test_missing")
    assert got["tests/test_run.py::test_ok"].status == "passed"
    assert got["tests/test_run.py::test_bad"].status == "failed"
    assert "one is not two" in got["tests/test_run.py::test_bad"].message
    assert got["tests/test_run.py::test_param[1]"].status == "passed"
    assert got["tests/test_run.py::test_param"].status == "failed"  # test_param[2] fails
    assert got["tests/test_run.py::TestGroup"].status == "passed"
    assert got["tests/test_run.py::TestGroup::test_m"].status == "passed"
    broken = got["tests/test_broken.py::test_x"]
    assert broken.status == "error" and "module_that_is_not_installed_zz" in broken.message
    assert got["tests/test_run.py::test_missing"].status == "unresolved"  # never handed to pytest


def test_only_cited_tests_run(pyrepo):
    got = outcomes(pyrepo, "tests/test_run.py::test_ok")
    assert got["tests/test_run.py::test_ok"].status == "passed"
    assert got["tests/test_run.py::test_ok"].duration is not None
    # test_sleeps (30 s) was deselected, or this test would have taken 30 s.


def test_timeout_is_reported_not_passed(pyrepo):
    got = outcomes(pyrepo, "tests/test_run.py::test_sleeps", timeout=3)
    result = got["tests/test_run.py::test_sleeps"]
    assert result.status in ("not-run", "error") and "timed out" in result.message


def test_missing_interpreter_is_an_error(pyrepo):
    got = outcomes(pyrepo, "tests/test_run.py::test_ok", python=str(pyrepo.root / "no-such-python"))
    assert got["tests/test_run.py::test_ok"].status == "error"


def junit_report(repo, family: str) -> bytes:
    out = repo.root / f"report-{family}.xml"
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o",
                    f"junit_family={family}", f"--junitxml={out}", "tests/test_run.py::test_ok",
                    "tests/test_run.py::test_bad", "tests/test_run.py::TestGroup"], cwd=repo.root,
                   capture_output=True, check=False)
    return out.read_bytes()


@pytest.mark.parametrize("family", ["xunit1", "xunit2"])
def test_junit_report_is_read_instead_of_running(pyrepo, family):
    data = junit_report(pyrepo, family)
    got = outcomes(pyrepo, "tests/test_run.py::test_ok", "tests/test_run.py::test_bad",
                   "tests/test_run.py::TestGroup::test_m", "tests/test_run.py::test_sleeps",
                   junit=(data, "report.xml"))
    assert got["tests/test_run.py::test_ok"].status == "passed"
    assert got["tests/test_run.py::test_bad"].status == "failed"
    assert got["tests/test_run.py::TestGroup::test_m"].status == "passed"
    assert got["tests/test_run.py::test_sleeps"].status == "not-run"


@pytest.mark.parametrize("data,reason", [
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><testsuites>&a;</testsuites>', "DOCTYPE"),
    (b"<testsuites><testcase", "well-formed"),
    (b"<html></html>", "<html>"),
    (b'<?xml version="1.0" encoding="klingon"?><testsuites/>', "unknown encoding"),
])
def test_hostile_or_wrong_junit_is_refused(data, reason):
    with pytest.raises(runner.JUnitError, match=reason):
        runner.parse_junit(data)


RUST_LIB = '''
pub const LIMIT: u32 = 3;
pub fn double(x: u32) -> u32 { x * 2 }
#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn doubles() { assert_eq!(double(2), 4); }
    #[test]
    fn breaks() { assert_eq!(double(2), 5); }
}
'''


@pytest.fixture
def rsrepo(repo):
    repo.write("crate/Cargo.toml", '[package]\nname = "fx"\nversion = "0.1.0"\nedition = "2021"\n')
    repo.write("crate/src/lib.rs", RUST_LIB)
    return repo


def test_rust_without_cargo_is_not_run(rsrepo, tmp_path, monkeypatch):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    got = outcomes(rsrepo, "crate/src/lib.rs::tests::doubles", "crate/src/lib.rs::LIMIT")
    assert got["crate/src/lib.rs::tests::doubles"].status == "not-run"
    assert "cargo" in got["crate/src/lib.rs::tests::doubles"].message
    assert got["crate/src/lib.rs::LIMIT"].status == "exists"


def test_rust_with_a_fake_cargo(rsrepo, tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "cargo"
    fake.write_text("#!/bin/sh\necho 'running 2 tests'\necho 'test tests::doubles ... ok'\n"
                    "echo 'test tests::breaks ... FAILED'\nexit 101\n", encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", str(bin_dir) + os.pathsep + os.environ.get("PATH", ""))
    got = outcomes(rsrepo, "crate/src/lib.rs::tests::doubles", "crate/src/lib.rs::tests::breaks")
    assert got["crate/src/lib.rs::tests::doubles"].status == "passed"
    assert got["crate/src/lib.rs::tests::breaks"].status == "failed"


@pytest.mark.skipif(shutil.which("cargo") is None, reason="cargo is not installed")
def test_rust_with_real_cargo(rsrepo):
    got = outcomes(rsrepo, "crate/src/lib.rs::tests::doubles", "crate/src/lib.rs::tests::breaks", timeout=300)
    assert got["crate/src/lib.rs::tests::doubles"].status == "passed"
    assert got["crate/src/lib.rs::tests::breaks"].status == "failed"


def test_rust_without_a_crate_is_not_run(repo, tmp_path, monkeypatch):
    repo.write("src/lone.rs", "#[test]\nfn alone() {}\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "cargo").write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")
    (bin_dir / "cargo").chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    got = outcomes(repo, "src/lone.rs::alone")
    assert got["src/lone.rs::alone"].status == "not-run" and "Cargo.toml" in got["src/lone.rs::alone"].message


def test_validate_run_option_reports_failures(pyrepo):
    """`pv validate --run` passes options={"run": True} to the check."""
    pyrepo.write(CONTRACT, contract("tests/test_run.py::test_ok", "tests/test_run.py::test_bad"))
    findings = pyrepo.check(run=True)
    failed = [f for f in findings if f.code == "PV414"]
    assert [f.line for f in failed] == [pyrepo.line_of(CONTRACT, "::test_bad")]


def test_validate_junit_option(pyrepo, tmp_path: Path):
    report = tmp_path / "report.xml"
    report.write_bytes(junit_report(pyrepo, "xunit2"))
    pyrepo.write(CONTRACT, contract("tests/test_run.py::test_ok", "tests/test_run.py::test_bad"))
    findings = pyrepo.check(junit=str(report))
    assert [f.code for f in findings if f.code in ("PV414", "PV416")] == ["PV414"]


def test_conftest_level_skip_is_reported_as_skipped(repo):
    """What a machine without torch sees: tests/reference/conftest.py skips everything."""
    repo.write("tests/conftest.py", "import pytest\n\npytest.importorskip('module_that_is_not_installed_zz')\n")
    repo.write("tests/test_a.py", "def test_a():\n    assert True\n")
    got = outcomes(repo, "tests/test_a.py::test_a")["tests/test_a.py::test_a"]
    assert got.status == "skipped" and "module_that_is_not_installed_zz" in got.message


def test_project_exitfirst_does_not_hide_later_tests(pyrepo):
    pyrepo.write("pyproject.toml", "[project]\nname = 'fixture'\n\n[tool.pytest.ini_options]\naddopts = '-x'\n")
    # test_bad runs before TestGroup (file order); with -x pytest would stop after it.
    got = outcomes(pyrepo, "tests/test_run.py::test_bad", "tests/test_run.py::TestGroup::test_m")
    assert got["tests/test_run.py::test_bad"].status == "failed"
    assert got["tests/test_run.py::TestGroup::test_m"].status == "passed"
