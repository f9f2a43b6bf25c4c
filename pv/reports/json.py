"""Machine-readable report (`--format json`), shape version 1.

    {
      "version": 1,
      "tool": {"name": "pv", "version": "0.1.0"},
      "files": ["contracts/a-v1.yaml", ...],            # every file checked, sorted
      "summary": {"files": 1, "errors": 0, "warnings": 0, "infos": 0},
      "findings": [                                      # sorted by file, line, col, code
        {"file": ..., "line": 12, "col": 5, "end_line": 12, "end_col": 10,
         "code": "PV101", "severity": "error", "path": "gates[3].id",
         "message": ..., "hint": ... or null}
      ]
    }

Lines and columns are 1-based (0: no position); `end_col` is exclusive.
Keys are sorted, non-ASCII text is \\u-escaped (safe on any console
encoding), and the output is byte-for-byte deterministic for a given report.
Adding a key keeps `version`; removing or renaming one bumps it.
"""

from __future__ import annotations

import json

import pv
from pv.core.report import Report
from pv.reports.common import decodable, ordered

SHAPE_VERSION = 1


def build(report: Report) -> dict:
    """The report as plain data (also used by tests and other tools)."""
    return {
        "version": SHAPE_VERSION,
        "tool": {"name": "pv", "version": pv.__version__},
        "files": sorted(decodable(file) for file in report.files),
        "summary": {
            "files": len(report.files),
            "errors": report.errors,
            "warnings": report.warnings,
            "infos": report.infos,
        },
        "findings": [_finding(finding) for finding in ordered(report)],
    }


def _finding(finding) -> dict:
    """A finding as JSON data; a file name's bytes that are not UTF-8 are shown as `\\xNN`."""
    data = finding.to_dict()
    for key in ("file", "message", "hint"):
        if isinstance(data.get(key), str):
            data[key] = decodable(data[key])
    return data


def render(report: Report, *, color: bool = False) -> str:
    return json.dumps(build(report), indent=2, sort_keys=True, ensure_ascii=True) + "\n"
