"""The text report: headline, code frame with caret, hint, summary, colour, hostile text."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from report_samples import ROOT, empty_report, finding, sample_report

from pv.core.findings import Severity
from pv.core.loader import load
from pv.core.report import Report
from pv.reports import render, want_color

ANSI = re.compile("\x1b\\[[0-9;]*m")

EXPECTED = """\
contracts/demo-v1.yaml:1:1: info PV100 family not recognised (hint: set metadata.kind)

contracts/demo-v1.yaml:3:1: error PV101 unknown key `gatse`
   2 | version: '1.0.0'
 > 3 | gatse:
     | ^^^^^
   4 |   - id: GATE-1
  hint: did you mean `gates`?

contracts/demo-v1.yaml:5:14: warning PV203 `PASSS` is not a known verdict
   4 |   - id: GATE-1
 > 5 |     verdict: PASSS
     |              ^^^^^
  hint: did you mean `PASS`?

contracts/gone-v1.yaml: error PV010 cannot read contracts/gone-v1.yaml: No such file

2 errors, 1 warning, 1 info (2 files checked)
"""


def one(source: str, line: int, col: int, end_col: int | None = None, *, end_line: int | None = None,
        message: str = "bad value") -> str:
    """Render a single error on `source` and return the frame lines (headline excluded)."""
    f = finding(line, col, "PV105", Severity.ERROR, message, end_line=end_line or line, end_col=end_col)
    report = Report(root=ROOT, files=[f.file], findings=[f], sources={f.file: source})
    return render("text", report)


def caret_column(output: str) -> tuple[str, int, int]:
    """(the `>` line's text, caret start, caret count) measured from after the gutter bar."""
    lines = output.splitlines()
    marked = next(i for i, text in enumerate(lines) if text.startswith(" > "))
    text = lines[marked].split("| ", 1)[1] if "| " in lines[marked] else ""
    carets = lines[marked + 1].split("| ", 1)[1]
    stripped = carets.lstrip(" ")
    return text, len(carets) - len(stripped), len(stripped)


def test_golden_output() -> None:
    assert render("text", sample_report()) == EXPECTED


def test_findings_are_ordered_whatever_the_input_order() -> None:
    report = sample_report()
    report.findings.reverse()
    assert render("text", report) == EXPECTED


def test_clean_run_reads_zero_errors_zero_warnings() -> None:
    assert render("text", empty_report()) == "0 errors, 0 warnings (1 file checked)\n"


def test_summary_counts_and_plurals() -> None:
    f = finding(3, 1, "PV101", Severity.ERROR, "x")
    out = render("text", Report(root=ROOT, files=["a", "b"], findings=[f]))
    assert out.splitlines()[-1] == "1 error, 0 warnings (2 files checked)"
    warnings = [finding(i, 1, "PV203", Severity.WARNING, "w") for i in (1, 2)]
    out = render("text", Report(root=ROOT, files=["a"], findings=warnings))
    assert out.splitlines()[-1] == "0 errors, 2 warnings (1 file checked)"


def test_frame_without_source_is_just_the_headline() -> None:
    report = sample_report()
    report.sources.clear()
    out = render("text", report)
    assert " > " not in out and "^" not in out
    assert "contracts/demo-v1.yaml:3:1: error PV101 unknown key `gatse`\n  hint: did you mean `gates`?" in out


def test_line_beyond_the_source_has_no_frame() -> None:
    out = one("a: 1\n", 7, 1)
    assert out.startswith("contracts/demo-v1.yaml:7:1: error PV105 bad value\n\n")
    assert "^" not in out


def test_caret_spans_the_value() -> None:
    text, start, count = caret_column(one("key: some value\n", 1, 6, 16))
    assert text == "key: some value" and (start, count) == (5, 10)


def test_single_caret_without_end() -> None:
    _, start, count = caret_column(one("key: value\n", 1, 6, None))
    assert (start, count) == (5, 1)


def test_multiline_span_underlines_to_end_of_line() -> None:
    _, start, count = caret_column(one("key: |\n  text\nnext: 1\n", 1, 6, 1, end_line=3))
    assert (start, count) == (5, 1)
    _, start, count = caret_column(one("gates:\n  - a\n", 1, 1, 1, end_line=3))
    assert (start, count) == (0, 6)


def test_context_lines_around_the_offending_line() -> None:
    out = one("l1: 1\nl2: 2\nl3: 3\nl4: 4\nl5: 5\n", 3, 1, 3)
    frame = [line for line in out.splitlines() if " | " in line or line.endswith("|")]
    assert frame == ["   2 | l2: 2", " > 3 | l3: 3", "     | ^^", "   4 | l4: 4"]


def test_gutter_widens_for_two_digit_lines() -> None:
    source = "".join(f"k{i}: {i}\n" for i in range(1, 12))
    out = one(source, 10, 1, 4)
    assert "    9 | k9: 9" in out and " > 10 | k10: 10" in out and "   11 | k11: 11" in out


def test_tabs_expand_and_caret_stays_aligned() -> None:
    text, start, count = caret_column(one("k:\t\"a\tb\" # x\n", 1, 4, 9))
    assert "\t" not in text  # tab stops every 4 columns: `k:` + 2, `"a` + 2
    assert text[start:start + count] == '"a  b"' and start == 4


def test_wide_characters_count_double() -> None:
    text, start, count = caret_column(one("名前: 値です\n", 1, 5, 8))
    assert start == 6 and count == 6


def test_crlf_ends_a_line_but_unicode_line_separators_do_not() -> None:
    # Lines are numbered as editors and GitHub number them (the loader maps libyaml's marks onto them).
    out = one("a: 1\r\nb: 2\r\nc: bad\r\n", 3, 4, 7)
    assert " > 3 | c: bad" in out and "\r" not in out
    out = one("a: 1\u2028b: 2\nc: 3\n", 2, 1, 2)
    assert " > 2 | c: 3" in out and "   1 | a: 1\\u2028b: 2" in out


def test_long_lines_are_cut_to_a_window_around_the_column() -> None:
    source = "k: [" + ", ".join(f"v{i}" for i in range(200)) + "]\n"
    col = source.index("v150") + 1
    text, start, count = caret_column(one(source, 1, col, col + 4))
    assert len(text) <= 125 and text.startswith("…") and text.endswith("…")
    assert text[start:start + count] == "v150"


def test_control_characters_cannot_reach_the_terminal() -> None:
    source = "k: \"\x1b[2J\x1b[31mevil\u202e\"\n"
    out = one(source, 1, 4, 17, message="bad \x1b]0;title\x07 and \u2066hidden")
    assert "\x1b" not in out and "\u202e" not in out and "\u2066" not in out and "\x07" not in out
    assert "\\x1b[2J" in out and "\\u202e" in out and "\\x07" in out
    text, start, count = caret_column(out)
    assert text[start:].startswith('"\\x1b')


def test_hostile_file_name_is_escaped_too() -> None:
    f = finding(0, 0, "PV010", Severity.ERROR, "missing", file="evil\x1b[31m.yaml")
    out = render("text", Report(root=ROOT, files=[], findings=[f]))
    assert "\x1b" not in out and "evil\\x1b[31m.yaml: error PV010 missing" in out


def test_newline_in_a_file_name_cannot_forge_a_finding_line() -> None:
    f = finding(3, 1, "PV105", Severity.ERROR, "bad", file="x\nok.yaml:1:1: info PV100 fine")
    out = render("text", Report(root=ROOT, files=[], findings=[f]))
    assert "x\\nok.yaml:1:1: info PV100 fine:3:1: error PV105 bad" in out
    assert not any(line.startswith("ok.yaml") for line in out.splitlines())


def test_multiline_message_is_indented() -> None:
    out = one("a: 1\n", 1, 1, 2, message="first\nsecond")
    assert "error PV105 first\n    second\n" in out


def test_colour_only_when_asked() -> None:
    plain = render("text", sample_report(), color=False)
    coloured = render("text", sample_report(), color=True)
    assert "\x1b[" not in plain
    assert "\x1b[1;31merror" in coloured and "\x1b[1;33mwarning" in coloured
    assert ANSI.sub("", coloured) == plain
    clean = render("text", empty_report(), color=True)
    assert clean == "\x1b[1;32m0 errors, 0 warnings (1 file checked)\x1b[0m\n"


class FakeStream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(
    ("tty", "env", "expected"),
    [
        (True, {}, True),
        (False, {}, False),
        (True, {"NO_COLOR": "1"}, False),
        (True, {"NO_COLOR": "0"}, False),  # any non-empty value disables colour
        (True, {"NO_COLOR": ""}, True),  # empty means unset (no-color.org)
        (False, {"FORCE_COLOR": "1"}, True),
        (False, {"FORCE_COLOR": "0"}, False),
        (False, {"FORCE_COLOR": ""}, False),
        (True, {"NO_COLOR": "1", "FORCE_COLOR": "1"}, False),  # NO_COLOR wins
        (True, {"TERM": "dumb"}, False),
    ],
)
def test_want_color(monkeypatch: pytest.MonkeyPatch, tty: bool, env: dict, expected: bool) -> None:
    for name in ("NO_COLOR", "FORCE_COLOR", "TERM"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert want_color(FakeStream(tty)) is expected


def test_want_color_tolerates_odd_streams(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_COLOR", "FORCE_COLOR", "TERM"):
        monkeypatch.delenv(name, raising=False)
    closed = io.StringIO()
    closed.close()
    assert want_color(closed) is False
    assert want_color(object()) is False  # type: ignore[arg-type]


def test_frame_from_a_real_loader_finding(tmp_path: Path) -> None:
    """Positions produced by the real loader land the caret on the offending key."""
    contract = tmp_path / "dup-v1.yaml"
    contract.write_text("contract_id: x\nmetadata:\n  version: '1.0.0'\n  version: '1.0.1'\n", encoding="utf-8")
    doc, findings = load(contract, tmp_path)
    assert findings, "the loader must report the duplicate key"
    dup = next(f for f in findings if f.code == "PV002")
    report = Report(root=tmp_path, files=[dup.file], findings=findings,
                    sources={dup.file: contract.read_text(encoding="utf-8")})
    out = render("text", report)
    assert f"{dup.file}:4:3: error PV002" in out
    text, start, _ = caret_column(out)
    assert text == "  version: '1.0.1'" and start == 2
