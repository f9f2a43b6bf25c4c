"""Defect 3: every document ruamel.yaml's YAML 1.2 parser accepts loads, with correct positions,
and a ruamel round trip of a contract gives the same findings."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from pv.core.config import Config
from pv.core.engine import CheckContext, run_checks
from pv.core.loader import Source, parse_source, read_source

REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS = REPO_ROOT.parent / "shared" / "corpus"


def _parse(text: str):
    return parse_source(Source("c-v1.yaml", Path("c-v1.yaml"), Path("."), text, []))


@pytest.mark.parametrize(("text", "path", "value", "position"), [
    ("a: {call: pkg.mod:Func}\n", ("a", "call"), "pkg.mod:Func", (1, 11)),
    ("a: [tests/test_x.py::test_y]\n", ("a", 0), "tests/test_x.py::test_y", (1, 5)),
    ("a: [src/lib.rs::tests::f]\n", ("a", 0), "src/lib.rs::tests::f", (1, 5)),
    ("b: 1\na: {url: http://x/a}\n", ("a", "url"), "http://x/a", (2, 10)),
    ("a:\n  - {k: x:y, j: [p::q]}\n", ("a", 0, "j", 0), "p::q", (2, 18)),
    ("a: é\u2028b\nc: {d: x:y}\n", ("c", "d"), "x:y", (2, 8)),
])
def test_yaml_1_2_flow_scalars_with_colons_load(text: str, path: tuple, value: str, position: tuple) -> None:
    # libyaml (YAML 1.1) refused all of these with PV001; ruamel's YAML 1.2 parser reads them.
    doc, findings = _parse(text)
    assert findings == [] and doc is not None
    assert doc.get(path) == value
    assert doc.span(path)[:2] == position


def test_the_fallback_keeps_pvs_own_refusals() -> None:
    doc, findings = _parse("a: {k: x:y}\nb: &anchor 1\n")  # libyaml fails first; the anchor still counts
    assert doc is None and [f.code for f in findings] == ["PV004"]
    doc, findings = _parse("a: {k: x:y}\na: 2\n")
    assert [f.code for f in findings] == ["PV002"] and doc.data == {"a": {"k": "x:y"}}


def test_what_neither_parser_accepts_is_still_pv001_at_the_error() -> None:
    doc, findings = _parse("a: {k: x:y}\nb: [1, 2\n")
    assert doc is None and [(f.code, f.line) for f in findings] == [("PV001", 2)]


def _round_trip(text: str) -> str | None:
    yaml = YAML()  # ruamel's default: round-trip load and dump
    try:
        data = yaml.load(text)
        out = io.StringIO()
        yaml.dump(data, out)
    except Exception:  # ruamel refuses it (e.g. duplicate keys): no round trip to compare
        return None
    return out.getvalue()


_LINE_REF = re.compile(r"\b(line|column|lines) \d+(, column \d+)?")


def _findings(path: Path, root: Path, text: str | None = None) -> list[tuple[str, str, str]]:
    source = read_source(path, root)
    if text is not None:
        source = Source(source.shown, source.path, source.root, text, [])
    ctx = CheckContext(config=Config(root=root), options={"run": False})
    doc, findings = parse_source(source)
    if doc is not None:
        findings = findings + run_checks(doc, ctx)
    return sorted((f.code, f.path, _LINE_REF.sub(r"\1 N", f.message)) for f in findings)


def _files() -> list[tuple[Path, Path]]:
    files = [(p, REPO_ROOT) for p in sorted((REPO_ROOT / "contracts").glob("*.yaml"))]
    files += [(p, REPO_ROOT) for p in sorted((REPO_ROOT / "tests" / "fixtures" / "valid").glob("*.yaml"))]
    return files


def _check_round_trip(path: Path, root: Path) -> None:
    text = path.read_text(encoding="utf-8")
    dumped = _round_trip(text)
    if dumped is None:
        return
    assert _findings(path, root, dumped) == _findings(path, root), path


@pytest.mark.parametrize("path", [p for p, _ in _files()], ids=lambda p: p.name)
def test_a_ruamel_round_trip_of_the_repos_contracts_gives_the_same_findings(path: Path) -> None:
    _check_round_trip(path, REPO_ROOT)


def test_a_ruamel_round_trip_of_the_corpus_gives_the_same_findings() -> None:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present on this machine")
    files = sorted(CORPUS.rglob("*.yaml"))
    assert files
    for path in files:
        _check_round_trip(path, CORPUS)
