"""JSON Schema checks, with every error mapped to the offending key or value.

Schemas live in `schemas/` and reference each other by file name through a
local `referencing` registry, so nothing is ever fetched. jsonschema is
imported (and validators built) only on first use, once per process.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from functools import cache, lru_cache
from typing import Any

from pv.checks.consistency.versions import two_part_number
from pv.checks.schema.files import schema_dir
from pv.core.document import Document, YamlPath
from pv.core.findings import Finding
from pv.core.fixes import quote_version, rename_key
from pv.core.suggest import closest
from pv.core.vocabulary import config_aliases, config_vocabularies, declared_kind, extra_values_for

GATED, KERNEL, GENERIC = "gated-contract", "kernel-contract", "generic-contract"
KERNEL_KEYS = ("equations", "proof_obligations", "falsification_tests", "kani_harnesses")
_MODELINE = re.compile(r"#\s*yaml-language-server:\s*\$schema=\S*?([\w.-]+)\.schema\.json")


def family(doc: Document) -> str:
    """Which schema applies: an explicit modeline wins, then `metadata.kind: kernel`, else the keys decide."""
    head = doc.text[:2000]
    match = _MODELINE.search(head)
    if match and match.group(1) in (GATED, KERNEL, GENERIC):
        return match.group(1)
    data = doc.data
    if declared_kind(data) == "kernel":
        return KERNEL
    if "gates" in data or "contract_id" in data:
        return GATED
    if any(key in data for key in KERNEL_KEYS):
        return KERNEL
    return GENERIC


@lru_cache(maxsize=1)
def _schemas() -> dict[str, dict]:
    found = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in schema_dir().glob("*.schema.json")}
    found.setdefault("formulas.schema.json", {"type": "object"})  # older checkouts without formulas
    return found


def _resolve_ref(ref: str, base: str) -> tuple[dict, str]:
    file, _, pointer = ref.partition("#")
    file = file or base
    schema: Any = _schemas().get(file, {})
    for part in [p for p in pointer.split("/") if p]:
        schema = schema.get(part.replace("~1", "/").replace("~0", "~"), {}) if isinstance(schema, dict) else {}
    return (schema if isinstance(schema, (dict, bool)) else {}), file


class _FastValidator:
    """pv's own evaluator for schemas within its keyword subset (see pv.checks.schema.fastschema)."""

    def __init__(self, file: str) -> None:
        from pv.checks.schema.fastschema import Evaluator

        self.file = file
        self.evaluator = Evaluator(_resolve_ref)

    def iter_errors(self, instance: Any) -> Iterator[Any]:
        return self.evaluator.errors(_schemas()[self.file], instance, self.file)


@cache
def _validator(name: str, engine: str = "auto"):
    """A validator for one family: pv's fast evaluator when the schema allows, else jsonschema."""
    file = f"{name}.schema.json"
    if engine != "jsonschema":
        from pv.checks.schema.fastschema import supports

        if supports(_schemas()[file], _resolve_ref, file):
            return _FastValidator(file)
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    registry = Registry().with_resources(
        (file, Resource.from_contents(contents, default_specification=DRAFT202012))
        for file, contents in _schemas().items()
    )
    return Draft202012Validator(_schemas()[f"{name}.schema.json"], registry=registry)


def warm_up() -> None:
    """Build every family's validator now (e.g. before forking workers)."""
    for kind in (GATED, KERNEL, GENERIC):
        _validator(kind)


def check(doc: Document, ctx: object = None, engine: str = "auto") -> list[Finding]:
    """Schema findings for one contract; `engine="jsonschema"` forces the reference validator."""
    kind = family(doc)
    config = getattr(ctx, "config", None)
    local = _Local(config_vocabularies(config), config_aliases(config))
    findings: list[Finding] = []
    if kind == GENERIC and declared_kind(doc.data) is None:
        findings.append(doc.finding((), "PV100",
                                    "not a gated or kernel contract; only the metadata block is checked",
                                    hint="gated contracts have `contract_id`/`gates`; kernel contracts have "
                                         "`equations`/`proof_obligations`; or declare `metadata.kind`"))
    errors = sorted(_validator(kind, engine).iter_errors(doc.data), key=lambda e: list(map(str, e.absolute_path)))
    for error in errors:
        findings.extend(_to_findings(doc, error, local))
    file = f"{kind}.schema.json"
    findings.extend(_misspelled_keys(doc, _schemas()[file], doc.data, (), file, local))
    # jsonschema reports each missing key of one `required` separately: keep one finding each.
    unique = {(f.code, f.line, f.col, f.message): f for f in findings}
    return list(unique.values())


