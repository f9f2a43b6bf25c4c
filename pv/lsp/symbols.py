"""What a contract defines, and where: ids, formulas and formula symbols."""

from __future__ import annotations

from dataclasses import dataclass

from pv.core.document import Document, YamlPath

# The lists whose items carry an `id` (the consistency check's list).
ID_LISTS = ("invariants", "gates", "failure_modes", "falsification_tests", "proof_obligations", "kani_harnesses")
# Keys whose value names an id of this contract.
ID_REF_KEYS = ("binds_to", "falsification_id", "obligation")
ID_REF_LISTS = ("invariants",)  # gates[].invariants: [INV-…]
FORMULA_REF_KEY = "formulas"  # invariants[].formulas / gates[].formulas: [name, …]


@dataclass(frozen=True)
class Definition:
    name: str
    kind: str  # "gate", "invariant", …, "definition", "obligation", "symbol", "equation"
    path: YamlPath  # where the name is written (an `id` value or a mapping key)
    item: YamlPath  # the whole defining item
    is_key: bool


def _kind(list_key: str) -> str:
    return {"invariants": "invariant", "gates": "gate", "failure_modes": "failure mode",
            "falsification_tests": "falsification test", "proof_obligations": "proof obligation",
            "kani_harnesses": "Kani harness"}[list_key]


def definitions(doc: Document) -> dict[str, Definition]:
    """Every name the contract defines; the first definition wins (duplicates are PV201's)."""
    out: dict[str, Definition] = {}
    data = doc.data
    for list_key in ID_LISTS:
        items = data.get(list_key)
        for i, item in enumerate(items if isinstance(items, list) else []):
            ident = item.get("id") if isinstance(item, dict) else None
            if isinstance(ident, str) and ident not in out:
                out[ident] = Definition(ident, _kind(list_key), (list_key, i, "id"), (list_key, i), False)
    formulas = data.get("formulas")
    if isinstance(formulas, dict):
        for part, kind in (("definitions", "definition"), ("obligations", "obligation"), ("symbols", "symbol")):
            named = formulas.get(part)
            for name in named if isinstance(named, dict) else {}:
                path = ("formulas", part, name)
                out.setdefault(str(name), Definition(str(name), kind, path, path, True))
    equations = data.get("equations")
    for name in equations if isinstance(equations, dict) else {}:
        path = ("equations", name)
        out.setdefault(str(name), Definition(str(name), "equation", path, path, True))
    return out


def ids(doc: Document) -> dict[str, Definition]:
    return {k: v for k, v in definitions(doc).items() if v.path[-1] == "id"}


def formula_names(doc: Document) -> dict[str, Definition]:
    return {k: v for k, v in definitions(doc).items() if v.kind in ("definition", "obligation")}


def summary_of(doc: Document, item: YamlPath) -> str:
    """What a defining item says: its rule or description, then its formula and domain if it has them."""
    value = doc.get(item)
    if not isinstance(value, dict):
        return str(value) if isinstance(value, str | int | float) else ""
    parts = []
    for key in ("rule", "description", "property", "prediction"):
        text = value.get(key)
        if isinstance(text, str) and text.strip():
            parts.append(" ".join(text.split()))
            break
    for key, shown in (("formula", "formula: `{}`"), ("domain", "domain: {}")):
        text = value.get(key)
        if isinstance(text, str) and text.strip():
            parts.append(shown.format(" ".join(text.split())))
    return "\n\n".join(parts)
