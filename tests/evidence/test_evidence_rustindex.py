"""The Rust item scanner: comments and strings hide nothing, nesting and attributes are understood."""

from __future__ import annotations

import textwrap

import pytest

from pv.checks.evidence.rustindex import index_source, tokenize

SOURCE = r'''
//! crate docs mentioning fn fake_in_doc() {}
/* block comment /* nested */ fn fake_in_block() {} */
pub const LIMIT: f32 = 10.0;
pub static mut COUNTER: u32 = 0;
const _: () = assert!(LIMIT > 0.0);
pub const fn verdict(x: usize) -> Verdict { if x > 1 { Verdict::Fail } else { Verdict::Pass } }
fn uses_strings() -> &'static str {
    let a = "fn fake_in_string() {}";
    let b = r#"fn fake_in_raw() { "quoted" }"#;
    let c = br##"mod fake_mod { fn x() {} }"##;
    let d = '{';
    let e = b'}';
    fn nested_in_body() {}
    a
}
pub struct Loop<'a, T> { inner: &'a T }
impl<'a, T: Clone + 'a> Loop<'a, T> {
    pub fn new(inner: &'a T) -> Self { Self { inner } }
    const STEP: usize = 1;
}
impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "{}", 1) }
}
pub trait StepFn {
    fn step(&mut self) -> (f32, f32);
    fn sha(&self) -> Option<String> { None }
}
macro_rules! make { () => { fn fake_in_macro_rules() {} } }
#[cfg(test)]
mod tests {
    use super::*;
    fn helper() -> u32 { 1 }
    #[test]
    fn aborts_on_doubling() { assert!(true); }
    #[test]
    #[ignore = "slow"]
    fn slow_one() {}
    #[tokio::test]
    async fn async_one() {}
    #[rstest]
    #[case(1)]
    fn cased(#[case] x: u32) { assert_eq!(x, 1); }
    mod inner {
        #[test]
        fn deep() {}
    }
    proptest! {
        #[test]
        fn prop_roundtrip(x in 0u32..10) { prop_assert!(x < 10); }
    }
}
#[cfg(not(test))]
fn only_in_release() {}
'''


@pytest.fixture(scope="module")
def items():
    return index_source(SOURCE).items


@pytest.mark.parametrize("path,kind", [
    (("LIMIT",), "const"),
    (("COUNTER",), "static"),
    (("verdict",), "fn"),
    (("uses_strings",), "fn"),
    (("Loop",), "struct"),
    (("Loop", "new"), "fn"),
    (("Loop", "STEP"), "const"),
    (("Verdict", "fmt"), "fn"),
    (("StepFn",), "trait"),
    (("StepFn", "step"), "fn"),
    (("StepFn", "sha"), "fn"),
    (("make",), "macro"),
    (("tests",), "mod"),
    (("tests", "helper"), "fn"),
    (("tests", "aborts_on_doubling"), "fn"),
    (("tests", "inner", "deep"), "fn"),
    (("tests", "prop_roundtrip"), "fn"),
    (("only_in_release",), "fn"),
])
def test_items_are_found(items, path, kind):
    assert items[path].kind == kind


@pytest.mark.parametrize("name", ["fake_in_doc", "fake_in_block", "fake_in_string", "fake_in_raw", "fake_mod",
                                  "fake_in_macro_rules", "nested_in_body", "_", "x"])
def test_comments_strings_and_bodies_hide_items(items, name):
    assert not [p for p in items if p[-1] == name]


def test_test_attributes(items):
    assert items[("tests", "aborts_on_doubling")].is_test
    assert items[("tests", "async_one")].is_test
    assert items[("tests", "cased")].is_test
    assert items[("tests", "inner", "deep")].is_test
    assert items[("tests", "prop_roundtrip")].is_test
    assert not items[("tests", "helper")].is_test
    assert items[("tests", "slow_one")].ignored and not items[("tests", "aborts_on_doubling")].ignored


def test_cfg_test_scope(items):
    assert items[("tests",)].cfg_test
    assert items[("tests", "helper")].cfg_test
    assert items[("tests", "inner", "deep")].cfg_test
    assert not items[("only_in_release",)].cfg_test
    assert not items[("LIMIT",)].cfg_test


def test_line_numbers(items):
    lines = SOURCE.splitlines()
    line = items[("tests", "aborts_on_doubling")].line
    assert "fn aborts_on_doubling" in lines[line - 1]


def test_by_suffix():
    rust = index_source("#[cfg(test)]\nmod ship_tests {\n    #[test]\n    fn falsify_x() {}\n}\n")
    assert [i.path for i in rust.by_suffix(("falsify_x",))] == [("ship_tests", "falsify_x")]


@pytest.mark.parametrize("source", [
    "fn open() {",  # unbalanced
    "}}}} fn after() {}",  # stray closers
    "let s = \"unterminated",
    "/* never closed",
    "r#\"raw never closed",
    "#[",
    "impl",
    "\u00e9\u00e9 fn \u00e9t\u00e9() {}",
    "mod",
    "{" * 5000 + "}" * 5000,
])
def test_malformed_input_never_crashes(source):
    result = index_source(source)
    assert result.error is None or isinstance(result.error, str)


def test_lifetimes_are_not_chars():
    kinds = [k for k, _, _ in tokenize("fn f<'a>(x: &'a str) -> &'a str { x }")]
    assert "literal" not in kinds


def test_char_literals_hide_braces():
    rust = index_source(textwrap.dedent("""
        fn a() { let c = '{'; let d = '\\''; }
        fn b() {}
    """))
    assert ("b",) in rust.items


@pytest.mark.parametrize("source", [
    'r##"' * 10_000,    # each unterminated raw string used to rescan the rest of the file
    '"\\' * 20_000,     # unterminated strings ending in a lone backslash, likewise
    'b"\\' * 20_000,
])
def test_unterminated_literals_scan_in_linear_time(source):
    import time

    start = time.perf_counter()
    index_source(source)
    assert time.perf_counter() - start < 1.0  # was 4-20 s for these 40-60 KB files


def test_unterminated_literal_runs_to_the_end_of_the_file():
    rust = index_source('fn before() {}\nconst S: &str = r#"never closed\nfn inside() {}\n')
    assert ("before",) in rust.items and ("inside",) not in rust.items
    rust = index_source('fn before() {}\nconst S: &str = "never closed\nfn inside() {}\n')
    assert ("before",) in rust.items and ("inside",) not in rust.items


def test_module_nesting_is_capped_not_quadratic_in_memory():
    # 100k nested `mod m {` (700 KB) kept a 100k-long path per item: gigabytes.
    rust = index_source("mod m {" * 100_000)
    assert rust.error is not None and "deeper than" in rust.error
    shallow = index_source("mod m { " * 200 + "#[test] fn t() {}" + "}" * 200)
    assert shallow.error is None and ("m",) * 200 + ("t",) in shallow.items
