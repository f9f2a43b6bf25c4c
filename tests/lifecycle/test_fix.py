"""pv validate --fix / --diff: exact fixes only, each removes its finding, none adds one, idempotent."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from lifecycle_helpers import REPO_ROOT, run_pv

from pv.core.config import load_config
from pv.core.engine import CheckContext, validate_files
from pv.core.fixes import insert_list_item, quote_version, rename_key, replace_string, semver_text
from pv.core.loader import Source, parse_source
from pv.edit.fix import fix_files
from pv.edit.textedits import apply_edits


def _doc(text: str):
    doc, findings = parse_source(Source("c-v1.yaml", Path("c-v1.yaml"), Path("."), text, []))
    assert doc is not None, findings
    return doc


def _applied(text: str, fix) -> str:
    assert fix is not None
    return apply_edits(text, fix.edits)


def test_rename_key_keeps_the_value_and_refuses_a_collision() -> None:
    text = "gates:\n  - id: G\n    evidence_discharge_by: [a]   # note\n"
    doc = _doc(text)
    assert _applied(text, rename_key(doc, ("gates", 0, "evidence_discharge_by"), "evidence_discharged_by")) == \
        "gates:\n  - id: G\n    evidence_discharged_by: [a]   # note\n"
    assert rename_key(_doc("a: 1\nb: 2\n"), ("a",), "b") is None


@pytest.mark.parametrize("source, expected", [("1", "1.0.0"), ("1.2", "1.2.0"), ("1.10", "1.10.0"),
                                              ("'2.0'", "2.0.0"), ("1.2.3.4", None), ("v1", None)])
def test_semver_text_reads_the_source_not_the_float(source: str, expected: str | None) -> None:
    assert semver_text(source) == expected


def test_quote_version_uses_the_written_digits() -> None:
    text = "metadata:\n  version: 1.10\n"
    assert _applied(text, quote_version(_doc(text), ("metadata", "version"))) == 'metadata:\n  version: "1.10.0"\n'
    assert quote_version(_doc("other: 1.0\n"), ("other",)) is None


def test_replace_string_keeps_the_quote_style() -> None:
    text = "e:\n  - 'a.rs::x'\n  - a.rs::y\n"
    doc = _doc(text)
    assert _applied(text, replace_string(doc, ("e", 0), "a.rs::m::x", "t")) == "e:\n  - 'a.rs::m::x'\n  - a.rs::y\n"
    assert _applied(text, replace_string(doc, ("e", 1), "a.rs::m::y", "t")) == "e:\n  - 'a.rs::x'\n  - a.rs::m::y\n"


def test_insert_list_item_first_or_last_with_the_items_indentation() -> None:
    text = 'c:\n    - "1.0.0: a"\n    - "0.9.0: b"\nz: 1\n'
    doc = _doc(text)
    assert _applied(text, insert_list_item(doc, ("c",), 0, "1.1.0: s", "t")) == \
        'c:\n    - "1.1.0: s"\n    - "1.0.0: a"\n    - "0.9.0: b"\nz: 1\n'
    assert _applied(text, insert_list_item(doc, ("c",), 2, "1.1.0: s", "t")) == \
        'c:\n    - "1.0.0: a"\n    - "0.9.0: b"\n    - "1.1.0: s"\nz: 1\n'
    assert insert_list_item(_doc("c: [a, b]\n"), ("c",), 0, "x", "t") is None  # a flow list: no exact edit


def _findings(root: Path, files: list[Path]):
    config = load_config(root)
    ctx = CheckContext(config=config, options={}, skip=frozenset(), cache=None)
    results = validate_files(files, ctx)
    return ctx, [f for r in results for f in r.findings]


def _check_fix_round(root: Path, files: list[Path]) -> int:
    """Apply every fix; assert each removed its finding, none added one, and a second round changes nothing."""
    ctx, before = _findings(root, files)
    outcomes = fix_files(files, before, ctx, root)
    for item in outcomes:
        if item.applied:
            item.path.write_text(item.after, encoding="utf-8")
    _, after = _findings(root, files)
    applied = [f for item in outcomes for f in item.applied]
    count_before, count_after, fixed = Counter(f.code for f in before), Counter(f.code for f in after), \
        Counter(f.code for f in applied)
    for code in count_before | count_after:
        assert count_after[code] <= count_before[code] - fixed[code], (code, count_before[code], count_after[code])
    after_keys = {(f.file, f.code, f.message) for f in after}
    for finding in applied:
        assert (finding.file, finding.code, finding.message) not in after_keys, finding
    again_ctx, again = _findings(root, files)
    assert not any(item.applied for item in fix_files(files, again, again_ctx, root))
    return len(applied)


def test_fix_on_copies_of_the_invalid_fixtures(tmp_path: Path) -> None:
    shutil.copytree(REPO_ROOT / "tests" / "fixtures" / "invalid", tmp_path / "invalid")
    files = sorted((tmp_path / "invalid").glob("*.yaml"))
    originals = {p: p.read_bytes() for p in files}
    assert _check_fix_round(tmp_path, files) >= 2
    changed = {p.name for p in files if p.read_bytes() != originals[p]}
    assert {"changelog-current-v1.yaml", "changelog-entry-typo-v1.yaml"} <= changed
    stub = "no entry was written for this version"
    assert stub in (tmp_path / "invalid" / "changelog-current-v1.yaml").read_text(encoding="utf-8")
    # version and metadata.version disagree: no changelog stub guesses which one is right
    assert stub not in (tmp_path / "invalid" / "version-mismatch-v1.yaml").read_text(encoding="utf-8")


def test_fix_on_copies_of_the_corpus(corpus_dir: Path, tmp_path: Path) -> None:
    total = 0
    for project in ("aprender", "provable-contracts"):
        root = tmp_path / project
        shutil.copytree(corpus_dir / project, root)
        total += _check_fix_round(root, sorted((root / "contracts").rglob("*.yaml")))
    assert total >= 10  # PV409 full Rust paths and short versions in aprender


def test_fix_on_a_damaged_copy_of_this_repository_contract(tmp_path: Path) -> None:
    """Misspelled key, short version and missing changelog entry: all fixed, comments kept."""
    (tmp_path / "contracts").mkdir()
    for name in ("pyproject.toml",):
        shutil.copy(REPO_ROOT / name, tmp_path / name)
    shutil.copytree(REPO_ROOT / "tests", tmp_path / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO_ROOT / "pv", tmp_path / "pv", ignore=shutil.ignore_patterns("__pycache__"))
    original = (REPO_ROOT / "contracts" / "training-loop-pretrain-v1.yaml").read_text(encoding="utf-8")
    damaged = original.replace("    evidence_discharged_by:", "    evidence_discharge_by:", 1)
    # The current version's changelog entry goes (whatever the repo contract's version is today).
    version = re.search(r'^  version: "([^"]+)"', original, re.M).group(1)
    updated = re.search(r'^  updated: "([^"]+)"', original, re.M).group(1)
    start = damaged.index(f'    - "{version} (')
    end = damaged.index('    - "', start + 1)
    damaged = damaged[:start] + damaged[end:]
    contract = tmp_path / "contracts" / "training-loop-pretrain-v1.yaml"
    contract.write_text(damaged, encoding="utf-8")
    preview = run_pv("validate", "--diff", "--root", str(tmp_path), "--skip", "formulas", str(contract))
    assert preview.returncode == 1
    assert "+    evidence_discharged_by:" in preview.stdout
    stub = f'+    - "{version} ({updated}): no entry was written for this version; describe the change"'
    assert stub in preview.stdout
    assert contract.read_text(encoding="utf-8") == damaged
    fixed = run_pv("validate", "--fix", "--root", str(tmp_path), "--skip", "formulas", str(contract))
    assert "fixed 2 finding(s) in 1 file(s)" in fixed.stderr, fixed.stderr
    assert fixed.returncode == 0, fixed.stdout
    text = contract.read_text(encoding="utf-8")
    assert text.count("evidence_discharged_by:") == original.count("evidence_discharged_by:")
    assert text.startswith("# yaml-language-server: $schema=../schemas/contract.schema.json\n")
    again = run_pv("validate", "--diff", "--root", str(tmp_path), "--skip", "formulas", str(contract))
    assert again.returncode == 0 and again.stdout == ""
