"""SARIF 2.1.0 report (`--format sarif`), for GitHub code scanning and SARIF viewers.

One run; `tool.driver.rules` holds a descriptor for every rule the findings
use (`ruleIndex` points into it); URIs are relative to the repository root
through `uriBaseId: %SRCROOT%`; regions use 1-based lines and columns with
an exclusive `endColumn`, counted in Unicode code points; `partialFingerprints`
hashes the rule, file, YAML path and message but not the line, so a finding
keeps its identity when lines are inserted above it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path, PurePath
from urllib.parse import quote

import pv
from pv.core import rules
from pv.core.findings import Finding, Severity
from pv.core.report import Report
from pv.reports.common import decodable, ordered, raw_bytes

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
# Where users learn about the tool: the distribution's page (its name on PyPI).
INFORMATION_URI = "https://pypi.org/project/pv-contracts/"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "pvFinding/v1"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _descriptor(code: str) -> dict:
    try:
        rule = rules.get(code)
    except KeyError:  # a code nobody registered: still describe it rather than crash
        return {"id": code, "shortDescription": {"text": f"pv rule {code}"}}
    help_text = f"{rule.explanation}\n\nRun `pv explain {rule.code}` for this text in a terminal."
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.explanation},
        "help": {"text": help_text},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
    }


def _artifact_location(file: str, root: Path) -> dict:
    """Repo-relative, percent-encoded URI (`:` too, so `a:b.yaml` is not read as a scheme)."""
    path = PurePath(file)
    if path.is_absolute():
        try:
            path = Path(file).relative_to(Path(root).resolve())
        except ValueError:
            return {"uri": Path(file).as_uri()}
    # Percent-encoded from the raw bytes, so a name that is not UTF-8 still names its file.
    return {"uri": quote(raw_bytes(path.as_posix()), safe="/"), "uriBaseId": SRCROOT}


def _region(finding: Finding) -> dict | None:
    if finding.line <= 0:
        return None
    region: dict = {"startLine": finding.line}
    if finding.col > 0:
        region["startColumn"] = finding.col
    end_line, end_col = finding.end_line, finding.end_col
    if end_line is not None and end_line >= finding.line:
        region["endLine"] = end_line
        if end_col is not None and end_col >= 1 and (end_line > finding.line or end_col >= finding.col):
            region["endColumn"] = end_col
    return region


def _fingerprint(finding: Finding, occurrence: int) -> str:
    key = "\0".join((finding.code, finding.file, finding.path, finding.message, str(occurrence)))
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def build(report: Report) -> dict:
    """The SARIF log as plain data."""
    findings = ordered(report)
    codes = sorted({finding.code for finding in findings})
    rule_index = {code: index for index, code in enumerate(codes)}
    artifact_files = sorted(set(report.files) | {finding.file for finding in findings})
    artifact_index = {file: index for index, file in enumerate(artifact_files)}
    seen: dict[tuple, int] = {}
    results = []
    for finding in findings:
        ident = (finding.code, finding.file, finding.path, finding.message)
        occurrence = seen.get(ident, 0)
        seen[ident] = occurrence + 1
        physical: dict = {
            "artifactLocation": {**_artifact_location(finding.file, report.root),
                                 "index": artifact_index[finding.file]},
        }
        region = _region(finding)
        if region is not None:
            physical["region"] = region
        location: dict = {"physicalLocation": physical}
        if finding.path:
            location["logicalLocations"] = [{"fullyQualifiedName": finding.path, "kind": "member"}]
        text = decodable(finding.message if not finding.hint else f"{finding.message}\nhint: {finding.hint}")
        result: dict = {
            "ruleId": finding.code,
            "ruleIndex": rule_index[finding.code],
            "level": LEVELS[finding.severity],
            "message": {"text": text},
            "locations": [location],
            "partialFingerprints": {FINGERPRINT_KEY: _fingerprint(finding, occurrence)},
        }
        properties = {key: decodable(value) for key, value in (("yamlPath", finding.path), ("hint", finding.hint))
                      if value}
        if properties:
            result["properties"] = properties
        results.append(result)
    return {
        "$schema": SCHEMA_URI,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {"driver": {
                "name": "pv",
                "version": pv.__version__,
                "semanticVersion": pv.__version__,
                "informationUri": INFORMATION_URI,
                "rules": [_descriptor(code) for code in codes],
            }},
            # No "uri": the root's absolute path would make two checkouts of one tree give
            # different logs (and leak the machine's layout); consumers supply %SRCROOT%.
            "originalUriBaseIds": {SRCROOT: {"description": {"text": "The repository root."}}},
            "artifacts": [
                {"location": _artifact_location(file, report.root), "roles": ["analysisTarget"]}
                for file in artifact_files
            ],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }


def render(report: Report, *, color: bool = False) -> str:
    return json.dumps(build(report), indent=2, ensure_ascii=True) + "\n"
