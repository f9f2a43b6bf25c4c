"""Hostile and malformed input: each is one clean finding, fast, with bounded memory."""

from __future__ import annotations

import resource
import time
from pathlib import Path

from pv.core.loader import LoadLimits, load, resolve_plain

FIXTURES = Path(__file__).parent / "fixtures" / "invalid"


def codes(findings) -> list[tuple[str, int, int]]:
    return [(f.code, f.line, f.col) for f in findings]


def test_billion_laughs_is_refused_fast_with_bounded_memory() -> None:
    path = FIXTURES / "billion-laughs-v1.yaml"
    assert path.stat().st_size < 400
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    doc, findings = load(path, FIXTURES)
    elapsed = time.perf_counter() - start
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert doc is None
    assert codes(findings) == [("PV004", 1, 4)]
    assert elapsed < 0.5  # a sanity bound, not a benchmark: expansion would take minutes
    assert grown_kib < 50_000


def test_alias_without_anchor_use_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("a: 1\nb: *nothing\n")
    doc, findings = load(path, tmp_path)
    assert doc is None and findings[0].code in ("PV004", "PV001")


def test_non_utf8_bytes_are_located(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"contract_id: C-X\nsummary: caf" + b"\xe9 au lait\n")
    doc, findings = load(path, tmp_path)
    assert doc is None
    assert codes(findings) == [("PV006", 2, 13)]
    assert "0xe9" in findings[0].message


def test_file_over_the_size_cap_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("a: " + "x" * 5000 + "\n")
    doc, findings = load(path, tmp_path, LoadLimits(max_bytes=1000))
    assert doc is None and codes(findings) == [("PV008", 1, 1)]


def test_more_nodes_than_the_cap_is_refused_at_the_first_node_over(tmp_path: Path) -> None:
    """1.8 MB of `[],` within the byte cap: 600,000 nodes took 2.6 s and 229 MB just to load."""
    path = tmp_path / "many-v1.yaml"
    path.write_text("a: [" + "[]," * 300_000 + "[]]\n")
    doc, findings = load(path, tmp_path)
    # node 1 is the root mapping, node 2 the outer list; node 200,001 is the 199,999th inner `[]`
    assert doc is None and codes(findings) == [("PV011", 1, 5 + 3 * 199_998)]
    doc, findings = load(path, tmp_path, LoadLimits(max_nodes=400_000))
    assert doc is not None and findings == []


def test_nesting_deeper_than_the_cap_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("a: " + "[" * 100_000 + "]" * 100_000 + "\n")
    start = time.perf_counter()
    doc, findings = load(path, tmp_path)
    assert time.perf_counter() - start < 2
    assert doc is None and findings[0].code == "PV009"
    assert (findings[0].line, findings[0].col) == (1, 4 + 63)  # the root mapping is level 1


def test_block_nesting_is_capped_too(tmp_path: Path) -> None:
    path = tmp_path / "deep-block.yaml"
    path.write_text("".join("  " * i + f"k{i}:\n" for i in range(80)) + "  " * 80 + "v\n")
    doc, findings = load(path, tmp_path, LoadLimits(max_depth=10))
    assert doc is None and findings[0].code == "PV009" and findings[0].line == 11


def test_empty_file_is_not_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("# only a comment\n")
    doc, findings = load(path, tmp_path)
    assert doc is None and codes(findings) == [("PV007", 1, 1)]


def test_scalar_document_is_not_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "scalar.yaml"
    path.write_text("hello\n")
    assert codes(load(path, tmp_path)[1]) == [("PV007", 1, 1)]


def test_missing_file_is_reported_not_raised(tmp_path: Path) -> None:
    doc, findings = load(tmp_path / "nope.yaml", tmp_path)
    assert doc is None and findings[0].code == "PV010"


def test_non_scalar_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("? [a, b]\n: 1\n")
    doc, findings = load(path, tmp_path)
    assert doc is None and findings[0].code == "PV001"


def test_every_explicit_tag_is_refused(tmp_path: Path) -> None:
    for text in ('a: !!str "x"\n', "a: !custom x\n", "a: !!map {b: 1}\n", "a: !!binary aGk=\n"):
        path = tmp_path / "t.yaml"
        path.write_text(text)
        doc, findings = load(path, tmp_path)
        assert doc is None and findings[0].code == "PV003", text


