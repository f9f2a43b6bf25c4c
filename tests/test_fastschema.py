"""pv's fast schema evaluator must agree with jsonschema, finding for finding."""

from __future__ import annotations

from pathlib import Path

import pytest

from pv.checks.schema import check as schema
from pv.checks.schema.fastschema import Evaluator, supports
from pv.core.loader import load

HERE = Path(__file__).parent
REPO = HERE.parent


def _both(path: Path, root: Path) -> tuple[set, set]:
    doc, _ = load(path, root)
    if doc is None:
        return set(), set()
    fast = {(f.code, f.line, f.col) for f in schema.check(doc)}
    reference = {(f.code, f.line, f.col) for f in schema.check(doc, engine="jsonschema")}
    return fast, reference


def _own_files() -> list[Path]:
    return sorted((HERE / "fixtures").rglob("*.yaml")) + sorted((REPO / "contracts").rglob("*.yaml"))


@pytest.mark.parametrize("path", _own_files(), ids=lambda p: p.name)
def test_fast_evaluator_agrees_with_jsonschema_on_fixtures(path: Path) -> None:
    fast, reference = _both(path, REPO)
    assert fast == reference
    if "/invalid/" in path.as_posix() and load(path, REPO)[0] is not None:
        schema_codes = {"PV101", "PV102", "PV103", "PV104", "PV105"}
        expected = {c for c in schema_codes if c in path.read_text(encoding="utf-8", errors="replace")}
        assert expected <= {code for code, _, _ in fast}  # the agreement is over real findings


def test_fast_evaluator_agrees_with_jsonschema_on_the_corpus(corpus_dir: Path) -> None:
    disagreements = []
    for path in sorted(corpus_dir.rglob("*.yaml")):
        fast, reference = _both(path, corpus_dir)
        if fast != reference:
            disagreements.append((path.name, fast ^ reference))
    assert disagreements == []


def test_pv_schemas_stay_within_the_fast_subset() -> None:
    for family in (schema.GATED, schema.KERNEL, schema.GENERIC):
        file = f"{family}.schema.json"
        assert supports(schema._schemas()[file], schema._resolve_ref, file), file


def test_unsupported_keyword_falls_back() -> None:
    def resolve(ref: str, base: str) -> tuple[dict, str]:
        return {}, base

    assert not supports({"properties": {"a": {"if": {}, "then": {}}}}, resolve, "x")
    assert supports({"properties": {"a": {"type": "string", "enum": ["x"]}}}, resolve, "x")


@pytest.mark.parametrize(("subschema", "value", "expected"), [
    ({"type": "integer"}, 3, []),
    ({"type": "integer"}, 3.0, []),  # JSON Schema: a number with no fraction is an integer
    ({"type": "integer"}, True, ["type"]),  # booleans are not numbers
    ({"type": "number"}, 2.5, []),
    ({"enum": [1, "a"]}, True, ["enum"]),  # True == 1 in Python, not in JSON
    ({"type": "string", "enum": ["a"]}, 5, ["type", "enum"]),
    ({"required": ["a", "b"]}, {}, ["required", "required"]),
    ({"additionalProperties": False, "properties": {"a": {}}}, {"a": 1, "b": 2}, ["additionalProperties"]),
    ({"anyOf": [{"type": "string"}, {"type": "object"}]}, 3, ["anyOf"]),
    ({"oneOf": [{"type": "number"}, {"type": "integer"}]}, 3, ["oneOf"]),
    ({"items": {"minimum": 1}}, [1, 0, 2], ["minimum"]),
    ({"pattern": "^a"}, "ba", ["pattern"]),
])
def test_evaluator_keywords(subschema: dict, value: object, expected: list[str]) -> None:
    def resolve(ref: str, base: str) -> tuple[dict, str]:
        raise AssertionError("no refs here")

    errors = [e.validator for e in Evaluator(resolve).errors(subschema, value, "x")]
    assert sorted(errors) == sorted(expected)
