"""Which functions a binding may name, decided from the source text before anything is imported.

`pv verify` calls the functions a contract names, and a contract arrives with
a pull request. So a target (`package.module:Name.attr`) must be *defined* (a
`def` or `class`, not an import or an assignment) in a Python file of the
repository's own tracked source:

- the file is found under the root by the module's dotted name, without
  importing anything (no package `__init__` runs for a refused target);
- in a git checkout the file must be tracked (`git ls-files`), which leaves out
  a virtualenv, `site-packages`, build output and anything generated; outside
  git, such directories are refused by name (`pyvenv.cfg`, `site-packages`,
  `dist-packages`, `build`, `dist`, hidden directories, ...);
- pv's own modules only when pv is the repository being checked, and then only
  public names (a private helper of pv that runs a command is never callable);
- no part of the name may be a dunder (`f.__globals__` reaches anywhere);
- `verify_modules` in `[tool.pv]` (module globs) narrows the choice further.

After the import, `binding.resolve` checks that the object really comes from
that file (a decorator could have replaced it).
"""

from __future__ import annotations

import ast
import fnmatch
import os
import subprocess
from functools import lru_cache
from pathlib import Path

MAX_SOURCE_BYTES = 2 * 1024 * 1024
_REFUSED_DIRS = {"site-packages", "dist-packages", "build", "dist", "node_modules", "__pycache__",
                 "__pypackages__", "venv", "env"}


class TargetError(Exception):
    """The target may not be called (or cannot be found); the message says why, in pv's words."""


def split_target(target: object) -> tuple[list[str], list[str]]:
    """`a.b:C.d` -> (["a", "b"], ["C", "d"]); TargetError when it is not of that shape."""
    if not isinstance(target, str) or target.count(":") != 1:
        raise TargetError(f"`{target}` is not of the form `package.module:function`")
    module, qualname = target.split(":")
    parts, names = module.split("."), qualname.split(".")
    if not all(p.isidentifier() and p.isascii() for p in parts):
        raise TargetError(f"`{module}` is not a module name")
    if not all(n.isidentifier() and n.isascii() for n in names):
        raise TargetError(f"`{qualname}` is not a function name")
    if any(n.startswith("__") for n in parts + names):
        raise TargetError(f"`{target}` names a dunder attribute; pv verify only calls plain functions and classes")
    return parts, names


@lru_cache(maxsize=8)
def tracked_files(root: str) -> frozenset[str] | None:
    """Repo-relative paths git tracks under `root` (None when `root` is not in a git work tree)."""
    try:
        proc = subprocess.run(["git", "-C", root, "ls-files", "-z", "--cached"], capture_output=True,
                              timeout=30, check=False, env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"})
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    return frozenset(os.fsdecode(p) for p in proc.stdout.split(b"\0") if p)


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):  # a name over NAME_MAX is no file, not a crash
        return False


def _pv_home() -> Path:
    return Path(__file__).resolve().parents[3]  # the directory holding the `pv` package


def _refused_dir(root: Path, relative: Path) -> str | None:
    """Why a directory on the way to the file is not source (None when none is)."""
    here = root
    for part in relative.parts[:-1]:
        here = here / part
        if part in _REFUSED_DIRS or part.startswith(".") or part.endswith(".egg-info"):
            return f"`{part}/` is not the repository's source (a virtualenv, installed packages or build output)"
        if _is_file(here / "pyvenv.cfg"):
            return f"`{part}/` is a virtualenv, not the repository's source"
    return None


def source_file(parts: list[str], root: Path) -> Path:
    """The repository file defining module `parts`, found without importing; TargetError otherwise."""
    module = ".".join(parts)
    real_root = Path(os.path.realpath(root))
    base = root.joinpath(*parts)
    candidates = [base.with_name(base.name + ".py"), base / "__init__.py"]
    found = next((c for c in candidates if _is_file(c)), None)
    if found is None:
        raise TargetError(f"cannot import `{module}`: no file {'/'.join(parts)}.py (or package) in the "
                          "repository; pv verify only calls the repository's own code")
    relative = found.relative_to(root)
    real = Path(os.path.realpath(found))
    if real_root != real and real_root not in real.parents:
        raise TargetError(f"`{module}` leads outside the repository through a symbolic link; "
                          "pv verify only calls the repository's own code")
    tracked = tracked_files(str(root))
    if tracked is not None:
        if relative.as_posix() not in tracked:
            raise TargetError(f"`{relative.as_posix()}` is not tracked by git; pv verify only calls the "
                              "repository's own code")
    else:
        why = _refused_dir(root, relative)
        if why:
            raise TargetError(f"`{module}`: {why}; pv verify only calls the repository's own code")
    return found


