"""pv/edit: round-trip edits change only the edited lines."""

from __future__ import annotations

import difflib

import pytest

from pv.core.findings import TextEdit
from pv.edit.merge import merge_edit
from pv.edit.roundtrip import EditError, edit_text, guess_indent
from pv.edit.textedits import OverlapError, apply_edits

SAMPLE = """\
# a leading comment
contract_id: C-X   # trailing comment
version: 1.0.0
metadata:
  version: '1.0.0'
  description: >
    folded text that ruamel would
    write back on one line
  tags: [a,   b]   # odd spacing in a flow list
  changelog:
  - "1.0.0 (2026-01-01): first"

# comment before summary
summary: "x"
"""


def changed_lines(old: str, new: str) -> list[str]:
    return [line for line in difflib.unified_diff(old.splitlines(), new.splitlines(), n=0, lineterm="")
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_noop_edit_returns_the_text_unchanged() -> None:
    assert edit_text(SAMPLE, lambda data: None) == SAMPLE


def test_an_edit_touches_only_its_line_even_where_ruamel_reflows_others() -> None:
    def mutate(data):
        data["metadata"]["version"] = type(data["metadata"]["version"])("1.1.0")

    new = edit_text(SAMPLE, mutate)
    assert changed_lines(SAMPLE, new) == ["-  version: '1.0.0'", "+  version: '1.1.0'"]


def test_appending_to_a_list_keeps_the_following_comment_in_place() -> None:
    def mutate(data):
        data["metadata"]["changelog"].append("1.1.0 (2026-02-01): second")

    new = edit_text(SAMPLE, mutate)
    assert changed_lines(SAMPLE, new) == ["+  - '1.1.0 (2026-02-01): second'"]
    assert "# comment before summary" in new and "[a,   b]" in new


def test_crlf_and_missing_final_newline_survive() -> None:
    text = SAMPLE.replace("\n", "\r\n").rstrip("\r\n")

    def mutate(data):
        data["version"] = "1.2.0"

    new = edit_text(text, mutate)
    assert new == text.replace("version: 1.0.0", "version: 1.2.0")


def test_merge_falls_back_to_ruamel_lines_only_inside_a_reflowed_region() -> None:
    original = "a: 1\nb: >\n  x\n  y\nc: 3\n"
    baseline = "a: 1\nb: >\n  x y\nc: 3\n"
    edited = "a: 1\nb: >\n  x z\nc: 3\n"
    assert merge_edit(original, baseline, edited) == edited
    assert merge_edit(original, baseline, "a: 2\nb: >\n  x y\nc: 3\n") == "a: 2\nb: >\n  x\n  y\nc: 3\n"


@pytest.mark.parametrize("text, expected", [
    ("a:\n  b: 1\n  c:\n  - x\n", (2, 2, 0)),
    ("a:\n    b: 1\n    c:\n      - x\n", (4, 4, 2)),
    ("a:\n  c:\n    - x\n", (2, 4, 2)),
])
def test_guess_indent(text: str, expected: tuple[int, int, int]) -> None:
    assert guess_indent(text) == expected


def test_unparsable_text_is_an_edit_error() -> None:
    with pytest.raises(EditError):
        edit_text("a: [1,\n", lambda data: None)


def test_apply_edits_replaces_exact_ranges_and_refuses_overlaps() -> None:
    text = "ab\ncd\r\nef"
    assert apply_edits(text, [TextEdit(1, 2, 1, 3, "X"), TextEdit(3, 1, 3, 1, ">")]) == "aX\ncd\r\n>ef"
    assert apply_edits(text, [TextEdit(2, 1, 2, 3, "")]) == "ab\n\r\nef"
    with pytest.raises(OverlapError):
        apply_edits(text, [TextEdit(1, 1, 1, 3, "x"), TextEdit(1, 2, 1, 3, "y")])
