"""Which files `pv validate` looks at."""

from __future__ import annotations

from pathlib import Path

SUFFIXES = (".yaml", ".yml")
SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".pv_cache"}


def expand(paths: list[Path]) -> tuple[list[Path], list[str]]:
    """Expand files and directories (recursively) into contract files.

    Returns (files, problems). A named file is taken whatever its suffix;
    directories contribute their *.yaml / *.yml files. Order is stable.
    """
    files: list[Path] = []
    problems: list[str] = []
    seen: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*")
                if p.suffix in SUFFIXES and p.is_file()
                and not SKIP_DIRS.intersection(p.relative_to(path).parts[:-1])
            )
        elif path.exists():
            found = [path]
        else:
            problems.append(f"{path}: no such file or directory")
            continue
        for candidate in found:
            key = candidate.resolve()
            if key not in seen:
                seen.add(key)
                files.append(candidate)
    return files, problems