# --- error mapping -------------------------------------------------------------

class _Local:
    """A repository's own conventions (config): extra vocabulary values and legacy key names."""

    def __init__(self, vocabularies: dict[str, tuple[str, ...]], aliases: dict[str, tuple[str, ...]]) -> None:
        self.vocabularies = vocabularies
        self.aliases = aliases
        self.alias_names = {alias for names in aliases.values() for alias in names}

    def has_alias(self, name: str, present: Any) -> bool:
        """The object writes `name` under one of the repository's legacy names."""
        return isinstance(present, dict) and any(a in present for a in self.aliases.get(name, ()))

    def is_alias_of_known(self, key: Any, known: Iterable[str]) -> bool:
        return key in self.alias_names and any(key in self.aliases.get(name, ()) for name in known)


_NO_LOCAL = _Local({}, {})


def _required_alternatives(error: Any) -> list[str] | None:
    """Names in an `anyOf` whose alternatives are all `required: [name]` (a key or its legacy name)."""
    if error.validator != "anyOf" or not isinstance(error.validator_value, list):
        return None
    names = []
    for alt in error.validator_value:
        if not (isinstance(alt, dict) and set(alt) == {"required"} and len(alt["required"]) == 1):
            return None
        names.append(alt["required"][0])
    return names

_JSON_TYPES = {dict: "mapping", list: "list", str: "string", bool: "boolean", int: "integer",
               float: "number", type(None): "null"}


def _describe(value: Any) -> str:
    kind = _JSON_TYPES.get(type(value), type(value).__name__)
    if isinstance(value, (dict, list)):
        return kind
    shown = repr(value) if not isinstance(value, str) else f"'{value[:40]}'"
    return f"{kind} {shown}"


def _suggest(word: str, candidates: Iterable[str]) -> str | None:
    return closest(word, candidates)


_near: dict[tuple[str, int], tuple[dict, str | None]] = {}


def _suggest_known(word: str, props: dict) -> str | None:
    """`_suggest` memoised per (key, schema object): the same extra keys recur in every contract of a
    repository. The memo holds `props` itself, so its id cannot be reused by another object."""
    memo_key = (word, id(props))
    hit = _near.get(memo_key)
    if hit is None or hit[0] is not props:
        if len(_near) > 50_000:
            _near.clear()
        hit = _near[memo_key] = (props, _suggest(word, props))
    return hit[1]


def _types_of(schema: Any, base: str = "") -> list[str]:
    if not isinstance(schema, dict):
        return []
    if "$ref" in schema:
        target, file = _resolve_ref(schema["$ref"], base)
        return _types_of(target, file)
    if "anyOf" in schema or "oneOf" in schema:
        return [t for sub in schema.get("anyOf", schema.get("oneOf", [])) for t in _types_of(sub, base)]
    kind = schema.get("type")
    if isinstance(kind, list):
        return kind
    return [kind] if kind else []


_TYPE_WORDS = {"object": "a mapping", "array": "a list", "string": "a string", "integer": "an integer",
               "number": "a number", "boolean": "true or false", "null": "null"}


