"""Repository root discovery and the `[tool.pv]` settings in pyproject.toml."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pv.core.loader import DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, MAX_DEPTH_CAP, LoadLimits


@dataclass(frozen=True)
class Config:
    root: Path
    contract_dirs: tuple[str, ...] = ("contracts",)
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    limits: LoadLimits = field(default_factory=LoadLimits)
    verify_modules: tuple[str, ...] = ()  # module globs `pv verify` may call; empty: the repository's source
    errors: tuple[str, ...] = ()  # problems with the configuration itself
    # A repository's own conventions: extra values of a closed vocabulary per field name,
    # extra legacy names per canonical key, and whether two-part versions ("1.0") are errors.
    vocabularies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    strict_versions: bool = False


def find_root(start: Path) -> Path:
    """Nearest ancestor holding pyproject.toml or .git; else `start` itself."""
    start = start.resolve()
    for candidate in (start, *start.parents):
        if (candidate / "pyproject.toml").is_file() or (candidate / ".git").exists():
            return candidate
    return start


def load_config(root: Path) -> Config:
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return Config(root=root)
    try:
        tool = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {})
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        return Config(root=root, errors=(f"{pyproject}: cannot read [tool.pv]: {exc}",))
    table = tool.get("pv", {}) if isinstance(tool, dict) else None
    if not isinstance(table, dict):  # `tool = 5` or `[tool] pv = 5`
        return Config(root=root, errors=(f"{pyproject}: [tool.pv] must be a table",))
    errors = []

    def strings(key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = table.get(key, list(default))
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            errors.append(f"[tool.pv] {key} must be a list of strings")
            return default
        if any("\0" in v or not v.strip() for v in value):  # a NUL reaches no file; "" names nothing
            errors.append(f"[tool.pv] {key} holds an empty string or a NUL character")
            return default
        return tuple(value)

    def positive_int(key: str, default: int, most: int | None = None) -> int:
        value = table.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            errors.append(f"[tool.pv] {key} must be a positive integer")
            return default
        return value if most is None else min(value, most)  # clamped: memory and recursion grow with it

    def string_lists(key: str) -> dict[str, tuple[str, ...]]:
        value = table.get(key, {})
        if not isinstance(value, dict) or not all(
                isinstance(v, list) and all(isinstance(x, str) for x in v) for v in value.values()):
            errors.append(f"[tool.pv.{key}] must map names to lists of strings")
            return {}
        return {name: tuple(v) for name, v in value.items()}

    strict_versions = table.get("strict_versions", False)
    if not isinstance(strict_versions, bool):
        errors.append("[tool.pv] strict_versions must be true or false")
        strict_versions = False
    vocabularies, aliases = string_lists("vocabularies"), string_lists("aliases")
    contract_dirs = strings("contract_dirs", ("contracts",))
    real_root = root.resolve()
    for directory in contract_dirs:
        # pyproject.toml comes with pull requests too: it may not point pv outside the repository.
        try:
            target = (root / directory).resolve()
        except (OSError, ValueError, RuntimeError) as exc:  # a symlink loop, a name too long
            errors.append(f"[tool.pv] contract_dirs: `{directory}` is not a usable path ({type(exc).__name__})")
            continue
        if Path(directory).is_absolute() or not (target == real_root or real_root in target.parents):
            errors.append(f"[tool.pv] contract_dirs: `{directory}` is outside the repository root")
    return Config(
        root=root,
        contract_dirs=contract_dirs,
        select=strings("select", ()),
        ignore=strings("ignore", ()),
        verify_modules=strings("verify_modules", ()),
        limits=LoadLimits(positive_int("max_file_bytes", DEFAULT_MAX_BYTES),
                          positive_int("max_depth", DEFAULT_MAX_DEPTH, MAX_DEPTH_CAP)),
        errors=tuple(errors),
        vocabularies=vocabularies,
        aliases=aliases,
        strict_versions=strict_versions,
    )
