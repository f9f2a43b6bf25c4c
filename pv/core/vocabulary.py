"""Legacy field names and closed vocabularies, as the Rust pv accepts them, plus a repository's own.

The Rust pv (serde) reads `statement:` as `property:`, `expected:` as
`prediction:` and so on, in the lists where it declares those aliases; pv
accepts the same. A repository may add its own values to a closed vocabulary
(`[tool.pv.vocabularies] verdict = ["active"]`) or its own legacy names
(`[tool.pv.aliases] rule = ["condition"]`); both are read from the config
with getattr, so a config without them means "none".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# list key -> canonical field -> legacy names (serde `alias = ...` in the Rust pv's schema types)
BUILTIN_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "proof_obligations": {"property": ("statement",), "formal": ("verification",)},
    "falsification_tests": {"rule": ("description",), "prediction": ("expected",), "test": ("command",),
                            "if_fails": ("fails_if",)},
}


def config_vocabularies(config: object) -> dict[str, tuple[str, ...]]:
    """Extra allowed values per field name (`verdict`, or a dotted tail such as `lean.status`)."""
    value = getattr(config, "vocabularies", None) or {}
    return {str(k): tuple(str(v) for v in vs) for k, vs in value.items()} if isinstance(value, Mapping) else {}


def config_aliases(config: object) -> dict[str, tuple[str, ...]]:
    """Extra legacy names per canonical key, valid wherever the canonical key is."""
    value = getattr(config, "aliases", None) or {}
    return {str(k): tuple(str(v) for v in vs) for k, vs in value.items()} if isinstance(value, Mapping) else {}


def strict_versions(config: object) -> bool:
    return bool(getattr(config, "strict_versions", False))


def extra_values_for(path: tuple, vocabularies: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    """Values a repository added for the field at `path` (matched by name or dotted tail, indices ignored)."""
    names = [str(p) for p in path if isinstance(p, str)]
    found: list[str] = []
    for key, values in vocabularies.items():
        parts = key.split(".")
        if names[-len(parts):] == parts:
            found.extend(values)
    return tuple(found)


def aliases_of(canonical: str, list_key: str | None, config: object = None) -> tuple[str, ...]:
    """Legacy names of `canonical`: the built-in ones of `list_key`'s items, then the repository's."""
    builtin = BUILTIN_ALIASES.get(list_key or "", {}).get(canonical, ())
    return builtin + config_aliases(config).get(canonical, ())


def field(item: Mapping, canonical: str, list_key: str | None = None,
          config: object = None) -> tuple[str | None, Any]:
    """(key actually written, its value) for `canonical` or one of its legacy names; (None, None) if absent."""
    if canonical in item:
        return canonical, item[canonical]
    for alias in aliases_of(canonical, list_key, config):
        if alias in item:
            return alias, item[alias]
    return None, None


def declared_kind(data: Mapping) -> str | None:
    """The contract's kind as the Rust pv reads it: `metadata.kind`, else `registry` for `registry: true`."""
    metadata = data.get("metadata")
    if not isinstance(metadata, Mapping):
        return None
    kind = metadata.get("kind")
    if isinstance(kind, str) and kind.strip():
        return kind.strip()
    if metadata.get("registry") is True:
        return "registry"
    return None