def _to_findings(doc: Document, error: Any, local: _Local = _NO_LOCAL) -> Iterator[Finding]:
    path: YamlPath = tuple(error.absolute_path)
    validator = error.validator
    alternatives = _required_alternatives(error)
    if alternatives:
        name, legacy = alternatives[0], alternatives[1:]
        if local.has_alias(name, error.instance):
            return
        where = f"`{_path_label(path)}`" if path else "the contract"
        also = " or ".join(f"`{n}`" for n in legacy)
        yield doc.finding(path, "PV103", f"missing required key `{name}` in {where}",
                          hint=f"add `{name}:` to {where} (the legacy name {also} is accepted too)", key=True)
    elif validator == "required":
        present = error.instance if isinstance(error.instance, dict) else {}
        for name in error.validator_value:
            if name in present or local.has_alias(name, present):
                continue
            near = _suggest(name, [k for k in present if isinstance(k, str)])
            where = f"`{_path_label(path)}`" if path else "the contract"
            hint = (f"`{near}` is written instead; did you mean `{name}`?" if near
                    else f"add `{name}:` to {where}")
            yield doc.finding(path, "PV103", f"missing required key `{name}` in {where}", hint=hint, key=True)
    elif validator in ("type", "anyOf", "oneOf") and not _is_type_mismatch_only(error):
        yield doc.finding(path, "PV105", f"{_path_label(path)}: {error.message}")
    elif validator == "type" and two_part_number(doc, path, error.instance) is not None:
        return  # an unquoted "1.0": a two-part version, which the consistency check reports (PV218)
    elif validator in ("type", "anyOf", "oneOf"):
        wanted = " or ".join(dict.fromkeys(_TYPE_WORDS.get(t, t) for t in _types_of(error.schema)))
        hint = fix = None
        if isinstance(error.instance, (int, float)) and "a string" in wanted:
            hint = f"quote the value: \"{error.instance}\""
            fix = quote_version(doc, path)
        yield doc.finding(path, "PV102", f"`{_path_label(path)}` must be {wanted}, not {_describe(error.instance)}",
                          hint=hint, fix=fix)
    elif validator in ("enum", "const"):
        extra = extra_values_for(path, local.vocabularies)
        if isinstance(error.instance, str) and error.instance in extra:
            return  # a value this repository added to the vocabulary
        allowed = (error.validator_value if validator == "enum" else [error.validator_value]) + list(extra)
        near = _suggest(str(error.instance), [str(a) for a in allowed])
        listed = ", ".join(str(a) for a in allowed)
        yield doc.finding(path, "PV104",
                          f"`{_path_label(path)}` is {_describe(error.instance)}; allowed: {listed}",
                          hint=f"did you mean `{near}`?" if near else f"use one of: {listed}")
    elif validator == "additionalProperties":
        known = list((error.schema.get("properties") or {}).keys())
        for key in error.instance:
            if key in known or local.is_alias_of_known(key, known):
                continue
            near = _suggest(str(key), known)
            yield doc.finding(path + (key,), "PV101", f"unknown key `{key}` in `{_path_label(path)}`",
                              hint=f"did you mean `{near}`?" if near else f"allowed keys: {', '.join(known)}",
                              key=True, fix=rename_key(doc, path + (key,), near) if near else None)
    else:
        yield doc.finding(path, "PV105", f"`{_path_label(path)}`: {error.message}")


def _is_type_mismatch_only(error: Any) -> bool:
    """anyOf/oneOf errors where no alternative even has the right type."""
    if error.validator == "type":
        return True
    instance_types = {"object": dict, "array": list, "string": str, "boolean": bool,
                      "integer": int, "number": (int, float), "null": type(None)}
    for kind in _types_of(error.schema):
        expected = instance_types.get(kind)
        if expected and isinstance(error.instance, expected):
            return False
    return True


def _path_label(path: YamlPath) -> str:
    from pv.core.document import format_path

    return format_path(path) or "<document>"


# --- did-you-mean for open objects --------------------------------------------------

def _object_schema(schema: Any, value: Any, base: str) -> tuple[dict, str]:
    """Follow $ref and pick the anyOf/oneOf alternative matching the value's shape.

    Returns the schema and the file it lives in, so its own local refs resolve.
    """
    for _ in range(16):  # refs are shallow; the bound guards against cycles
        if not isinstance(schema, dict):
            return {}, base
        if "$ref" in schema:
            schema, base = _resolve_ref(schema["$ref"], base)
            continue
        alternatives = schema.get("anyOf") or schema.get("oneOf")
        if alternatives and "properties" not in schema:  # an anyOf beside properties only constrains keys
            wanted = "object" if isinstance(value, dict) else "array" if isinstance(value, list) else None
            schema = next((alt for alt in alternatives if _types_of(alt, base)[:1] == [wanted]), {})
            continue
        return schema, base
    return {}, base


def _misspelled_keys(doc: Document, schema: Any, value: Any, path: YamlPath, base: str,
                     local: _Local = _NO_LOCAL) -> Iterator[Finding]:
    """Unknown keys close to a known key, in objects that allow extra keys."""
    schema, base = _object_schema(schema, value, base)
    if isinstance(value, dict):
        props: dict = schema.get("properties") or {}
        extra = schema.get("additionalProperties", True)
        for key, child in value.items():
            if key in props:
                yield from _misspelled_keys(doc, props[key], child, path + (key,), base, local)
            elif isinstance(extra, dict):
                yield from _misspelled_keys(doc, extra, child, path + (key,), base, local)
            elif extra is not False and props and not local.is_alias_of_known(key, props):
                near = _suggest_known(str(key), props)
                if near and near not in value:
                    where = _path_label(path) if path else "the top level"
                    yield doc.finding(path + (key,), "PV101",
                                      f"unknown key `{key}` at {where}; did you mean `{near}`?",
                                      hint=f"rename `{key}` to `{near}`; as written it is ignored", key=True,
                                      fix=rename_key(doc, path + (key,), near))
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            yield from _misspelled_keys(doc, schema["items"], item, path + (index,), base, local)
