"""Issue 10: config files, `pv config`, exclude, severity, per-file-ignores, inline suppressions, infos.

The project under test is a tmp repository with one kernel contract whose summary is
wrong (PV220, an error, line TOTAL) and whose formulas get a PV300 info (line EQUATIONS).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from policy_helpers import EQUATIONS, KERNEL, SORRY, TOTAL, run

from pv.core.config import Config, load_config
from pv.core.globs import matches


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "contracts" / "kaizen").mkdir(parents=True)
    (tmp_path / "contracts" / "k-v1.yaml").write_text(KERNEL)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def validate(*args: str) -> tuple[int, list[dict]]:
    code, out = run("validate", "--skip", "evidence", "--format", "json", *args)
    return code, json.loads(out)["findings"]


def codes(findings: list[dict]) -> list[tuple[str, int]]:
    return sorted((f["code"], f["line"]) for f in findings)


# --- where the config comes from ----------------------------------------------------------------

@pytest.mark.parametrize("name, text", [
    ("pv.toml", 'ignore = ["PV220"]\n'),
    (".pv.toml", 'ignore = ["PV220"]\n'),
    ("pyproject.toml", '[tool.pv]\nignore = ["PV220"]\n'),
])
def test_each_config_file_is_read(repo: Path, name: str, text: str) -> None:
    (repo / name).write_text(text)
    assert load_config(repo).ignore == ("PV220",) and load_config(repo).file.startswith(name)
    assert validate()[0] == 0


def test_precedence_is_dot_pv_then_pv_then_pyproject(repo: Path) -> None:
    (repo / "pyproject.toml").write_text('[tool.pv]\nignore = ["PV1"]\n')
    (repo / "pv.toml").write_text('ignore = ["PV2"]\n')
    assert load_config(repo).ignore == ("PV2",)
    (repo / ".pv.toml").write_text('ignore = ["PV3"]\n')
    assert load_config(repo).ignore == ("PV3",)
    # A pyproject without [tool.pv] is not a source: pv.toml is read.
    (repo / ".pv.toml").unlink()
    (repo / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert load_config(repo).file == "pv.toml"


def test_pv_toml_marks_the_root_of_a_repository_without_pyproject(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pv.toml").write_text('contract_dirs = ["specs"]\n')
    (tmp_path / "specs" / "deep").mkdir(parents=True)
    (tmp_path / "specs" / "k-v1.yaml").write_text(KERNEL)
    monkeypatch.chdir(tmp_path / "specs" / "deep")
    code, out = run("validate", "--skip", "evidence", "--no-cache")
    assert code == 1 and f"specs/k-v1.yaml:{TOTAL}" in out


@pytest.mark.parametrize("text, needle", [
    ('severity = { PV220 = "infoo" }\n', '`severity.PV220` must be "error", "warning" or "info"'),
    ('severity = { PV999 = "info" }\n', "`severity.PV999` is not a rule code or name"),
    ('severity = { PV900 = "info" }\n', "`severity.PV900` cannot be changed"),
    ('[per-file-ignores]\n"contracts/**" = ["PV22O"]\n', 'names no rule: PV22O'),
    ('[per-file-ignores]\n"contracts/**" = "PV2"\n[severity]\nPV220 = 3\n', "`severity.PV220`"),
    ("strict_versions = 1\n", "`strict_versions` must be true or false"),
    ('vocabularies = { verdict = "active" }\n', None),  # a single string is a list of one
    ("vocabularies = { verdict = [1] }\n", "`vocabularies.verdict` must be a list of strings"),
    ("aliases = [1]\n", "`aliases` must be a table"),
    ("excldue = []\n", "unknown key `excldue`; did you mean `exclude`?"),
    ('baseline = "../x.json"\n', "`baseline` `../x.json` is outside the repository root"),
    ("ignore = [\n", "pv.toml: cannot read the pv settings"),
    ('[tool.pv]\nignore = ["PV220"]\n', "keys go at the top level of pv.toml"),
])
def test_bad_values_are_usage_errors_naming_file_and_key(repo: Path, text: str, needle: str | None) -> None:
    (repo / "pv.toml").write_text(text)
    code, out = run("validate", "--skip", "evidence")
    if needle is None:
        assert code == 1, out
    else:
        assert code == 2 and f"pv: error: pv.toml: {needle}" in out or needle in out, out
        assert code == 2 and "pv.toml" in out and "Traceback" not in out, out


def test_parity_keys_have_the_agreed_types(repo: Path) -> None:
    (repo / "pv.toml").write_text('strict_versions = true\n[vocabularies]\nverdict = ["active"]\n'
                                  '[aliases]\nrule = ["condition", "check"]\n')
    config = load_config(repo)
    assert config.vocabularies == {"verdict": ("active",)}
    assert config.aliases == {"rule": ("condition", "check")}
    assert config.strict_versions is True
    assert Config(root=repo).vocabularies == {} and Config(root=repo).strict_versions is False


def test_settings_that_change_checks_change_the_cache_index(repo: Path) -> None:
    base = load_config(repo).check_fingerprint()
    (repo / "pv.toml").write_text('[vocabularies]\nverdict = ["active"]\n')
    assert load_config(repo).check_fingerprint() != base
    (repo / "pv.toml").write_text('ignore = ["PV220"]\n[severity]\nPV300 = "warning"\n')
    assert load_config(repo).check_fingerprint() == base  # applied after the cache: no new index


def test_pv_config_prints_values_and_their_source(repo: Path) -> None:
    (repo / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (repo / "pv.toml").write_text('exclude = ["contracts/kaizen"]\n[severity]\nsummary-mismatch = "info"\n')
    code, out = run("config")
    assert code == 0
    assert 'exclude          = ["contracts/kaizen"]    # pv.toml' in out
    assert "contract_dirs    = [\"contracts\"]    # default" in out
    assert "(pyproject.toml is present but not read: pv.toml takes precedence)" in out
    code, out = run("config", "--format", "json")
    data = json.loads(out)
    assert data["file"] == "pv.toml" and data["root"] == "."
    assert data["settings"]["exclude"] == {"value": ["contracts/kaizen"], "source": "pv.toml"}
    assert data["settings"]["max_depth"]["source"] == "default"
    assert str(repo) not in out


# --- what the policy does with the findings --------------------------------------------------------

@pytest.mark.parametrize("path, pattern, expected", [
    ("contracts/kaizen/a-v1.yaml", "contracts/kaizen/**", True),
    ("contracts/kaizen/a-v1.yaml", "contracts/kaizen", True),
    ("contracts/kaizen/deep/a-v1.yaml", "contracts/*/deep/*.yaml", True),
    ("contracts/kaizenx/a-v1.yaml", "contracts/kaizen", False),
    ("contracts/a/kaizen/b-v1.yaml", "contracts/kaizen/**", False),  # a pattern with `/` is anchored
    ("contracts/a/kaizen/b-v1.yaml", "kaizen", True),  # one without is not
    ("contracts/x.draft.yaml", "*.draft.yaml", True),
    ("contracts/a-v1.yaml", "contracts/**/a-v1.yaml", True),  # `**` matches zero folders
    ("contracts/a-v1.yaml", "./contracts/a-v?.yaml", True),
    ("contracts/a-v1.yaml", "contracts/[ab]-v1.yaml", True),
    ("contracts/c-v1.yaml", "contracts/[!ab]-v1.yaml", True),
])
def test_globs(path: str, pattern: str, expected: bool) -> None:
    assert matches(path, pattern) is expected


def test_severity_override_lowers_an_error(repo: Path) -> None:
    assert validate("--no-cache")[0] == 1
    (repo / "pv.toml").write_text('[severity]\nPV220 = "warning"\n')
    code, findings = validate()
    assert code == 0 and [f["severity"] for f in findings if f["code"] == "PV220"] == ["warning"]
    assert run("validate", "--skip", "evidence", "--strict")[0] == 1


def test_per_file_ignores_only_where_the_glob_matches(repo: Path) -> None:
    (repo / "contracts" / "kaizen" / "k-v1.yaml").write_text(KERNEL)
    (repo / "pv.toml").write_text('[per-file-ignores]\n"contracts/kaizen/**" = ["PV220", "PV3"]\n')
    code, findings = validate()
    assert code == 1
    assert sorted((f["file"], f["code"]) for f in findings) == [
        ("contracts/k-v1.yaml", "PV220"), ("contracts/k-v1.yaml", "PV300")]


def test_exclude_skips_files_found_in_folders_but_not_named_ones(repo: Path) -> None:
    (repo / "contracts" / "kaizen" / "k-v1.yaml").write_text(KERNEL)
    (repo / "pv.toml").write_text('exclude = ["kaizen"]\n')
    code, out = run("validate", "--skip", "evidence", "--format", "json")
    assert json.loads(out)["files"] == ["contracts/k-v1.yaml"]
    code, out = run("validate", "--skip", "evidence", "--format", "json", "contracts/kaizen/k-v1.yaml")
    assert json.loads(out)["files"] == ["contracts/kaizen/k-v1.yaml"]


def _edit(repo: Path, old: str, new: str) -> None:
    path = repo / "contracts" / "k-v1.yaml"
    path.write_text(path.read_text().replace(old, new))


def test_inline_suppression_on_the_line_and_above(repo: Path) -> None:
    _edit(repo, "  total_obligations: 5", "  total_obligations: 5  # pv: ignore[PV220] counted by hand")
    code, findings = validate()
    assert code == 0 and codes(findings) == [("PV300", EQUATIONS)]
    _edit(repo, "  total_obligations: 5  # pv: ignore[PV220] counted by hand",
          "  # pv: ignore[summary-mismatch] counted by hand\n\n  # another comment\n  total_obligations: 5")
    code, findings = validate()
    assert code == 0 and codes(findings) == [("PV300", EQUATIONS)]


def test_unused_and_invalid_suppressions_are_warnings(repo: Path) -> None:
    _edit(repo, "  total_obligations: 5", "  total_obligations: 5  # pv: ignore[PV220, PV101, PV77] why")
    _edit(repo, "  l4_sorry_count: 0", "  l4_sorry_count: 0  # pv: ignore")
    code, findings = validate()
    assert code == 0
    by_code = {(f["code"], f["line"]): f["message"] for f in findings}
    assert by_code[("PV910", TOTAL)] == f"unused suppression: no PV101 finding on line {TOTAL}"
    assert "`PV77`" in by_code[("PV911", TOTAL)]
    assert "must name the rules" in by_code[("PV911", SORRY)]
    assert ("PV220", TOTAL) not in by_code
    assert run("validate", "--skip", "evidence", "--strict")[0] == 1
    # Checks left out with --skip cannot match: their suppressions are not called unused.
    _edit(repo, "PV101", "PV401")
    code, findings = validate("--skip", "formulas")
    assert ("PV910", TOTAL) not in {(f["code"], f["line"]) for f in findings}


def test_cached_results_follow_config_and_comment_changes(repo: Path) -> None:
    assert codes(validate()[1]) == [("PV220", TOTAL), ("PV300", EQUATIONS)]  # fills the cache
    (repo / "pv.toml").write_text('ignore = ["PV300"]\n')
    assert codes(validate()[1]) == [("PV220", TOTAL)]
    _edit(repo, "  total_obligations: 5", "  total_obligations: 5  # pv: ignore[PV220]")
    assert codes(validate()[1]) == []
    (repo / "pv.toml").write_text("")
    _edit(repo, "  # pv: ignore[PV220]", "")
    assert codes(validate()[1]) == [("PV220", TOTAL), ("PV300", EQUATIONS)]


def test_infos_are_counted_but_not_printed_unless_asked(repo: Path) -> None:
    code, out = run("validate", "--skip", "evidence")
    assert "PV300" not in out and "PV220" in out
    assert out.splitlines()[-1] == "1 error, 0 warnings, 1 info (1 file checked; infos not shown: -v shows them)"
    for flag in ("-v", "--show-infos"):
        out = run("validate", "--skip", "evidence", flag)[1]
        assert "PV300" in out and out.splitlines()[-1] == "1 error, 0 warnings, 1 info (1 file checked)"
    out = run("validate", "--skip", "evidence", "--format", "github")[1]
    assert "::notice" not in out and "::error" in out
    assert "::notice" in run("validate", "--skip", "evidence", "--format", "github", "-v")[1]
    for fmt in ("json", "sarif"):
        assert "PV300" in run("validate", "--skip", "evidence", "--format", fmt)[1]


def test_discovery_names_match_display_names(tmp_path: Path) -> None:
    # Names are computed as text below a link-free folder; they must equal the resolved display names.
    from pv.core.discovery import expand_named
    from pv.core.loader import display_name

    root = tmp_path / "repo"
    (root / "contracts" / "a" / "b").mkdir(parents=True)
    (root / "other").mkdir()
    for rel in ("contracts/x-v1.yaml", "contracts/a/b/y-v1.yml", "other/z-v1.yaml"):
        (root / rel).write_text("metadata: {}\n")
    (root / "contracts" / "link-v1.yaml").symlink_to(root / "other" / "z-v1.yaml")
    (root / "contracts" / "linked").symlink_to(root / "other", target_is_directory=True)  # not followed
    (root / "contracts" / ".git").mkdir()
    (root / "contracts" / ".git" / "skip-v1.yaml").write_text("x: 1\n")
    named, problems = expand_named([root / "contracts", root / "other"], root)
    assert not problems
    assert [name for _, name in named] == ["contracts/a/b/y-v1.yml", "other/z-v1.yaml", "contracts/x-v1.yaml"]
    assert all(name == display_name(path, root) for path, name in named)
