"""The JSON report: documented shape, deterministic bytes, round trip, dispatch and lazy imports."""

from __future__ import annotations

import json
import random
import subprocess
import sys

import pytest
from report_samples import empty_report, sample_report

import pv
from pv.core.findings import Finding
from pv.reports import FORMATS, render


def test_documented_shape() -> None:
    data = json.loads(render("json", sample_report()))
    assert set(data) == {"version", "tool", "files", "summary", "findings"}
    assert data["version"] == 1
    assert data["tool"] == {"name": "pv", "version": pv.__version__}
    assert data["files"] == ["contracts/demo-v1.yaml", "contracts/gone-v1.yaml"]
    assert data["summary"] == {"files": 2, "errors": 2, "warnings": 1, "infos": 1}
    first = data["findings"][0]
    assert set(first) == {"file", "line", "col", "end_line", "end_col", "code", "severity", "path",
                          "message", "hint"}
    assert [(f["file"], f["line"], f["code"]) for f in data["findings"]] == [
        ("contracts/demo-v1.yaml", 1, "PV100"),
        ("contracts/demo-v1.yaml", 3, "PV101"),
        ("contracts/demo-v1.yaml", 5, "PV203"),
        ("contracts/gone-v1.yaml", 0, "PV010"),
    ]
    assert data["findings"][2]["severity"] == "warning" and data["findings"][2]["path"] == "gatse[0].verdict"


def test_findings_round_trip() -> None:
    report = sample_report()
    data = json.loads(render("json", report))
    assert sorted(Finding.from_dict(d) for d in data["findings"]) == sorted(report.findings)
    restored = {Finding.from_dict(d).code: Finding.from_dict(d) for d in data["findings"]}
    original = {f.code: f for f in report.findings}
    for code, f in original.items():
        assert restored[code].to_dict() == f.to_dict()


def test_bytes_are_deterministic_whatever_the_input_order() -> None:
    reference = render("json", sample_report())
    for seed in range(5):
        report = sample_report()
        random.Random(seed).shuffle(report.findings)
        report.files.reverse()
        assert render("json", report) == reference


def test_keys_sorted_ascii_only_and_newline_terminated() -> None:
    report = sample_report()
    report.findings[0] = Finding(**{**report.findings[0].__dict__, "message": "naïve \u202e名前"})
    out = render("json", report)
    assert out.endswith("}\n") and out.isascii()
    messages = {f["code"]: f["message"] for f in json.loads(out)["findings"]}
    assert messages["PV101"] == "naïve \u202e名前"
    assert list(json.loads(out)) == sorted(json.loads(out))


def test_empty_report() -> None:
    data = json.loads(render("json", empty_report()))
    assert data["findings"] == [] and data["summary"] == {"files": 1, "errors": 0, "warnings": 0, "infos": 0}


def test_unknown_format_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown report format 'xml'"):
        render("xml", empty_report())


def test_every_format_ends_with_one_newline() -> None:
    for fmt in FORMATS:
        out = render(fmt, sample_report())
        assert out.endswith("\n") and not out.endswith("\n\n"), fmt


def test_formats_are_imported_lazily() -> None:
    """Rendering JSON must not import the other formats, nor anything heavy."""
    code = (
        "import sys, pathlib\n"
        "from pv.core.report import Report\n"
        "from pv.reports import render\n"
        "render('json', Report(root=pathlib.Path('.'), files=['a.yaml'], findings=[]))\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('pv.reports.') or m.split('.')[0] in\n"
        "                ('jsonschema', 'sympy', 'torch', 'ruamel'))\n"
        "print(','.join(loaded))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "pv.reports.common,pv.reports.json"
