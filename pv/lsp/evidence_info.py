"""Evidence references at a position: where the cited test is, and whether it counts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pv.core.document import Document, YamlPath


@dataclass
class Cited:
    owner_id: str
    entry_path: YamlPath
    role: str
    resolution: Any  # pv.checks.evidence.resolve.Resolution


def cited_at(doc: Document, path: YamlPath) -> Cited | None:
    """The evidence entry whose YAML node holds `path`, resolved statically (nothing is run)."""
    from pv.checks.evidence.check import analyze, applies

    if not applies(doc.data):
        return None
    for result in analyze(doc, doc.root):
        for entry, res in zip(result.owner.entries, result.resolutions):
            if path[:len(entry.path)] == entry.path:
                return Cited(result.owner.id, entry.path, entry.role, res)
    return None


def location(cited: Cited) -> tuple[Path, int] | None:
    """(file, 1-based line) of the cited item; line 1 for a whole file."""
    res = cited.resolution
    if not res.ok or res.path is None or not Path(res.path).is_file():
        return None
    return Path(res.path), res.line or 1


def describe(cited: Cited, root: Path) -> str:
    res = cited.resolution
    ref = res.ref
    lines = [f"**evidence** `{_short(ref.display)}` — cited by {cited.owner_id}", ""]
    where = location(cited)
    if where is not None:
        try:
            shown = where[0].resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            shown = str(where[0])
        lines.append(f"{res.target or 'item'} at `{shown}:{where[1]}`")
    if not res.ok:
        lines.append(f"**does not count**: {res.message}")
        if res.hint:
            lines.append(f"hint: {res.hint}")
    elif res.issues:
        lines.append("**does not count as it stands**:")
        lines += [f"- {issue.code}: {issue.message}" for issue in res.issues]
    else:
        runner = {"pytest": "pytest can run it", "cargo": "cargo test can run it"}.get(res.runnable or "", "")
        lines.append("**counts** as evidence" + (f"; {runner}" if runner else ""))
    return "\n".join(lines)


def _short(text: str, limit: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
