"""The repository's test node ids, for completion in `evidence_discharged_by`.

Found statically with the evidence check's own indexes (nothing is imported
or run) and cached per file by (mtime, size) there. The walk stays inside the
repository root, skips virtual environments and build output, does not
follow symbolic links, and stops at a cap so a huge tree cannot stall it.
"""

from __future__ import annotations

import os
from pathlib import Path

MAX_FILES = 3000  # test files indexed
MAX_ENTRIES = 50_000  # directory entries looked at: a root that is a home directory stays cheap
_SKIP_DIRS = {".git", ".hg", ".svn", ".venv", "venv", "env", "node_modules", "target", "build", "dist",
              "__pycache__", ".pv_cache", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox", ".nox"}


def _is_python_test(name: str) -> bool:
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def test_files(root: Path) -> list[Path]:
    found: list[Path] = []
    seen = 0
    for top, dirs, files in os.walk(root, followlinks=False):
        seen += len(dirs) + len(files)
        if seen > MAX_ENTRIES:
            return found
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        for name in sorted(files):
            if _is_python_test(name) or (name.endswith(".rs") and ("test" in name or "tests" in top)):
                found.append(Path(top) / name)
                if len(found) >= MAX_FILES:
                    return found
    return found


def node_ids(root: Path) -> list[tuple[str, int]]:
    """(node id, line) of every test pytest or cargo would collect, e.g. `tests/test_x.py::test_y`."""
    from pv.checks.evidence.refs import PYTHON, RUST
    from pv.checks.evidence.resolve import parsed

    out: list[tuple[str, int]] = []
    for path in test_files(root):
        if path.is_symlink():
            continue
        relative = path.relative_to(root).as_posix()
        if path.suffix == ".py":
            module = parsed(path, PYTHON)
            out += [(relative + "::" + "::".join(fn.qualname), fn.line)
                    for fn in module.functions.values() if fn.is_test]
        else:
            rust = parsed(path, RUST)
            out += [(relative + "::" + "::".join(item.path), item.line)
                    for item in rust.items.values() if item.is_test]
    return out