def _bound_names(body: list[ast.stmt]) -> dict[str, list[ast.AST]]:
    """Every statement of a scope (not of nested functions) that binds each name."""
    bound: dict[str, list[ast.AST]] = {}

    def add(name: str, node: ast.AST) -> None:
        bound.setdefault(name, []).append(node)

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                add(node.name, node)
                continue
            if isinstance(node, ast.Import | ast.ImportFrom):
                for alias in node.names:
                    add((alias.asname or alias.name).split(".")[0], node)
                continue
            if isinstance(node, ast.Global | ast.Nonlocal):
                for name in node.names:
                    add(name, node)
                continue
            blocks: list[list[ast.stmt]] = []
            for _, value in ast.iter_fields(node):  # the statement's own parts, then its nested blocks
                items = value if isinstance(value, list) else [value]
                if items and all(isinstance(i, ast.stmt) for i in items):
                    blocks.append(items)
                    continue
                for item in items:
                    if isinstance(item, ast.ExceptHandler):
                        if item.name:
                            add(item.name, node)
                        blocks.append(item.body)
                    elif isinstance(item, ast.match_case):
                        blocks.append(item.body)
                    elif isinstance(item, ast.AST):
                        for child in ast.walk(item):
                            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store | ast.Del):
                                add(child.id, node)
            for block in blocks:
                visit(block)

    visit(body)
    return bound


def check_defined(path: Path, module: str, names: list[str]) -> None:
    """`names` (a qualname) is a `def`/`class` in the file's source, bound by nothing else."""
    try:
        if path.stat().st_size > MAX_SOURCE_BYTES:
            raise TargetError(f"`{module}` is larger than {MAX_SOURCE_BYTES} bytes; pv verify does not read it")
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise TargetError(f"cannot read `{module}`: {type(exc).__name__}") from None
    body: list[ast.stmt] = tree.body
    for depth, name in enumerate(names):
        bindings = _bound_names(body).get(name, [])
        defs = [b for b in bindings if isinstance(b, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)]
        where = module if depth == 0 else f"{module}:{'.'.join(names[:depth])}"
        if not defs:
            if bindings:
                raise TargetError(f"`{where}.{name}` is not a function or class defined there (it is imported "
                                  "or assigned); pv verify only calls functions defined in the repository's "
                                  "own code")
            raise TargetError(f"`{where}` has no attribute `{name}` (no `def` or `class` of that name in "
                              f"{path.name})")
        if len(bindings) != len(defs):
            raise TargetError(f"`{where}.{name}` is also rebound by an import or assignment; pv verify only "
                              "calls functions defined in the repository's own code")
        if depth < len(names) - 1:
            if not isinstance(defs[-1], ast.ClassDef):
                raise TargetError(f"`{where}.{name}` is a function, so it has no attribute `{names[depth + 1]}`")
            body = defs[-1].body


def check_target(target: object, root: Path, allowed_modules: tuple[str, ...] = ()) -> Path:
    """The source file of an allowed target; TargetError (with the reason) for every other one."""
    parts, names = split_target(target)
    module = ".".join(parts)
    if allowed_modules and not any(fnmatch.fnmatchcase(module, glob) for glob in allowed_modules):
        raise TargetError(f"`{module}` is not in `verify_modules` of [tool.pv] "
                          f"({', '.join(allowed_modules)}); pv verify only calls the modules listed there")
    path = source_file(parts, root)
    real = Path(os.path.realpath(path))
    home = _pv_home()
    if home / "pv" in real.parents:  # pv's own code
        if Path(os.path.realpath(root)) != home:
            raise TargetError(f"`{module}` is pv's own code, not the repository's; pv verify only calls the "
                              "repository's own code")
        if any(n.startswith("_") for n in names):
            raise TargetError(f"`{target}` is a private part of pv; pv verify only calls pv's public functions")
    check_defined(path, module, names)
    return path
