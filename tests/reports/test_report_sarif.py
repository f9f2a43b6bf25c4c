"""The SARIF report: valid against the official 2.1.0 schema, rules, regions, URIs, fingerprints."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jsonschema
import pytest
from report_samples import ROOT, empty_report, finding, sample_report

import pv
from pv.core import rules
from pv.core.findings import Severity
from pv.core.report import Report
from pv.reports import render

SCHEMA_FILE = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def sarif(report: Report, validator: jsonschema.protocols.Validator) -> dict:
    data = json.loads(render("sarif", report))
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)
    return data


def test_schema_rejects_a_broken_log(validator: jsonschema.protocols.Validator) -> None:
    """The validation below is meaningful: the schema does catch mistakes."""
    data = json.loads(render("sarif", sample_report()))
    data["runs"][0]["results"][0]["level"] = "fatal"
    data["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    assert len(list(validator.iter_errors(data))) >= 2


def test_valid_sarif_with_every_severity(validator: jsonschema.protocols.Validator) -> None:
    data = sarif(sample_report(), validator)
    assert data["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert data["version"] == "2.1.0"
    assert len(data["runs"]) == 1
    driver = data["runs"][0]["tool"]["driver"]
    assert driver["name"] == "pv" and driver["version"] == pv.__version__
    assert driver["informationUri"].startswith("https://")


def test_empty_report_is_valid(validator: jsonschema.protocols.Validator) -> None:
    data = sarif(empty_report(), validator)
    run = data["runs"][0]
    assert run["results"] == [] and run["tool"]["driver"]["rules"] == []
    assert [a["location"]["uri"] for a in run["artifacts"]] == ["contracts/demo-v1.yaml"]


def test_rule_descriptors_cover_exactly_the_rules_used(validator: jsonschema.protocols.Validator) -> None:
    run = sarif(sample_report(), validator)["runs"][0]
    descriptors = run["tool"]["driver"]["rules"]
    assert [d["id"] for d in descriptors] == ["PV010", "PV100", "PV101", "PV203"]
    for descriptor in descriptors:
        rule = rules.get(descriptor["id"])
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"]["text"] == rule.summary
        assert descriptor["fullDescription"]["text"] == rule.explanation
        assert rule.explanation in descriptor["help"]["text"]
        expected = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}[rule.severity]
        assert descriptor["defaultConfiguration"]["level"] == expected
    for result in run["results"]:
        assert descriptors[result["ruleIndex"]]["id"] == result["ruleId"]


def test_levels_messages_and_hints(validator: jsonschema.protocols.Validator) -> None:
    results = sarif(sample_report(), validator)["runs"][0]["results"]
    by_rule = {r["ruleId"]: r for r in results}
    assert by_rule["PV101"]["level"] == "error"
    assert by_rule["PV203"]["level"] == "warning"
    assert by_rule["PV100"]["level"] == "note"
    assert by_rule["PV101"]["message"]["text"] == "unknown key `gatse`\nhint: did you mean `gates`?"
    assert by_rule["PV101"]["properties"] == {"yamlPath": "gatse", "hint": "did you mean `gates`?"}
    assert by_rule["PV010"]["message"]["text"].startswith("cannot read")
    logical = by_rule["PV203"]["locations"][0]["logicalLocations"]
    assert logical == [{"fullyQualifiedName": "gatse[0].verdict", "kind": "member"}]


def test_regions(validator: jsonschema.protocols.Validator) -> None:
    results = sarif(sample_report(), validator)["runs"][0]["results"]
    by_rule = {r["ruleId"]: r["locations"][0]["physicalLocation"] for r in results}
    assert by_rule["PV101"]["region"] == {"startLine": 3, "startColumn": 1, "endLine": 3, "endColumn": 6}
    assert by_rule["PV100"]["region"] == {"startLine": 1, "startColumn": 1}
    assert "region" not in by_rule["PV010"]  # line 0: no position known


def test_uris_are_repo_relative_and_percent_encoded(validator: jsonschema.protocols.Validator) -> None:
    names = ["contracts/a b-v1.yaml", "contracts/x:y,z%-v1.yaml", "contracts/名前-v1.yaml", "c/q?#-v1.yaml"]
    findings = [finding(1, 1, "PV101", Severity.ERROR, "m", file=name) for name in names]
    run = sarif(Report(root=ROOT, files=names, findings=findings), validator)["runs"][0]
    # The base is named, not spelt out: the checkout's absolute path is in no report (issue 10).
    assert "uri" not in run["originalUriBaseIds"]["%SRCROOT%"]
    seen = {}
    for result in run["results"]:
        location = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert location["uriBaseId"] == "%SRCROOT%"
        parts = urlsplit(location["uri"])
        # a relative reference: no scheme (so `x:y` was encoded), no query or fragment
        assert (parts.scheme, parts.netloc, parts.query, parts.fragment) == ("", "", "", "")
        assert run["artifacts"][location["index"]]["location"]["uri"] == location["uri"]
        seen[unquote(location["uri"])] = location["uri"]
    assert sorted(seen) == sorted(names)
    assert seen["contracts/x:y,z%-v1.yaml"] == "contracts/x%3Ay%2Cz%25-v1.yaml"


def test_absolute_path_outside_the_root_gets_a_file_uri(validator: jsonschema.protocols.Validator,
                                                        tmp_path: Path) -> None:
    outside = str(tmp_path / "elsewhere.yaml")
    inside = str(ROOT.resolve() / "contracts" / "in-v1.yaml")
    findings = [finding(0, 0, "PV010", Severity.ERROR, "outside the root", file=outside),
                finding(1, 1, "PV101", Severity.ERROR, "m", file=inside)]
    run = sarif(Report(root=ROOT, files=[], findings=findings), validator)["runs"][0]
    locations = {r["ruleId"]: r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run["results"]}
    assert locations["PV010"]["uri"] == Path(outside).as_uri() and "uriBaseId" not in locations["PV010"]
    assert locations["PV101"]["uri"] == "contracts/in-v1.yaml"


def test_fingerprints_survive_line_moves_and_separate_duplicates(
        validator: jsonschema.protocols.Validator) -> None:
    def prints(line_shift: int, copies: int = 1) -> list[str]:
        findings = [finding(3 + line_shift + i, 1, "PV101", Severity.ERROR, "unknown key", path="gatse")
                    for i in range(copies)]
        results = sarif(Report(root=ROOT, files=[], findings=findings), validator)["runs"][0]["results"]
        return [r["partialFingerprints"]["pvFinding/v1"] for r in results]

    assert prints(0) == prints(7)
    twice = prints(0, copies=2)
    assert len(set(twice)) == 2 and twice[0] == prints(0)[0]


def test_unregistered_code_does_not_crash(validator: jsonschema.protocols.Validator) -> None:
    f = finding(2, 3, "PV999", Severity.WARNING, "from a plugin")
    run = sarif(Report(root=ROOT, files=[f.file], findings=[f]), validator)["runs"][0]
    assert run["tool"]["driver"]["rules"] == [{"id": "PV999", "shortDescription": {"text": "pv rule PV999"}}]


def test_multiline_and_degenerate_spans_stay_valid(validator: jsonschema.protocols.Validator) -> None:
    findings = [
        finding(2, 5, "PV102", Severity.ERROR, "block", end_line=6, end_col=1),
        finding(4, 9, "PV102", Severity.ERROR, "end before start", end_line=4, end_col=3),
        finding(5, 0, "PV102", Severity.ERROR, "no column"),
    ]
    results = sarif(Report(root=ROOT, files=[], findings=findings), validator)["runs"][0]["results"]
    regions = [r["locations"][0]["physicalLocation"]["region"] for r in results]
    assert regions == [
        {"startLine": 2, "startColumn": 5, "endLine": 6, "endColumn": 1},
        {"startLine": 4, "startColumn": 9, "endLine": 4},
        {"startLine": 5},
    ]


def test_output_is_deterministic() -> None:
    first = render("sarif", sample_report())
    report = sample_report()
    report.findings.reverse()
    assert render("sarif", report) == first and first.isascii()
