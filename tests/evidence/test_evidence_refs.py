"""Parsing and classification of the reference forms contract authors write."""

from __future__ import annotations

import pytest

from pv.checks.evidence.refs import FILE, PYTHON, RUST, UNRESOLVABLE, UNSAFE, parse, parse_entry


@pytest.mark.parametrize("raw,form,file,symbol,param", [
    ("tests/test_x.py::test_name", PYTHON, "tests/test_x.py", ("test_name",), None),
    ("tests/test_x.py::TestClass::test_method", PYTHON, "tests/test_x.py", ("TestClass", "test_method"), None),
    ("tests/test_x.py::test_cap[finetune-10.0]", PYTHON, "tests/test_x.py", ("test_cap",), "finetune-10.0"),
    ("tests/test_x.py::test_p[a b::c]", PYTHON, "tests/test_x.py", ("test_p",), "a b::c"),
    ("tests/test_x.py", PYTHON, "tests/test_x.py", (), None),
    ("crates/a/src/b.rs::tests::fn_name", RUST, "crates/a/src/b.rs", ("tests", "fn_name"), None),
    ("crates/a/src/b.rs::fn_name", RUST, "crates/a/src/b.rs", ("fn_name",), None),
    ("crates/a/src/b.rs::Type::method", RUST, "crates/a/src/b.rs", ("Type", "method"), None),
    ("crates/a/src/b.rs::CONST_NAME", RUST, "crates/a/src/b.rs", ("CONST_NAME",), None),
    ("crates/a/src/b.rs::r#type", RUST, "crates/a/src/b.rs", ("r#type",), None),
    ("scripts/run.sh", FILE, "scripts/run.sh", (), None),
    ("contracts/other-v1.yaml", FILE, "contracts/other-v1.yaml", (), None),
    ("`tests/test_x.py::test_a`", PYTHON, "tests/test_x.py", ("test_a",), None),
])
def test_reference_forms(raw, form, file, symbol, param):
    ref = parse(raw)
    assert (ref.form, ref.file, ref.symbol, ref.param) == (form, file, symbol, param)


@pytest.mark.parametrize("raw,note", [
    ("crates/a/src/b.rs::fn_name (const fn)", "const fn"),
    ("crates/a/src/b.rs::CONST (= 8)", "= 8"),
    ("crates/a/src/b.rs::tests (24 tests, include CPU branch + grammar)", "24 tests, include CPU branch + grammar"),
    ("evidence/run.json (live RTX 4090 apr inspect evidence)", "live RTX 4090 apr inspect evidence"),
    ("crates/a/src/b.rs (const _: () = Config::validate();)", "const _: () = Config::validate();"),
])
def test_trailing_parenthetical_note_is_tolerated(raw, note):
    ref = parse(raw)
    assert ref.form in (RUST, FILE)
    assert ref.note == note
    assert ref.extra == ()


def test_parenthetical_item_list_is_resolved_as_items():
    ref = parse("crates/a/src/ship.rs\n(verdict_from_x + AC_MIN\n+ AC_MAX)")
    assert ref.form == RUST and ref.symbol == ()
    assert ref.extra == (("verdict_from_x",), ("AC_MIN",), ("AC_MAX",))


@pytest.mark.parametrize("raw,reason", [
    ("LIVE-PENDING: a run on the GPU box", "pending"),
    ("cargo test -p aprender-train --lib llama_370m", "shell command"),
    ("Live `apr inspect x --json` exit 0", "prose"),
    ("test: falsify_ship_005_logic (8 sections)", "without the file"),
    ("falsify_ship_005_logic", "without the file"),
    ("https://example.org/run/1", "URL"),
    ("tests/test_x.py::test_a and tests/test_y.py::test_b", "parenthetical"),
    ("contracts/other-v1.yaml::GATE-1", "only in .py and .rs"),
    ("crates/a/b.rs::tests::[x]", "pytest node id"),
    ("crates/a/b.rs::tests::9lives", "identifier"),
    ("tests/test_x.py::test_a[unclosed", "unbalanced"),
    ("crates/a/b.rs::fn_a[3]", "pytest node id"),
    ("", "empty"),
])
def test_unresolvable_forms_say_why(raw, reason):
    ref = parse(raw)
    assert ref.form == UNRESOLVABLE
    assert reason in (ref.reason or "")
    assert ref.hint


def test_bare_test_name_is_remembered_for_hints():
    assert parse("test: falsify_x_logic (7 sections)").bare_name == "falsify_x_logic"


@pytest.mark.parametrize("raw,reason", [
    ("/etc/passwd", "absolute"),
    ("~/secrets.py::test_a", "absolute"),
    ("C:\\Users\\x\\test.py::test_a", "absolute"),
    ("../other/test_x.py::test_a", "climbs above"),
    ("tests/../../x.py", "climbs above"),
])
def test_unsafe_paths_are_refused(raw, reason):
    ref = parse(raw)
    assert ref.form == UNSAFE
    assert reason in (ref.reason or "")


def test_dotdot_inside_the_root_is_allowed():
    ref = parse("tests/sub/../test_x.py::test_a")
    assert ref.form == PYTHON


def test_harness_mapping():
    ref = parse_entry({"name": "falsify_seed", "kind": "rust-test", "path": "crates/a/src/tests.rs"}, harness=True)
    assert (ref.form, ref.file, ref.symbol, ref.loose, ref.kind) == (RUST, "crates/a/src/tests.rs",
                                                                     ("falsify_seed",), True, "rust-test")
    assert ref.name_key == ("name",) and ref.path_key == ("path",)


def test_evidence_mapping_with_path():
    ref = parse_entry({"path": "evidence/trace.csv", "type": "csv", "note": "smoke run"})
    assert (ref.form, ref.file) == (FILE, "evidence/trace.csv")


@pytest.mark.parametrize("value", [None, 3, 1.5, True, ["nested"], {"type": "csv"}])
def test_non_reference_values(value):
    ref = parse_entry(value)
    assert ref.form == UNRESOLVABLE
    assert ref.reason
