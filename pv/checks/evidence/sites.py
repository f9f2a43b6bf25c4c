"""Find every piece of cited evidence in a contract, and the gate it belongs to.

Evidence is looked for wherever contracts put it:
`gates[].evidence_discharged_by[]`, `falsification_tests[].evidence_discharged_by`,
`harness_discharged_by`, `discharged_evidence.evidence_discharged_by_live`
(prose records of live runs), `discharged_evidence.evidence_file`, and
`invariants[].harness[]` items (`name`, `kind`, `path`). The owner of an
entry is the nearest enclosing list item (a gate, a falsification test,
an invariant).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pv.checks.evidence.refs import Reference, parse_entry
from pv.core.document import Document, YamlPath

EVIDENCE_KEYS = ("evidence_discharged_by", "harness_discharged_by")
LIVE_KEYS = ("evidence_discharged_by_live",)
MAX_DEPTH = 64

EVIDENCE, HARNESS, LIVE, EVIDENCE_FILE = "evidence", "harness", "live", "evidence_file"


@dataclass
class Entry:
    path: YamlPath  # of the entry's value in the YAML
    ref: Reference
    role: str  # EVIDENCE, HARNESS, LIVE or EVIDENCE_FILE

    def located_path(self, which: str = "path") -> YamlPath:
        """Where a finding about this entry points (a mapping's `path` or `name` value)."""
        sub = self.ref.name_key if which == "name" and self.ref.name_key else self.ref.path_key
        return self.path + tuple(sub)


@dataclass
class Owner:
    path: YamlPath  # of the owning mapping
    data: dict[str, Any]
    entries: list[Entry] = field(default_factory=list)

    @property
    def id(self) -> str:
        value = self.data.get("id")
        return value if isinstance(value, str) and value else _format(self.path)

    @property
    def section(self) -> str:
        return str(self.path[0]) if self.path else ""

    @property
    def is_gate(self) -> bool:
        return self.section == "gates"

    @property
    def discharge_status(self) -> str | None:
        value = self.data.get("discharge_status")
        return value.strip().upper() if isinstance(value, str) else None

    @property
    def verdict(self) -> str | None:
        value = self.data.get("verdict")
        return value.strip().lower() if isinstance(value, str) else None

    @property
    def ship_blocking(self) -> bool:
        value = self.data.get("ship_blocking")
        return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _format(path: YamlPath) -> str:
    from pv.core.document import format_path

    return format_path(path)


def _list_entries(value: Any, path: YamlPath, role: str, *, harness: bool = False) -> list[Entry]:
    if isinstance(value, list):
        return [Entry(path + (i,), parse_entry(item, harness=harness), role) for i, item in enumerate(value)]
    if value is None:
        return []
    return [Entry(path, parse_entry(value, harness=harness), role)]


def collect(doc: Document) -> list[Owner]:
    """Every list-item mapping that cites evidence or carries a discharge status, plus every gate."""
    owners: dict[YamlPath, Owner] = {}

    def owner_for(path: YamlPath, node: dict[str, Any]) -> Owner:
        if path not in owners:
            owners[path] = Owner(path, node)
        return owners[path]

    def walk(node: Any, path: YamlPath, owner_path: YamlPath | None, owner_node: dict | None,
             depth: int) -> None:
        if depth > MAX_DEPTH:
            return
        if isinstance(node, list):
            for index, item in enumerate(node):
                child = path + (index,)
                if isinstance(item, dict):
                    walk(item, child, child, item, depth + 1)
                else:
                    walk(item, child, owner_path, owner_node, depth + 1)
            return
        if not isinstance(node, dict):
            return
        here_path = owner_path if owner_path is not None else path
        here_node = owner_node if owner_node is not None else node
        if path and path[0] == "gates" and len(path) == 2 and path == here_path:
            owner_for(path, node)
        if "discharge_status" in node and path == here_path:
            owner_for(path, node)
        for key, value in node.items():
            child = path + (key,)
            if key in EVIDENCE_KEYS:
                role = HARNESS if key == "harness_discharged_by" else EVIDENCE
                owner_for(here_path, here_node).entries.extend(_list_entries(value, child, role))
                continue
            if key in LIVE_KEYS:
                owner_for(here_path, here_node).entries.extend(_list_entries(value, child, LIVE))
                continue
            if key == "evidence_file" and isinstance(value, str):
                owner_for(here_path, here_node).entries.append(Entry(child, parse_entry(value), EVIDENCE_FILE))
                continue
            if key == "harness" and _is_harness_list(value):
                owner_for(here_path, here_node).entries.extend(
                    _list_entries(value, child, HARNESS, harness=True))
                continue
            walk(value, child, owner_path, owner_node, depth + 1)

    walk(doc.data, (), None, None, 0)
    return sorted(owners.values(), key=lambda o: _sort_key(doc, o.path))


def _is_harness_list(value: Any) -> bool:
    """`harness:` items with a `path` (not kani's plain harness-name strings)."""
    items = value if isinstance(value, list) else [value]
    return bool(items) and all(isinstance(i, dict) for i in items) and any("path" in i for i in items)


def _sort_key(doc: Document, path: YamlPath) -> tuple[int, int]:
    line, col, _, _ = doc.span(path)
    return line, col
