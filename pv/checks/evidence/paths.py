"""Resolve a path written in a contract to a file inside the repository root.

Refuses absolute paths, `..` that climbs above the root, and symbolic links
(anywhere along the path) that lead outside it. Nothing outside the root
is ever opened.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pv.checks.evidence.refs import path_problem


@dataclass(frozen=True)
class Located:
    path: Path | None  # real path inside the root, None when refused
    exists: bool
    problem: str | None = None  # why the path was refused


@lru_cache(maxsize=64)
def _real_root(root: str) -> str:
    return os.path.realpath(root)


def locate(root: Path, relative: str) -> Located:
    """Where `relative` (as written in the contract) points, if it is allowed."""
    problem = path_problem(relative)
    if problem is not None:
        return Located(None, False, problem)
    real_root = _real_root(str(root))
    candidate = os.path.join(real_root, relative.replace("\\", "/"))
    real = os.path.realpath(candidate)
    if real != real_root and not real.startswith(real_root.rstrip(os.sep) + os.sep):
        return Located(None, False, "a symbolic link leads outside the repository root")
    return Located(Path(real), os.path.exists(real))

