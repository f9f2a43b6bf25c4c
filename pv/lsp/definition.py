"""Go to definition: evidence -> the test or Rust item, an id or formula name -> where it is defined,
a peer contract -> its file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pv.core.document import Document
from pv.lsp import evidence_info, symbols
from pv.lsp.positions import node_at, word_at

PEER_KEYS = ("depends_on", "peer_contracts", "parent_contracts")  # as the peer-files check reads them
_CONTRACT_STEM = re.compile(r"[\w.-]+-v\d+\Z")


@dataclass(frozen=True)
class Target:
    file: Path
    line: int  # 1-based
    col: int
    end_line: int
    end_col: int


def definition(text: str, doc: Document | None, line: int, col: int,
               contract_dirs: tuple[str, ...] = ("contracts",)) -> Target | None:
    if doc is None:
        return None
    node = node_at(doc, line, col)
    if node is None:
        return None
    if not node.is_key:
        cited = evidence_info.cited_at(doc, node.path)
        if cited is not None:
            where = evidence_info.location(cited)
            return Target(where[0], where[1], 1, where[1], 1) if where else None
        if len(node.path) == 3 and node.path[0] == "metadata" and node.path[1] in PEER_KEYS:
            peer = peer_file(doc, doc.get(node.path), contract_dirs)
            return Target(peer, 1, 1, 1, 1) if peer is not None else None
    defined = symbols.definitions(doc)
    value = doc.get(node.path)
    name = value.strip() if not node.is_key and isinstance(value, str) else None
    if name not in defined:
        word = word_at(text, line, col)
        name = word[0] if word is not None else None
    if name not in defined:
        return None
    found = defined[name]
    span = doc.span(found.path, key=found.is_key)
    return Target(doc.abspath, *span)


def peer_file(doc: Document, entry: object, contract_dirs: tuple[str, ...]) -> Path | None:
    """The file a `metadata.depends_on` entry names: a repo-relative path or a contract's stem."""
    from pv.checks.consistency.check import safe_repo_path

    if not isinstance(entry, str) or not entry.strip():
        return None
    name = entry.strip().split()[0]
    if "/" in name or name.endswith((".yaml", ".yml")):
        target = safe_repo_path(doc.root, name)
        return target if target is not None and target.is_file() else None
    if not _CONTRACT_STEM.fullmatch(name):
        return None
    for suffix in (".yaml", ".yml"):
        candidate = doc.abspath.parent / f"{name}{suffix}"
        if candidate.is_file():
            return candidate
    for directory in contract_dirs:
        base = safe_repo_path(doc.root, directory)
        if base is not None and base.is_dir():
            for candidate in sorted(base.rglob(f"{name}.y*ml")):
                if candidate.is_file() and candidate.resolve().is_relative_to(doc.root.resolve()):
                    return candidate
    return None