def test_yaml_1_2_scalars() -> None:
    assert resolve_plain("1e-5") == 1e-5
    assert resolve_plain("5.0e-5") == 5e-5
    assert resolve_plain("038") == 38
    assert resolve_plain("0x1F") == 31
    assert resolve_plain("yes") == "yes"  # YAML 1.1 booleans are strings in 1.2
    assert resolve_plain("2026-03-04") == "2026-03-04"  # dates stay strings
    assert resolve_plain("~") is None and resolve_plain("True") is True
    assert resolve_plain("9" * 10_000) == "9" * 10_000  # beyond int conversion: kept as text


def test_positions_of_keys_and_values(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text('metadata:\n  version: "1.0.0"\nlist:\n  - a\n  - {k: v}\n')
    doc, findings = load(path, tmp_path)
    assert findings == [] and doc is not None
    assert doc.span(("metadata", "version"))[:2] == (2, 12)
    assert doc.span(("metadata", "version"), key=True)[:2] == (2, 3)
    assert doc.span(("list", 1, "k"))[:2] == (5, 9)


def test_position_inside_scalars(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text('a: "x + y"\nb: plain text here\nc: |\n  first line\n  second INV-X-1\n')
    doc, _ = load(path, tmp_path)
    assert doc.position_in_scalar(("a",), 4) == (1, 9)
    assert doc.position_in_scalar(("b",), 6) == (2, 10)
    assert doc.position_in_scalar(("c",), len("first line\nsecond ")) == (5, 10)


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbfa: 1\n")
    doc, findings = load(path, tmp_path)
    assert findings == [] and doc.data == {"a": 1}


def test_symlink_leaving_the_root_is_not_read(tmp_path: Path) -> None:
    root, outside = tmp_path / "repo", tmp_path / "secret.yaml"
    (root / "contracts").mkdir(parents=True)
    outside.write_text("token: s3cr3t\n", encoding="utf-8")
    (root / "contracts" / "x.yaml").symlink_to(outside)
    (root / "contracts" / "inside.yaml").symlink_to(root / "real.yaml")
    (root / "real.yaml").write_text("metadata: {}\n", encoding="utf-8")
    doc, findings = load(root / "contracts" / "x.yaml", root)
    assert doc is None and [f.code for f in findings] == ["PV010"]
    assert "outside the repository root" in findings[0].message
    doc, findings = load(root / "contracts" / "inside.yaml", root)  # a link inside the root is fine
    assert doc is not None and findings == []
    doc, findings = load(outside, root)  # named outside the root on the command line: the user's choice
    assert doc is not None


def test_symlink_leaving_the_root_prints_nothing_of_the_target(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pv.cli import cli

    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    (tmp_path / "contracts").mkdir()
    secret = tmp_path.parent / f"{tmp_path.name}-secret.txt"
    secret.write_text("API_TOKEN=s3cr3t\n", encoding="utf-8")
    (tmp_path / "contracts" / "env.yaml").symlink_to(secret)
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "contracts"), "--root", str(tmp_path), "--no-cache"])
    assert result.exit_code == 1 and "PV010" in result.output
    assert "s3cr3t" not in result.output



def test_unicode_line_separators_do_not_shift_line_numbers(tmp_path: Path) -> None:
    # libyaml (YAML 1.1) ends a line at NEL/LS/PS; editors and GitHub do not, and annotations must match them.
    path = tmp_path / "c.yaml"
    for sep in ("\u2028", "\x85", "\u2029"):
        path.write_text(f'metadata:\r\n  description: "a{sep}b"\r\n  version: 1\r\nlist: [x, y]\n', encoding="utf-8")
        doc, findings = load(path, tmp_path)
        assert findings == [] and doc is not None
        assert doc.span(("metadata", "version"))[:2] == (3, 12)
        assert doc.span(("list", 1))[:2] == (4, 11)
    path.write_text("# c\u2028omment\nmetadata:\n  k: 1\n", encoding="utf-8")  # a libyaml parse error
    doc, findings = load(path, tmp_path)
    assert doc is None and codes(findings) == [("PV001", 2, 9)]
