"""`pv validate`, `pv rules`, `pv explain`: exit codes, formats, options, cache."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pv.cli import cli

FIXTURES = Path(__file__).parent / "fixtures"
CLEAN = FIXTURES / "valid" / "minimal-gated-v1.yaml"
BROKEN = FIXTURES / "invalid" / "unknown-key-typo-v1.yaml"
WARNS_ONLY = FIXTURES / "invalid" / "changelog-order-v1.yaml"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def validate(*args: str) -> tuple[int, str]:
    return run("validate", "--no-cache", "--skip", "evidence", "--root", str(FIXTURES), *args)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text('[tool.pv]\ncontract_dirs = ["specs"]\n')
    (tmp_path / "specs").mkdir()
    shutil.copy(CLEAN, tmp_path / "specs" / CLEAN.name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_clean_contract_exits_0_and_says_so() -> None:
    code, out = validate(str(CLEAN))
    assert code == 0
    assert "0 errors, 0 warnings" in out


def test_errors_exit_1_with_location_and_hint() -> None:
    code, out = validate(str(BROKEN))
    assert code == 1
    assert "unknown-key-typo-v1.yaml:15:5: error PV101" in out
    assert "did you mean `evidence_discharged_by`" in out
    assert "1 error, 0 warnings" in out or "1 errors, 0 warnings" in out


def test_warnings_pass_unless_strict() -> None:
    assert validate(str(WARNS_ONLY))[0] == 0
    assert validate("--strict", str(WARNS_ONLY))[0] == 1


def test_no_contract_found_exits_2(tmp_path: Path) -> None:
    code, out = validate(str(tmp_path))
    assert code == 2
    assert "PV901" in out


def test_missing_path_exits_2(tmp_path: Path) -> None:
    assert validate(str(tmp_path / "nope.yaml"))[0] == 2


def test_unknown_rule_in_select_exits_2() -> None:
    code, out = validate("--select", "PV999", str(CLEAN))
    assert code == 2 and "unknown rule" in out


def test_unknown_format_is_a_usage_error() -> None:
    assert validate("--format", "xml", str(CLEAN))[0] == 2


def test_internal_error_exits_2_with_pv900(monkeypatch: pytest.MonkeyPatch) -> None:
    import pv.checks.consistency.check

    def explode(doc, ctx=None):
        raise RuntimeError("boom")

    monkeypatch.setattr(pv.checks.consistency.check, "check", explode)
    from pv.core import engine

    monkeypatch.setattr(engine, "_resolved", {})
    code, out = validate(str(CLEAN))
    assert code == 2
    assert "PV900" in out and "boom" in out and "Traceback" not in out


def test_select_and_ignore_filter_by_code_prefix_and_name() -> None:
    path = str(FIXTURES / "invalid" / "missing-peer-v1.yaml")
    code, out = validate("--select", "PV2", path)
    assert "PV203" in out and "PV104" not in out and code == 0  # only warnings left
    code, out = validate("--ignore", "missing-peer", path)
    assert "PV203" not in out and "PV104" in out and code == 1


def test_default_paths_come_from_tool_pv(project: Path) -> None:
    code, out = run("validate", "--no-cache")
    assert code == 0
    assert "1 file" in out


def test_default_contracts_dir_missing_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    monkeypatch.chdir(tmp_path)
    assert run("validate", "--no-cache")[0] == 2


def test_bad_tool_pv_config_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.pv]\ncontract_dirs = 3\n")
    monkeypatch.chdir(tmp_path)
    code, out = run("validate")
    assert code == 2 and "contract_dirs" in out



@pytest.mark.parametrize("toml, message", [
    ("tool = 5\n", "must be a table"),                      # was an AttributeError traceback
    ("[tool]\npv = 5\n", "must be a table"),
    ('[tool.pv]\ncontract_dirs = ["/etc"]\n', "outside the repository root"),  # pyproject comes with PRs
    ('[tool.pv]\ncontract_dirs = ["specs/../.."]\n', "outside the repository root"),
])
def test_hostile_tool_pv_config_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toml: str,
                                        message: str) -> None:
    (tmp_path / "pyproject.toml").write_text(toml)
    (tmp_path / "specs").mkdir()
    monkeypatch.chdir(tmp_path)
    code, out = run("validate", "--no-cache")
    assert code == 2 and message in out, out

def test_json_format_is_stable_and_complete() -> None:
    code, out = validate("--format", "json", str(BROKEN), str(CLEAN))
    data = json.loads(out)
    assert code == 1
    assert data["summary"]["errors"] == 1 and data["summary"]["files"] == 2
    finding = data["findings"][0]
    assert finding["code"] == "PV101" and (finding["line"], finding["col"]) == (15, 5)
    assert finding["path"] == "gates[0].evidence_discharge_by"
    assert set(finding) >= {"file", "line", "col", "code", "severity", "message", "hint", "path"}


def test_sarif_format_names_rules_and_regions() -> None:
    code, out = validate("--format", "sarif", str(BROKEN))
    sarif = json.loads(out)
    assert code == 1 and sarif["version"] == "2.1.0"
    run_ = sarif["runs"][0]
    result = run_["results"][0]
    assert result["ruleId"] == "PV101"
    region = result["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (15, 5)
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "invalid/unknown-key-typo-v1.yaml"  # relative to --root
    assert any(rule["id"] == "PV101" for rule in run_["tool"]["driver"]["rules"])
    schema_file = Path(__file__).parent / "reports" / "data" / "sarif-schema-2.1.0.json"
    if schema_file.exists():
        import jsonschema

        jsonschema.validate(sarif, json.loads(schema_file.read_text()))


def test_github_format_emits_annotations() -> None:
    code, out = validate("--format", "github", str(BROKEN))
    assert code == 1
    assert "::error file=invalid/unknown-key-typo-v1.yaml,line=15,col=5" in out


def test_output_file_is_written(tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.json"
    code, out = validate("--format", "json", "-o", str(target), str(CLEAN))
    assert code == 0 and json.loads(target.read_text())["summary"]["errors"] == 0



def test_unwritable_output_is_a_usage_error_not_a_traceback(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    code, out = validate("-o", str(blocker / "report.txt"), str(CLEAN))  # the parent is a file
    assert code == 2 and "Traceback" not in out
    assert "cannot write the report to" in out

def test_cache_gives_identical_results_and_survives_damage(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    args = ["validate", "--root", str(FIXTURES), "--cache-dir", str(cache), "--format", "json", str(FIXTURES)]
    first = run(*args)
    entries = list(cache.rglob("index-*"))
    assert entries, "the cache was not written"
    second = run(*args)
    assert first == second
    for entry in entries:  # every row damaged in another way: each is a miss, never a crash
        lines = entry.read_text().split("\n")
        damaged = [lines[0]] + [line.replace("{", "{not json", 1) if i % 3 == 0 else
                                line.rsplit("\t", 1)[0] + "\t{}" if i % 3 == 1 else line[: len(line) // 2]
                                for i, line in enumerate(lines[1:])]
        entry.write_text("\n".join(damaged))
    assert run(*args) == first
    for entry in entries:
        entry.write_text("{not json")
    assert run(*args) == first


def test_jobs_give_the_same_report_as_one_process() -> None:
    one = validate("--format", "json", str(FIXTURES))
    many = validate("--format", "json", "--jobs", "2", str(FIXTURES))
    assert one == many
    report = json.loads(one[1])
    assert one[0] == 1 and report["summary"]["files"] >= 20 and report["summary"]["errors"] >= 10


def test_rules_lists_every_code_and_explain_describes_one() -> None:
    code, out = run("rules")
    assert code == 0
    for needle in ("PV001", "PV101", "PV201", "PV901"):
        assert needle in out
    code, out = run("explain", "PV101")
    assert code == 0 and "unknown-key" in out and "typo" in out
    assert run("explain", "PV000")[0] == 2


def test_explain_says_where_a_rule_lives_and_which_fixtures_expect_it() -> None:
    """From a code to its code, docs and fixtures without searching."""
    from pv.core import rules as registry

    for rule in registry.all_rules():
        module_file = Path(__file__).parents[1] / f"{rule.module.replace('.', '/')}.py"
        assert module_file.is_file(), rule.code
        assert f'"{rule.code}"' in module_file.read_text(), rule.code
    code, out = run("explain", "PV101")
    assert "defined in: pv/checks/schema/rules.py" in out
    assert "checked in: pv/checks/schema/check.py" in out
    assert "tests/fixtures/invalid/unknown-key-typo-v1.yaml" in out


def test_python_dash_m_runs_the_cli() -> None:
    proc = subprocess.run([sys.executable, "-m", "pv", "validate", "--no-cache", "--root", str(FIXTURES),
                           str(CLEAN)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "0 errors, 0 warnings" in proc.stdout


def test_validate_does_not_import_torch_or_sympy() -> None:
    code = ("import sys\nfrom pv.cli import main\nsys.argv=['pv','validate','--no-cache','--root',"
            f"{str(FIXTURES)!r},{str(CLEAN)!r}]\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('LOADED', 'torch' in sys.modules, 'sympy' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "LOADED False False" in proc.stdout, proc.stdout + proc.stderr


def test_select_and_ignore_never_hide_an_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # A crashed check (PV900) filtered away by --select/--ignore turned exit 2 into a clean exit 0.
    from pv.core import engine

    def crash(doc, ctx):
        raise RuntimeError("boom")

    real = engine.resolve_check
    monkeypatch.setattr(engine, "resolve_check", lambda spec: crash if spec.name == "consistency" else real(spec))
    for option in (["--select", "PV1"], ["--ignore", "PV900"], ["--ignore", "ALL"]):
        code, out = validate(*option, str(CLEAN))
        assert code == 2 and "PV900" in out, (option, out)


def test_force_color_survives_a_pipe(monkeypatch: pytest.MonkeyPatch) -> None:
    # want_color() said yes, but click.echo stripped the ANSI codes from non-terminal output.
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")
    code, out = validate(str(BROKEN))
    assert code == 1 and "\x1b[1;31merror" in out
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in validate(str(BROKEN))[1]
