"""A small JSON Schema evaluator for the keywords pv's own schemas use.

Why: importing jsonschema and building a validator costs ~65 ms per process,
more than everything else `pv validate` does on one file. pv's schemas use a
small, fixed set of keywords, so this module evaluates those directly and
yields errors shaped like jsonschema's (validator, validator_value, schema,
instance, absolute_path, message). `supports()` says whether a schema stays
inside that set; otherwise pv uses jsonschema. tests/test_fastschema.py
checks that both give the same findings on every fixture and corpus file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

SUPPORTED = frozenset({
    "$schema", "$id", "$defs", "$comment", "title", "description", "default", "examples", "deprecated",
    "type", "properties", "required", "enum", "const", "items", "additionalProperties", "anyOf", "oneOf",
    "$ref", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems",
    "minLength", "maxLength", "pattern", "patternProperties", "minProperties", "maxProperties",
    "propertyNames",
})
# Keywords whose values are data, not subschemas.
_DATA = frozenset({"enum", "const", "required", "default", "examples"})


@dataclass
class SchemaError:
    validator: str
    validator_value: Any
    schema: dict
    instance: Any
    absolute_path: tuple = ()
    message: str = ""
    context: list = field(default_factory=list)


Resolver = Callable[[str, str], tuple[dict, str]]  # (ref, base file) -> (schema, its file)


def supports(schema: Any, resolve: Resolver, base: str, seen: set | None = None) -> bool:
    """True when every keyword reachable from `schema` is one this module evaluates."""
    seen = set() if seen is None else seen
    if isinstance(schema, bool):
        return True
    if not isinstance(schema, dict):
        return False
    for key, value in schema.items():
        if key not in SUPPORTED:
            return False
        if key in _DATA:
            continue
        if key == "$ref":
            target, file = resolve(value, base)
            if (file, value) not in seen:
                seen.add((file, value))
                if not supports(target, resolve, file, seen):
                    return False
        elif key in ("properties", "$defs", "patternProperties"):
            if not all(supports(sub, resolve, base, seen) for sub in value.values()):
                return False
        elif key in ("items", "additionalProperties", "propertyNames"):
            if not supports(value, resolve, base, seen):
                return False
        elif key in ("anyOf", "oneOf"):
            if not all(supports(sub, resolve, base, seen) for sub in value):
                return False
    return True


def _is_type(value: Any, kind: str) -> bool:
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "null":
        return value is None
    if isinstance(value, bool):
        return False
    if kind == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if kind == "number":
        return isinstance(value, (int, float))
    return False


def _equal(a: Any, b: Any) -> bool:
    """JSON equality: booleans are not numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    return a == b


