"""Closed vocabularies from pv's JSON Schemas: the values a key may take, by its key path."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

KeyPath = tuple[str, ...]  # keys from the top, list indexes dropped: ("gates", "verdict")


@lru_cache(maxsize=1)
def vocabularies() -> dict[KeyPath, tuple[str, ...]]:
    """Every `enum` (and `const`) of the schemas, keyed by the key path it applies to."""
    from pv.checks.schema.files import schema_dir

    schemas: dict[str, Any] = {}
    for path in sorted(schema_dir().glob("*.schema.json")):
        try:
            schemas[path.name] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
    found: dict[KeyPath, list[str]] = {}

    def resolve(ref: str, base: str) -> tuple[Any, str]:
        file, _, pointer = ref.partition("#")
        file = file or base
        node: Any = schemas.get(file, {})
        for part in [p for p in pointer.split("/") if p]:
            node = node.get(part, {}) if isinstance(node, dict) else {}
        return node, file

    def walk(node: Any, keys: KeyPath, base: str, depth: int) -> None:
        if not isinstance(node, dict) or depth > 12:
            return
        values = node.get("enum") or ([node["const"]] if "const" in node else None)
        if isinstance(values, list) and keys:
            bucket = found.setdefault(keys, [])
            bucket += [str(v) for v in values if isinstance(v, str) and str(v) not in bucket]
        if isinstance(node.get("$ref"), str):
            target, file = resolve(node["$ref"], base)
            walk(target, keys, file, depth + 1)
        for name, sub in (node.get("properties") or {}).items():
            walk(sub, keys + (name,), base, depth + 1)
        if isinstance(node.get("items"), dict):
            walk(node["items"], keys, base, depth + 1)
        for combinator in ("allOf", "anyOf", "oneOf"):
            for sub in node.get(combinator) or []:
                walk(sub, keys, base, depth + 1)
        for keyword in ("then", "else"):
            walk(node.get(keyword), keys, base, depth + 1)

    for name, schema in schemas.items():
        walk(schema, (), name, 0)
    return {keys: tuple(values) for keys, values in found.items() if values}


def values_for(keys: KeyPath) -> tuple[str, ...]:
    """The closed vocabulary of the key at `keys` (empty when the schemas leave it open)."""
    return vocabularies().get(keys, ())
