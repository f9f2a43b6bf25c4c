"""The GitHub report: workflow commands, the toolkit's escaping, and the annotation caps."""

from __future__ import annotations

import pytest
from report_samples import ROOT, empty_report, finding, many, sample_report

from pv.core.findings import Severity
from pv.core.report import Report
from pv.reports import render
from pv.reports.github import escape_data, escape_property, hidden_count


def parse(line: str) -> tuple[str, dict[str, str], str]:
    """Parse one command line the way the Actions runner does (ActionCommand.TryParseV2)."""
    assert line.startswith("::")
    end = line.index("::", 2)
    head, data = line[2:end], line[end + 2:]
    name, _, props_text = head.partition(" ")
    props = {}
    for pair in filter(None, props_text.split(",")):
        key, _, value = pair.partition("=")
        props[key] = (value.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":")
                      .replace("%2C", ",").replace("%25", "%"))
    return name, props, data.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def test_sample_output() -> None:
    lines = render("github", sample_report()).splitlines()
    assert lines == [
        "::notice file=contracts/demo-v1.yaml,line=1,col=1,title=PV100 unknown-family::"
        "family not recognised%0Ahint: set metadata.kind",
        "::error file=contracts/demo-v1.yaml,line=3,col=1,endColumn=5,title=PV101 unknown-key::"
        "unknown key `gatse`%0Ahint: did you mean `gates`?",
        "::warning file=contracts/demo-v1.yaml,line=5,col=14,endColumn=18,title=PV203 missing-peer::"
        "`PASSS` is not a known verdict%0Ahint: did you mean `PASS`?",
        "::error file=contracts/gone-v1.yaml,title=PV010 unreadable-file::"
        "cannot read contracts/gone-v1.yaml: No such file",
        "2 errors, 1 warning, 1 info (2 files checked)",
    ]


def test_clean_run() -> None:
    assert render("github", empty_report()) == "0 errors, 0 warnings (1 file checked)\n"


@pytest.mark.parametrize(
    ("raw", "data", "prop"),
    [
        ("plain", "plain", "plain"),
        ("100%", "100%25", "100%25"),
        ("%0A literal", "%250A literal", "%250A literal"),
        ("a\nb", "a%0Ab", "a%0Ab"),
        ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
        ("k: v, w", "k: v, w", "k%3A v%2C w"),
        ("::error::x", "::error::x", "%3A%3Aerror%3A%3Ax"),
    ],
)
def test_escaping_matches_the_toolkit(raw: str, data: str, prop: str) -> None:
    assert escape_data(raw) == data
    assert escape_property(raw) == prop


def test_hostile_names_and_messages_round_trip_through_the_runner_parser() -> None:
    file = "contracts/we:ird,na%me\nv1.yaml"
    message = "100% wrong\r\nnext line ::warning::not a command, really"
    f = finding(4, 2, "PV105", Severity.ERROR, message, file=file, hint="fix: it, now")
    out = render("github", Report(root=ROOT, files=[file], findings=[f]))
    lines = out.splitlines()
    assert len(lines) == 2, "escaping must keep each annotation on one line"
    name, props, data = parse(lines[0])
    assert name == "error"
    assert props["file"] == file and props["line"] == "4" and props["col"] == "2"
    assert props["title"] == "PV105 schema-violation"
    # CR is shown as `\x0d` (like every control character); LF survives as a line break
    assert data == message.replace("\r", "\\x0d") + "\nhint: fix: it, now"


def test_control_characters_do_not_reach_the_log() -> None:
    f = finding(1, 1, "PV105", Severity.ERROR, "\x1b[2Kcolour\u202e")
    out = render("github", Report(root=ROOT, files=[f.file], findings=[f]))
    assert "\x1b" not in out and "\u202e" not in out and "\\x1b[2Kcolour\\u202e" in out


def test_columns_only_for_single_line_spans() -> None:
    findings = [finding(2, 5, "PV102", Severity.ERROR, "block", end_line=6, end_col=1),
                finding(3, 7, "PV102", Severity.ERROR, "one char", end_line=3, end_col=8)]
    lines = render("github", Report(root=ROOT, files=[], findings=findings)).splitlines()
    assert parse(lines[0])[1] == {"file": "contracts/demo-v1.yaml", "line": "2", "endLine": "6",
                                  "title": "PV102 wrong-type"}
    assert parse(lines[1])[1] == {"file": "contracts/demo-v1.yaml", "line": "3", "col": "7",
                                  "title": "PV102 wrong-type"}


def test_up_to_the_caps_no_summary() -> None:
    findings = many(Severity.ERROR, 10) + many(Severity.WARNING, 10, "PV203") + many(Severity.INFO, 10, "PV100")
    report = Report(root=ROOT, files=["contracts/demo-v1.yaml"], findings=findings)
    assert hidden_count(report) == 0
    lines = render("github", report).splitlines()
    assert len(lines) == 31 and lines[-1] == "10 errors, 10 warnings, 10 infos (1 file checked)"
    assert not any("not shown" in line for line in lines)


def test_over_the_cap_prints_everything_and_says_how_many_are_hidden() -> None:
    findings = many(Severity.ERROR, 13) + many(Severity.WARNING, 4, "PV203") + many(Severity.INFO, 10, "PV100")
    report = Report(root=ROOT, files=["contracts/demo-v1.yaml"], findings=findings)
    # 3 errors over the cap, and the summary notice takes one of the 10 notice slots
    assert hidden_count(report) == 4
    lines = render("github", report).splitlines()
    name, props, data = parse(lines[0])
    assert name == "notice" and "4 of them are not shown" in data and "--format text" in data
    assert props == {"title": "pv: some findings are not annotated"}
    annotations = [line for line in lines[1:] if line.startswith("::")]
    assert len(annotations) == 27  # every finding still printed
    assert sum(line.startswith("::error ") for line in annotations) == 13
    assert lines[-2].startswith("pv: 4 of 27 findings are not shown as annotations")
    assert "--format text" in lines[-2] and "sarif" in lines[-2]
    assert lines[-1] == "13 errors, 4 warnings, 10 infos (1 file checked)"


def test_infos_alone_can_overflow() -> None:
    report = Report(root=ROOT, files=["a"], findings=many(Severity.INFO, 11, "PV100"))
    assert hidden_count(report) == 2
    assert render("github", report).splitlines()[0].startswith("::notice title=pv")
