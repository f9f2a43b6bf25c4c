"""schemas/formulas.schema.json: valid draft 2020-12, standalone (no $id), accepts the repo's section."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from pv.core.loader import load

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "schemas" / "formulas.schema.json").read_text(encoding="utf-8"))


def validator() -> jsonschema.Draft202012Validator:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    return jsonschema.Draft202012Validator(SCHEMA)


def test_schema_is_standalone() -> None:
    assert "$id" not in SCHEMA
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_repo_section_is_valid() -> None:
    doc, _ = load(REPO / "contracts" / "training-loop-pretrain-v1.yaml", REPO)
    assert list(validator().iter_errors(doc.data["formulas"])) == []


@pytest.mark.parametrize("section", [
    {"symbol": {}},
    {"symbols": {"x": {"domian": "real"}}},
    {"definitions": {"f": {"formula": "x", "claim": []}}},
    {"definitions": {"f": {"formula": "x", "claims": [{"at": {"x": "one"}, "value": 1}]}}},
    {"definitions": {"f": {"formula": "x", "claims": [{"value": "about 3"}]}}},
    {"definitions": {"f": {"formula": "x", "bind": {"function": "no colon"}}}},
    {"definitions": {"f": ""}},
    {"obligations": {"o": {"formula": "x > 0", "claims": []}}},
    {"definitions": {"bad name": "x"}},
])
def test_bad_sections_are_rejected(section: dict) -> None:
    assert list(validator().iter_errors(section))
