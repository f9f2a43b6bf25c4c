"""Repository root discovery and pv's configuration.

Where the configuration comes from (the first of these at the root that has pv
settings wins, the others are not read, as ruff does with ruff.toml/pyproject):

1. `.pv.toml`      keys at the top level
2. `pv.toml`       keys at the top level (a Cargo or Go repository has no pyproject)
3. `pyproject.toml` the `[tool.pv]` table (a pyproject without it is not a source)

then built-in defaults. Command-line options (`--select`, `--ignore`, …)
override the file for one run. `pv config` prints the effective values and
where each came from. Keys may be spelt with `-` or `_` (`per-file-ignores`
and `per_file_ignores` are the same key). A bad value is a usage error (exit 2)
naming the file and the key: a config that is silently half-applied is worse
than none.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pv.core.findings import Severity
from pv.core.loader import DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, MAX_DEPTH_CAP, LoadLimits

CONFIG_FILES = (".pv.toml", "pv.toml", "pyproject.toml")  # in order of precedence
DEFAULT_BASELINE = ".pv-baseline.json"

# Canonical spelling of every key, as `pv config` prints it.
KEYS = ("contract_dirs", "exclude", "select", "ignore", "severity", "per-file-ignores", "baseline",
        "max_file_bytes", "max_depth", "strict_versions", "vocabularies", "aliases", "verify_modules")
_CANONICAL = {key.replace("-", "_"): key for key in KEYS}


@dataclass(frozen=True)
class Config:
    root: Path
    contract_dirs: tuple[str, ...] = ("contracts",)
    exclude: tuple[str, ...] = ()  # globs of files `pv validate DIR` does not look at
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: dict[str, Severity] = field(default_factory=dict)  # rule code -> severity it is reported at
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (glob, rule patterns)
    baseline: str = DEFAULT_BASELINE  # repo-relative path of the baseline file
    limits: LoadLimits = field(default_factory=LoadLimits)
    verify_modules: tuple[str, ...] = ()  # module globs `pv verify` may call; empty: the repository's source
    # For the schema/consistency checks: extra accepted values per field name, extra accepted
    # legacy names per canonical key, and whether two-part versions ("1.0") are errors.
    vocabularies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    strict_versions: bool = False
    file: str | None = None  # where the settings came from, e.g. "pyproject.toml [tool.pv]"
    origins: dict[str, str] = field(default_factory=dict)  # canonical key -> its file, when not a default
    errors: tuple[str, ...] = ()  # problems with the configuration itself

    def origin(self, key: str) -> str:
        return self.origins.get(key, "default")

    def check_fingerprint(self) -> str:
        """The settings that change what a check reports (part of every cache key)."""
        return json.dumps([self.limits.max_bytes, self.limits.max_depth, self.limits.max_nodes, self.strict_versions,
                           self.contract_dirs, sorted(self.vocabularies.items()), sorted(self.aliases.items())])


def find_root(start: Path) -> Path:
    """Nearest ancestor holding pyproject.toml, pv.toml, .pv.toml or .git; else `start` itself."""
    start = start.resolve()
    for candidate in (start, *start.parents):
        if any((candidate / name).is_file() for name in CONFIG_FILES) or (candidate / ".git").exists():
            return candidate
    return start


def _read_table(root: Path) -> tuple[str | None, dict[str, Any], list[str]]:
    """(label of the source, its pv settings, errors) from the first config file that has any."""
    for name in CONFIG_FILES:
        path = root / name
        if not path.is_file():
            continue
        label = f"{name} [tool.pv]" if name == "pyproject.toml" else name
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
            return label, {}, [f"{name}: cannot read the pv settings: {exc}"]
        if name != "pyproject.toml":
            return label, data, []
        tool = data.get("tool", {})
        if not isinstance(tool, dict) or "pv" not in tool:
            if isinstance(tool, dict):
                continue  # a pyproject without [tool.pv] is not a pv config
            return label, {}, [f"{name}: [tool.pv] must be a table"]
        if not isinstance(tool["pv"], dict):  # `[tool] pv = 5`
            return label, {}, [f"{name}: [tool.pv] must be a table"]
        return label, tool["pv"], []
    return None, {}, []


_MISSING = object()


class _Reader:
    """Typed access to the settings table; every problem names the file and the key."""

    def __init__(self, label: str, table: dict[str, Any]) -> None:
        self.label = label
        self.errors: list[str] = []
        self.values: dict[str, Any] = {}
        for raw_key, value in table.items():
            key = _CANONICAL.get(str(raw_key).replace("-", "_"))
            if key is None and raw_key == "tool" and not label.startswith("pyproject.toml"):
                self.errors.append(f"{self.label}: keys go at the top level of {self.label}, not under [tool.pv] "
                                   "(that table is for pyproject.toml)")
            elif key is None:
                from pv.core.suggest import closest

                guess = closest(str(raw_key), KEYS)
                self.errors.append(f"{self.label}: unknown key `{raw_key}`"
                                   + (f"; did you mean `{guess}`?" if guess else f" (known: {', '.join(KEYS)})"))
            elif key in self.values:
                self.errors.append(f"{self.label}: `{raw_key}` is given twice (as `-` and `_` spellings)")
            else:
                self.values[key] = value

    def fail(self, key: str, message: str) -> None:
        self.errors.append(f"{self.label}: `{key}` {message}")

    def strings(self, key: str, default: tuple[str, ...], value: Any = _MISSING) -> tuple[str, ...]:
        value = self.values.get(key, list(default)) if value is _MISSING else value
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(key, "must be a list of strings")
            return default
        if any("\0" in v or not v.strip() for v in value):  # a NUL reaches no file; "" names nothing
            self.fail(key, "holds an empty string or a NUL character")
            return default
        return tuple(value)

    def positive_int(self, key: str, default: int, most: int | None = None) -> int:
        value = self.values.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            self.fail(key, "must be a positive integer")
            return default
        return value if most is None else min(value, most)  # clamped: memory and recursion grow with it

    def boolean(self, key: str, default: bool) -> bool:
        value = self.values.get(key, default)
        if not isinstance(value, bool):
            self.fail(key, "must be true or false")
            return default
        return value

    def table(self, key: str) -> dict[str, Any]:
        value = self.values.get(key, {})
        if not isinstance(value, dict):
            self.fail(key, "must be a table")
            return {}
        return value

    def string_lists(self, key: str) -> dict[str, tuple[str, ...]]:
        out = {}
        for name, value in self.table(key).items():
            out[str(name)] = self.strings(f"{key}.{name}", (), value)
        return out


def _rule_code(reader: _Reader, key: str, name: str) -> str | None:
    from pv.core import rules

    try:
        return rules.get(name).code
    except KeyError:
        reader.fail(f"{key}.{name}", "is not a rule code or name (see `pv rules`)")
        return None


def _check_patterns(reader: _Reader, key: str, patterns: tuple[str, ...]) -> None:
    from pv.core.selection import split_patterns, unknown_patterns

    bad = unknown_patterns(split_patterns(patterns))
    if bad:
        reader.fail(key, f"names no rule: {', '.join(bad)} (see `pv rules`)")


def _inside(root: Path, relative: str) -> bool:
    real_root = root.resolve()
    try:
        target = (root / relative).resolve()
    except (ValueError, OSError, RuntimeError):  # a NUL byte, a loop of links, a name too long
        return False
    return not Path(relative).is_absolute() and (target == real_root or real_root in target.parents)


def load_config(root: Path) -> Config:
    label, table, errors = _read_table(root)
    if label is None or errors:
        return Config(root=root, file=label, errors=tuple(errors))
    reader = _Reader(label, table)
    contract_dirs = reader.strings("contract_dirs", ("contracts",))
    for directory in contract_dirs:
        # The config comes with pull requests too: it may not point pv outside the repository.
        if not _inside(root, directory):
            reader.fail("contract_dirs", f"`{directory}` is outside the repository root")
    select = reader.strings("select", ())
    ignore = reader.strings("ignore", ())
    _check_patterns(reader, "select", select)
    _check_patterns(reader, "ignore", ignore)

    severity: dict[str, Severity] = {}
    for name, level in reader.table("severity").items():
        code = _rule_code(reader, "severity", str(name))
        if code is None:
            continue
        if code == "PV900":
            reader.fail(f"severity.{name}", "cannot be changed: an internal error is always an error")
        elif not isinstance(level, str) or level.lower() not in ("error", "warning", "info"):
            reader.fail(f"severity.{name}", f"must be \"error\", \"warning\" or \"info\", not {level!r}")
        else:
            severity[code] = Severity.parse(level)

    per_file: list[tuple[str, tuple[str, ...]]] = []
    for glob, patterns in reader.table("per-file-ignores").items():
        codes = reader.strings(f"per-file-ignores.\"{glob}\"", (), patterns)
        _check_patterns(reader, f"per-file-ignores.\"{glob}\"", codes)
        per_file.append((str(glob), codes))

    baseline = reader.values.get("baseline", DEFAULT_BASELINE)
    if not isinstance(baseline, str) or not baseline.strip():
        reader.fail("baseline", "must be a path (a string)")
        baseline = DEFAULT_BASELINE
    elif not _inside(root, baseline):
        reader.fail("baseline", f"`{baseline}` is outside the repository root")
        baseline = DEFAULT_BASELINE

    return Config(
        root=root,
        contract_dirs=contract_dirs,
        exclude=reader.strings("exclude", ()),
        select=select,
        ignore=ignore,
        severity=severity,
        per_file_ignores=tuple(per_file),
        baseline=baseline,
        limits=LoadLimits(reader.positive_int("max_file_bytes", DEFAULT_MAX_BYTES),
                          reader.positive_int("max_depth", DEFAULT_MAX_DEPTH, MAX_DEPTH_CAP)),
        verify_modules=reader.strings("verify_modules", ()),
        vocabularies=reader.string_lists("vocabularies"),
        aliases=reader.string_lists("aliases"),
        strict_versions=reader.boolean("strict_versions", False),
        file=label,
        origins={key: label for key in reader.values},
        errors=tuple(reader.errors),
    )
