"""pv bump: the version, `updated` and a changelog entry in the file's own style; nothing else."""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import re
from pathlib import Path

import pytest
from lifecycle_helpers import REPO_ROOT, run_pv

from pv.checks.consistency.check import check as consistency
from pv.checks.consistency.versions import parse_semver
from pv.core.loader import Source, parse_source
from pv.edit.bump import bump_text, next_version
from pv.edit.roundtrip import EditError

DAY = dt.date(2026, 12, 31)


def parse(text: str):
    doc, findings = parse_source(Source("c-v1.yaml", Path("c-v1.yaml"), Path("."), text, []))
    assert doc is not None, findings
    return doc


def changed(old: str, new: str) -> list[str]:
    return [line for line in difflib.unified_diff(old.splitlines(), new.splitlines(), n=0, lineterm="")
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


@pytest.mark.parametrize("current, part, expected", [
    ("1.2.3", "major", "2.0.0"), ("1.2.3", "minor", "1.3.0"), ("1.2.3", "patch", "1.2.4"),
    ("1.3.0-rc.1", "patch", "1.3.0"),
])
def test_next_version(current: str, part: str, expected: str) -> None:
    assert next_version(current, part) == expected


def test_string_entries_newest_first_get_a_new_first_entry_in_the_same_format() -> None:
    text = ('version: 1.1.0\nmetadata:\n  version: "1.1.0"   # keep me\n  updated: \'2026-01-02\'\n'
            '  changelog:\n    - "1.1.0 (2026-01-02): second"\n    - "1.0.0 (2026-01-01): first"\n')
    result = bump_text(text, part="minor", message="third", date=DAY)
    assert (result.old, result.new) == ("1.1.0", "1.2.0")
    assert sorted(changed(text, result.text)) == sorted([
        "-version: 1.1.0", '-  version: "1.1.0"   # keep me', "-  updated: '2026-01-02'",
        "+version: 1.2.0", '+  version: "1.2.0"   # keep me', "+  updated: '2026-12-31'",
        '+    - "1.2.0 (2026-12-31): third"'])


def test_a_long_entry_is_wrapped_like_the_entries_the_file_wraps() -> None:
    from ruamel.yaml import YAML

    text = ('version: 1.1.0\nmetadata:\n  version: "1.1.0"\n  changelog:\n'
            '    - "1.1.0 (2026-01-02): the second release, with a longer note that the\n'
            '       author wrapped by hand to keep lines short"\n    - "1.0.0 (2026-01-01): first"\n')
    message = " ".join(f"word{i}" for i in range(40))
    result = bump_text(text, part="minor", message=message, date=DAY)
    added = [line[1:] for line in changed(text, result.text) if line.startswith("+    ") or line.startswith("+      ")]
    assert len(added) >= 4 and all(len(line) <= 90 for line in added), added
    data = YAML(typ="safe").load(result.text)
    assert data["metadata"]["changelog"][0] == f"1.2.0 (2026-12-31): {message}"
    unwrapped = text.replace("the\n       author", "the author")
    one_line = bump_text(unwrapped, part="minor", message=message, date=DAY)
    assert sum(line.startswith("+    ") for line in changed(unwrapped, one_line.text)) == 1  # the file does not wrap


def test_mapping_entries_oldest_first_get_a_new_last_entry_with_the_same_keys() -> None:
    text = ("metadata:\n  version: 1.0.0\n  changelog:\n  - version: 0.9.0\n    date: '2026-01-01'\n"
            "    changes: [a]\n  - version: 1.0.0\n    date: '2026-01-02'\n    changes: [b]\n\n# c\nsummary: x\n")
    result = bump_text(text, part="patch", message="m", date=DAY)
    assert changed(text, result.text) == [
        "-  version: 1.0.0", "+  version: 1.0.1",
        "+  - version: 1.0.1", "+    date: '2026-12-31'", "+    changes: [m]"]
    assert result.text.endswith("changes: [m]\n\n# c\nsummary: x\n")


def test_v_prefixed_entries_keep_their_prefix() -> None:
    text = 'metadata:\n  version: "1.1.0"\n  changelog:\n    - "v1.0.0: a"\n    - "v1.1.0: b (2026-04-23)"\n'
    result = bump_text(text, to="2.0.0", message="c", date=DAY)
    assert changed(text, result.text)[-1] == '+    - "v2.0.0: c"'


def test_no_changelog_gets_one_after_the_dates() -> None:
    text = "metadata:\n  version: 1.0.0\n  created: '2026-01-01'\n\n# c\nsummary: x\n"
    result = bump_text(text, part="major", message="m", date=DAY)
    assert result.text == ("metadata:\n  version: 2.0.0\n  created: '2026-01-01'\n  changelog:\n"
                           '    - "2.0.0 (2026-12-31): m"\n\n# c\nsummary: x\n')


def test_an_entry_already_written_for_the_new_version_is_not_duplicated() -> None:
    text = 'metadata:\n  version: "1.0.0"\n  changelog:\n    - "1.1.0 (2026-02-01): done"\n    - "1.0.0: a"\n'
    result = bump_text(text, part="minor", date=DAY)
    assert not result.entry_added
    assert changed(text, result.text) == ['-  version: "1.0.0"', '+  version: "1.1.0"']


@pytest.mark.parametrize("text, reason", [
    ("metadata:\n  version: 1.0\n", "not a quoted string"),
    ("metadata:\n  version: '1.0'\n", "not a semantic version"),
    ("version: 1.0.0\nmetadata:\n  version: 1.1.0\n", "differ"),
    ("metadata:\n  author: x\n", "no `version`"),
    ("metadata:\n  version: 1.0.0\n", "-m"),
    ("metadata:\n  version: 1.0.0\n  updated: '2027-01-01'\n", "later than"),
])
def test_refusals_say_why(text: str, reason: str) -> None:
    with pytest.raises(EditError, match=re.escape(reason)):
        bump_text(text, part="minor", message=None if reason == "-m" else "m", date=DAY)


def test_to_must_be_greater() -> None:
    with pytest.raises(EditError, match="not greater"):
        bump_text("metadata:\n  version: 1.2.0\n", to="1.1.0", message="m", date=DAY)


_VERSION_LINE = re.compile(r"^[+-]\s*(version|updated|changelog):")


def _expected_error(data: dict) -> bool:
    metadata = data.get("metadata")
    if not isinstance(metadata, dict):
        return True
    versions = [v for v in (data.get("version"), metadata.get("version")) if v is not None]
    return (not versions or not all(isinstance(v, str) and parse_semver(v) for v in versions)
            or len({parse_semver(v) for v in versions}) > 1)


def test_bump_over_the_corpus_touches_only_version_lines_and_the_new_entry(corpus_dir: Path) -> None:
    files = sorted(corpus_dir.rglob("*.yaml"))
    assert len(files) > 100
    bumped = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        old = parse(text)
        try:
            result = bump_text(text, part="minor", message="pv corpus test", date=DAY)
        except EditError:
            assert _expected_error(old.data), path
            continue
        assert not _expected_error(old.data), path
        bumped += 1
        for line in changed(text, result.text):
            assert _VERSION_LINE.match(line) or (line.startswith("+") and f"{result.new}" in line
                                                 and "pv corpus test" in line), (path, line)
        new = parse(result.text)
        expected = copy.deepcopy(old.data)
        if "version" in expected:
            expected["version"] = result.new
        metadata = expected["metadata"]
        if "version" in metadata:
            metadata["version"] = result.new
        if "updated" in metadata:
            metadata["updated"] = DAY.isoformat()
        entries = new.data["metadata"]["changelog"]
        added = [e for e in entries if result.new in str(e) and "pv corpus test" in str(e)]
        assert len(added) == 1, path
        rest = [e for e in entries if e is not added[0]]
        assert rest == metadata.get("changelog", []), path
        metadata["changelog"] = entries
        assert new.data == expected, path
        before = {(f.code, f.path) for f in consistency(old) if f.code.startswith("PV21")}
        after = {(f.code, f.path) for f in consistency(new) if f.code.startswith("PV21")}
        # Entries shift by one when prepended: compare codes for PV213/PV211, which must not appear anew.
        assert not {c for c, _ in after} - {c for c, _ in before}, (path, after - before)
        assert not any(c in ("PV211", "PV213") and not p.startswith("metadata.changelog[") for c, p in after), path
    assert bumped > 100


def test_cli_bumps_in_place_and_previews_with_diff(tmp_path: Path) -> None:
    contract = tmp_path / "contracts" / "c-v1.yaml"
    contract.parent.mkdir()
    original = (REPO_ROOT / "contracts" / "training-loop-pretrain-v1.yaml").read_text(encoding="utf-8")
    contract.write_text(original, encoding="utf-8")
    preview = run_pv("bump", "minor", "-m", "tighter cap", "--date", "2026-12-31", "--diff", "--root",
                     str(tmp_path), str(contract))
    assert preview.returncode == 0, preview.stderr
    major, minor, _ = re.search(r'^  version: "([^"]+)"', original, re.M).group(1).split(".")
    current, following = f"{major}.{minor}.0", f"{major}.{int(minor) + 1}.0"  # the repo contract's version today
    assert f'+    - "{following} (2026-12-31): tighter cap"' in preview.stdout
    assert contract.read_text(encoding="utf-8") == original
    done = run_pv("bump", "minor", "-m", "tighter cap", "--date", "2026-12-31", "--root", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert f"{current} -> {following}" in done.stdout
    assert f'version: "{following}"' in contract.read_text(encoding="utf-8")
    validate = run_pv("validate", "--root", str(tmp_path), "--select", "PV2", "--no-cache", str(contract))
    assert validate.returncode == 0, validate.stdout


@pytest.mark.parametrize("content, code", [
    (b"\xff\xfe binary", "PV006"),
    (b"a: 1\n<<<<<<< HEAD\nb: 2\n=======\nb: 3\n>>>>>>> other\n", "PV001"),
])
def test_cli_refuses_files_it_cannot_load_without_a_traceback(tmp_path: Path, content: bytes, code: str) -> None:
    bad = tmp_path / "bad-v1.yaml"
    bad.write_bytes(content)
    result = run_pv("bump", "patch", "-m", "x", "--root", str(tmp_path), str(bad))
    assert result.returncode == 1
    assert code in result.stderr and "Traceback" not in result.stderr
    assert bad.read_bytes() == content


def test_cli_usage_errors_exit_2(tmp_path: Path) -> None:
    contract = tmp_path / "c-v1.yaml"
    contract.write_text("metadata:\n  version: 1.0.0\n", encoding="utf-8")
    assert run_pv("bump", "-m", "x", "--root", str(tmp_path), str(contract)).returncode == 2
    assert run_pv("bump", "minor", "--root", str(tmp_path), str(contract)).returncode == 2  # no -m
    assert run_pv("bump", "minor", "-m", "x", "--date", "2026-13-01", str(contract)).returncode == 2
