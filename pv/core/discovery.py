"""Which files `pv validate` looks at."""

from __future__ import annotations

import os
from pathlib import Path

SUFFIXES = (".yaml", ".yml")
SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".pv_cache"}


def _walk(top: Path, root: Path | None) -> list[tuple[Path, str | None]]:
    """Contract files under `top` (symbolic links to folders not followed, as rglob), sorted,
    each with its display name when it can be known without resolving the path."""
    from pv.core.loader import display_name

    real_top = os.path.realpath(top)
    real_root = os.path.realpath(root) if root is not None else None
    # Below a real (link-free) folder, a file that is no link is its own real path, so its name
    # relative to the root is plain text: no per-file resolve() (10,000 of them cost a second).
    # scandir's entry types come with the listing: no stat per file either.
    prefix = None
    if real_root is not None and (real_top == real_root or real_top.startswith(real_root + os.sep)):
        prefix = real_top[len(real_root):].strip(os.sep)
    found: list[tuple[Path, str | None]] = []
    stack: list[tuple[str, tuple[str, ...]]] = [(os.fspath(top), ())]
    while stack:
        directory, parts = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            try:
                if entry.is_dir(follow_symlinks=False):
                    if name not in SKIP_DIRS:
                        stack.append((entry.path, (*parts, name)))
                    continue
                if not name.endswith(SUFFIXES):
                    continue
                if entry.is_symlink():
                    if not entry.is_file():  # a link to a folder or to nothing
                        continue
                    shown = display_name(Path(entry.path), root) if root is not None else None
                elif not entry.is_file(follow_symlinks=False):
                    continue
                elif prefix is not None:
                    shown = "/".join(p for p in (prefix, *parts, name) if p)
                else:
                    shown = display_name(Path(entry.path), root) if root is not None else None
            except OSError:
                continue
            found.append((Path(entry.path), shown))
    found.sort(key=lambda item: item[0].parts)  # as sorted(Path) did
    return found


def expand_named(paths: list[Path], root: Path | None = None,
                 exclude: tuple[str, ...] = ()) -> tuple[list[tuple[Path, str]], list[str]]:
    """Expand files and directories (recursively) into (contract file, display name) pairs.

    Returns (files, problems). A named file is taken whatever its suffix (and
    even when `exclude` covers it: naming it is asking for it, as with ruff);
    directories contribute their *.yaml / *.yml files that no `exclude` glob
    covers (globs match paths relative to `root`). Order is stable.
    """
    from pv.core.globs import matches_any
    from pv.core.loader import display_name

    base = root if root is not None else Path.cwd()
    files: list[tuple[Path, str]] = []
    problems: list[str] = []
    seen: set[str] = set()
    for path in paths:
        if path.is_dir():
            found = [(p, name or display_name(p, base)) for p, name in _walk(path, root)]
            if exclude and root is not None:
                found = [(p, name) for p, name in found if not matches_any(name, exclude)]
        elif path.exists():
            found = [(path, display_name(path, base))]
        else:
            problems.append(f"{display_name(path, base)}: no such file or directory")
            continue
        for candidate, name in found:
            if name not in seen:  # names are real paths relative to the root: one per file
                seen.add(name)
                files.append((candidate, name))
    return files, problems


def expand(paths: list[Path], root: Path | None = None, exclude: tuple[str, ...] = ()) -> tuple[list[Path], list[str]]:
    """`expand_named` without the names."""
    files, problems = expand_named(paths, root, exclude)
    return [path for path, _ in files], problems