class Evaluator:
    def __init__(self, resolve: Resolver) -> None:
        self.resolve = resolve

    def errors(self, schema: Any, instance: Any, base: str, path: tuple = ()) -> Iterator[SchemaError]:
        if schema is True or schema == {}:
            return
        if schema is False:
            yield SchemaError("false", False, {}, instance, path, "False schema does not allow it")
            return
        if "$ref" in schema:
            target, file = self.resolve(schema["$ref"], base)
            yield from self.errors(target, instance, file, path)
        kind = schema.get("type")
        if kind is not None:
            kinds = kind if isinstance(kind, list) else [kind]
            if not any(_is_type(instance, k) for k in kinds):
                yield SchemaError("type", kind, schema, instance, path, f"{instance!r} is not of type {kind!r}")
        if "enum" in schema and not any(_equal(instance, v) for v in schema["enum"]):
            yield SchemaError("enum", schema["enum"], schema, instance, path,
                              f"{instance!r} is not one of {schema['enum']!r}")
        if "const" in schema and not _equal(instance, schema["const"]):
            yield SchemaError("const", schema["const"], schema, instance, path,
                              f"{schema['const']!r} was expected")
        for keyword in ("anyOf", "oneOf"):
            if keyword in schema:
                yield from self._alternatives(keyword, schema, instance, base, path)
        if isinstance(instance, dict):
            yield from self._object(schema, instance, base, path)
        elif isinstance(instance, list):
            yield from self._array(schema, instance, base, path)
        elif isinstance(instance, str):
            yield from self._string(schema, instance, path)
        elif isinstance(instance, (int, float)) and not isinstance(instance, bool):
            yield from self._number(schema, instance, path)

    def _alternatives(self, keyword: str, schema: dict, instance: Any, base: str, path: tuple) -> Iterator[SchemaError]:
        contexts = [list(self.errors(sub, instance, base, path)) for sub in schema[keyword]]
        passing = sum(1 for errs in contexts if not errs)
        if passing == 0:
            yield SchemaError(keyword, schema[keyword], schema, instance, path,
                              f"{instance!r} is not valid under any of the given schemas",
                              [e for errs in contexts for e in errs])
        elif keyword == "oneOf" and passing > 1:
            yield SchemaError(keyword, schema[keyword], schema, instance, path,
                              f"{instance!r} is valid under each of {passing} of the given schemas")

    def _object(self, schema: dict, instance: dict, base: str, path: tuple) -> Iterator[SchemaError]:
        props = schema.get("properties", {})
        patterns = schema.get("patternProperties", {})
        for name in schema.get("required", ()):
            if name not in instance:
                yield SchemaError("required", schema["required"], schema, instance, path,
                                  f"{name!r} is a required property")
        if "minProperties" in schema and len(instance) < schema["minProperties"]:
            yield SchemaError("minProperties", schema["minProperties"], schema, instance, path,
                              f"{instance!r} does not have enough properties")
        if "maxProperties" in schema and len(instance) > schema["maxProperties"]:
            yield SchemaError("maxProperties", schema["maxProperties"], schema, instance, path,
                              f"{instance!r} has too many properties")
        if "propertyNames" in schema:
            for key in instance:
                yield from self.errors(schema["propertyNames"], key, base, path)
        extra = schema.get("additionalProperties", True)
        unexpected = []
        for key, value in instance.items():
            matched = False
            if key in props:
                matched = True
                yield from self.errors(props[key], value, base, path + (key,))
            for pattern, sub in patterns.items():
                if re.search(pattern, key):
                    matched = True
                    yield from self.errors(sub, value, base, path + (key,))
            if not matched:
                if extra is False:
                    unexpected.append(key)
                elif isinstance(extra, dict):
                    yield from self.errors(extra, value, base, path + (key,))
        if unexpected:
            yield SchemaError("additionalProperties", False, schema, instance, path,
                              f"Additional properties are not allowed ({', '.join(map(repr, unexpected))} "
                              f"{'was' if len(unexpected) == 1 else 'were'} unexpected)")

    def _array(self, schema: dict, instance: list, base: str, path: tuple) -> Iterator[SchemaError]:
        if "minItems" in schema and len(instance) < schema["minItems"]:
            yield SchemaError("minItems", schema["minItems"], schema, instance, path,
                              f"{instance!r} should be non-empty" if schema["minItems"] == 1
                              else f"{instance!r} is too short")
        if "maxItems" in schema and len(instance) > schema["maxItems"]:
            yield SchemaError("maxItems", schema["maxItems"], schema, instance, path, f"{instance!r} is too long")
        items = schema.get("items")
        if items is not None:
            for index, item in enumerate(instance):
                yield from self.errors(items, item, base, path + (index,))

    @staticmethod
    def _string(schema: dict, instance: str, path: tuple) -> Iterator[SchemaError]:
        if "minLength" in schema and len(instance) < schema["minLength"]:
            yield SchemaError("minLength", schema["minLength"], schema, instance, path,
                              f"{instance!r} should be non-empty" if schema["minLength"] == 1
                              else f"{instance!r} is too short")
        if "maxLength" in schema and len(instance) > schema["maxLength"]:
            yield SchemaError("maxLength", schema["maxLength"], schema, instance, path, f"{instance!r} is too long")
        if "pattern" in schema and not re.search(schema["pattern"], instance):
            yield SchemaError("pattern", schema["pattern"], schema, instance, path,
                              f"{instance!r} does not match {schema['pattern']!r}")

    @staticmethod
    def _number(schema: dict, instance: float, path: tuple) -> Iterator[SchemaError]:
        checks = (("minimum", lambda v, m: v < m, "is less than the minimum of"),
                  ("maximum", lambda v, m: v > m, "is greater than the maximum of"),
                  ("exclusiveMinimum", lambda v, m: v <= m, "is less than or equal to the minimum of"),
                  ("exclusiveMaximum", lambda v, m: v >= m, "is greater than or equal to the maximum of"))
        for keyword, fails, words in checks:
            if keyword in schema and fails(instance, schema[keyword]):
                yield SchemaError(keyword, schema[keyword], schema, instance, path,
                                  f"{instance!r} {words} {schema[keyword]!r}")
