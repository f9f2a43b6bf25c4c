"""Defect 1: `pv verify` calls only functions defined in the repository's own tracked source,
decided from the source before anything is imported."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from pv.cli import cli

REPO_ROOT = Path(__file__).resolve().parents[2]

EVIL = """
from pathlib import Path
def run(command):
    Path(command).write_text("called")
    return 1.0
"""


def _contract(root: Path, bind: str, name: str = "c.yaml") -> Path:
    path = root / name
    path.write_text(textwrap.dedent(f"""\
        formulas:
          symbols:
            x: "integer ≥ 1"
          definitions:
            f:
              formula: "x + 1"
              bind: {bind}
        """), encoding="utf-8")
    return path


def _verify(path: Path, root: Path) -> dict:
    result = CliRunner().invoke(cli, ["verify", str(path), "--root", str(root), "--points", "2", "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)


def _refusals(report: dict) -> list[tuple[str, int, str]]:
    return [(f["code"], f["line"], f["message"]) for f in report["findings"] if f["code"] == "PV341"]


@pytest.fixture(autouse=True)
def _forget_modules():
    before = set(sys.modules)
    path = list(sys.path)
    yield
    for name in set(sys.modules) - before:
        sys.modules.pop(name, None)
    sys.path[:] = path


def test_a_package_installed_in_a_venv_inside_the_repo_is_never_called(tmp_path: Path) -> None:
    # The README's own install: `python3 -m venv .venv` at the root, so site-packages is under the root.
    site = tmp_path / ".venv" / "lib" / "python3.11" / "site-packages"
    (site / "evilpkg").mkdir(parents=True)
    (tmp_path / ".venv" / "pyvenv.cfg").write_text("home = /usr\n")
    (site / "evilpkg" / "__init__.py").write_text(EVIL)
    sys.path.insert(0, str(site))  # as when pv runs from that venv
    marker = tmp_path / "marker"
    path = _contract(tmp_path, f'{{function: "evilpkg:run", args: {{command: {{value: "{marker}"}}}}}}')
    refusals = _refusals(_verify(path, tmp_path))
    assert refusals and refusals[0][1] == 7 and "repository's own code" in refusals[0][2]
    assert not marker.exists()
    assert "evilpkg" not in sys.modules  # refused before anything was imported


def test_naming_a_module_does_not_import_it_before_the_binding_is_checked(tmp_path: Path) -> None:
    marker = tmp_path / "imported"
    (tmp_path / "sidefx.py").write_text(f"from os import system\nopen({str(marker)!r}, 'w').close()\n")
    for target in ("sidefx:nope", "sidefx:system"):
        path = _contract(tmp_path, f'{{function: "{target}", args: {{command: x}}}}')
        refusals = _refusals(_verify(path, tmp_path))
        assert refusals, target
        assert not marker.exists(), f"{target}: the module ran before the binding was refused"
    assert "imported or assigned" in refusals[0][2]


def test_a_decorator_that_swaps_in_another_function_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    (tmp_path / "deco.py").write_text("from pathlib import Path\n\ndef swap(f):\n    return Path.write_text\n\n"
                                      "@swap\ndef run(command):\n    return 1.0\n")
    path = _contract(tmp_path, f'{{function: "deco:run", args: {{self: {{value: "{marker}"}}}}}}')
    refusals = _refusals(_verify(path, tmp_path))
    assert refusals and "decorator" in refusals[0][2]
    assert not marker.exists()


def test_a_call_argument_is_checked_too_and_reported_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "impl.py").write_text("def f(x, box):\n    return x + 1\n")
    path = _contract(tmp_path, '\n                {function: "impl:f", args: {x: x, box: {call: "os:getcwd"}}}')
    refusals = _refusals(_verify(path, tmp_path))
    assert [line for _, line, _ in refusals] == [8]


def test_pv_itself_only_when_pv_is_the_repository_and_never_private(tmp_path: Path) -> None:
    # Another repository may not reach pv's code, public or not.
    path = _contract(tmp_path, '{function: "pv.reference.regime:check_non_divergence"}')
    refusals = _refusals(_verify(path, tmp_path))
    assert refusals and ("pv's own code" in refusals[0][2] or "repository" in refusals[0][2])
    # pv's own repository: its private helpers are refused whatever verify_modules says.
    path = _contract(tmp_path, '{function: "pv.core.cache:_inside", args: {path: {value: "/"}, root: {value: "/"}}}')
    refusals = _refusals(_verify(path, REPO_ROOT))
    assert refusals and "not in `verify_modules`" in refusals[0][2]


def test_this_repositorys_config_narrows_verify_to_the_reference_loop(tmp_path: Path) -> None:
    from pv.core.config import load_config

    assert load_config(REPO_ROOT).verify_modules == ("pv.reference.regime",)
    path = _contract(tmp_path, '{function: "pv.core.cache:machine_key"}')
    refusals = _refusals(_verify(path, REPO_ROOT))
    assert refusals and "verify_modules" in refusals[0][2]


def test_private_names_of_pv_are_refused_even_when_allowed(tmp_path: Path) -> None:
    from pv.checks.formulas.targets import TargetError, check_target

    with pytest.raises(TargetError, match="private"):
        check_target("pv.core.cache:_inside", REPO_ROOT)
    with pytest.raises(TargetError, match="dunder"):
        check_target("pv.reference.regime:check_non_divergence.__globals__", REPO_ROOT)
    assert check_target("pv.reference.regime:TrainingRegime.finetune", REPO_ROOT).name == "regime.py"


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_in_a_git_checkout_only_tracked_files_may_be_named(tmp_path: Path) -> None:
    from pv.checks.formulas.targets import TargetError, check_target, tracked_files

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "tracked.py").write_text("def f(x):\n    return x + 1\n")
    (tmp_path / "untracked.py").write_text("def f(x):\n    return x + 1\n")
    subprocess.run(["git", "-C", str(tmp_path), "add", "tracked.py"], check=True)
    tracked_files.cache_clear()
    assert check_target("tracked:f", tmp_path).name == "tracked.py"
    with pytest.raises(TargetError, match="not tracked"):
        check_target("untracked:f", tmp_path)
