"""The contract dependency graph: edges from `metadata.depends_on`, `peer_contracts` and
`parent_contracts`, resolved as the peer-file check resolves them (a repository path, or a
contract stem such as `softmax-kernel-v1`); an edge whose target does not exist is dangling."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pv.checks.consistency.check import PEER_KEYS, safe_repo_path
from pv.core.document import Document

KIND = {"depends_on": "depends on", "peer_contracts": "peer", "parent_contracts": "parent"}


@dataclass(frozen=True)
class Edge:
    source: str  # display name of the contract
    target: str  # display name of the target contract, or the reference as written when dangling
    kind: str  # depends_on, peer_contracts, parent_contracts
    dangling: bool


def edges_of(doc: Document, by_stem: dict[str, str], by_path: dict[str, str]) -> list[Edge]:
    metadata = doc.data.get("metadata")
    if not isinstance(metadata, dict):
        return []
    out = []
    for key in PEER_KEYS:
        entries = metadata.get(key)
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, str) or not entry.strip():
                continue
            name = entry.strip().split()[0]
            target = None
            if "/" in name or name.endswith((".yaml", ".yml")):
                resolved = safe_repo_path(doc.root, name)
                target = by_path.get(PurePosixPath(name).as_posix()) if resolved is not None else None
                if target is None and resolved is not None and resolved.is_file():
                    target = name
            elif re.fullmatch(r"[\w.-]+", name):
                target = by_stem.get(name)
            out.append(Edge(doc.file, target or name, key, target is None))
    return out


def build(docs: list[Document]) -> tuple[list[str], list[Edge]]:
    by_path = {doc.file: doc.file for doc in docs}
    by_stem: dict[str, str] = {}
    for doc in docs:
        by_stem.setdefault(Path(doc.file).stem, doc.file)
    edges = [edge for doc in docs for edge in edges_of(doc, by_stem, by_path)]
    return sorted(by_path), edges


def _node_id(name: str, ids: dict[str, str]) -> str:
    if name not in ids:
        ids[name] = f"n{len(ids)}"
    return ids[name]


def render(fmt: str, nodes: list[str], edges: list[Edge]) -> str:
    if fmt == "json":
        return json.dumps({"nodes": nodes, "edges": [
            {"from": e.source, "to": e.target, "kind": e.kind, "dangling": e.dangling} for e in edges]},
            indent=2, ensure_ascii=False) + "\n"
    if fmt == "mermaid":
        ids: dict[str, str] = {}
        lines = ["graph LR"]
        for node in nodes:
            lines.append(f'  {_node_id(node, ids)}["{_mermaid(node)}"]')
        for e in edges:
            arrow = "-.->" if e.kind == "peer_contracts" else "-->"
            target = _node_id(e.target, ids)
            if e.dangling:
                lines.append(f'  {target}["{_mermaid(e.target)} (missing)"]:::dangling')
            lines.append(f"  {_node_id(e.source, ids)} {arrow}|{KIND[e.kind]}| {target}")
        lines.append("  classDef dangling stroke:#d00,stroke-dasharray:4 2,color:#d00")
        return "\n".join(lines) + "\n"
    if fmt == "dot":
        lines = ["digraph contracts {", "  rankdir=LR;", "  node [shape=box];"]
        for node in nodes:
            lines.append(f"  {_dot(node)};")
        for e in edges:
            attrs = [f"label={_dot(KIND[e.kind])}"]
            if e.kind == "peer_contracts":
                attrs.append("style=dashed")
            if e.dangling:
                lines.append(f"  {_dot(e.target)} [color=red, fontcolor=red, style=dashed, "
                             f"label={_dot(e.target + ' (missing)')}];")
                attrs.append("color=red")
            lines.append(f"  {_dot(e.source)} -> {_dot(e.target)} [{', '.join(attrs)}];")
        lines.append("}")
        return "\n".join(lines) + "\n"
    from pv.reports.common import printable

    out = []
    for node in nodes:
        mine = [e for e in edges if e.source == node]
        if not mine:
            continue
        out.append(printable(node))
        for e in mine:
            mark = "  [dangling: no such contract]" if e.dangling else ""
            out.append(f"  -> {printable(e.target)} ({KIND[e.kind]}){mark}")
    dangling = sum(e.dangling for e in edges)
    alone = sum(1 for node in nodes if not any(e.source == node for e in edges))
    out.append(f"{len(nodes)} contracts ({alone} without references), {len(edges)} references, {dangling} dangling")
    return "\n".join(out) + "\n"


def _mermaid(text: str) -> str:
    return text.replace('"', "#quot;").replace("\n", " ")


def _dot(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)
