"""`pv config`: the effective configuration and where each value came from."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click


def _value(config, key: str) -> object:
    """A setting as plain data, in the spelling the config file uses."""
    if key == "severity":
        return {code: level.label for code, level in sorted(config.severity.items())}
    if key == "per-file-ignores":
        return {glob: list(codes) for glob, codes in config.per_file_ignores}
    if key == "max_file_bytes":
        return config.limits.max_bytes
    if key == "max_depth":
        return config.limits.max_depth
    if key in ("vocabularies", "aliases"):
        return {name: list(values) for name, values in sorted(getattr(config, key).items())}
    value = getattr(config, key)
    return list(value) if isinstance(value, tuple) else value


def _toml(value: object) -> str:
    """A value as it would be written in TOML (inline tables for tables)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value)


@click.command()
@click.option("--root", type=click.Path(file_okay=False, path_type=Path),
              help="Repository root (default: nearest parent with pyproject.toml, pv.toml, .pv.toml or .git).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def config(root: Path | None, fmt: str) -> None:
    """Print the effective configuration and where each value came from.

    pv reads the first of .pv.toml, pv.toml and pyproject.toml ([tool.pv]) at the
    repository root that holds pv settings; the others are not read. Keys it does
    not set keep pv's defaults. Command-line options override it for one run.
    """
    from pv.commands.common import resolve_root
    from pv.core.config import CONFIG_FILES, KEYS

    resolved, loaded = resolve_root(root)  # exits 2 on a bad root or a bad config, naming file and key
    shown_root = os.path.relpath(resolved)  # never an absolute path in output
    present = [name for name in CONFIG_FILES if (resolved / name).is_file()]
    values = {key: {"value": _value(loaded, key), "source": loaded.origin(key)} for key in KEYS}
    if fmt == "json":
        click.echo(json.dumps({"root": shown_root, "file": loaded.file, "files_present": present,
                               "settings": values}, indent=2, sort_keys=True))
        return
    click.echo(f"root: {shown_root}")
    click.echo(f"config: {loaded.file or 'none (defaults only)'}")
    read = loaded.file.split()[0] if loaded.file else None
    for name in present:
        if name == read:
            continue
        if read is None or CONFIG_FILES.index(name) < CONFIG_FILES.index(read):
            click.echo(f"  ({name} is present but holds no pv settings)")
        else:
            click.echo(f"  ({name} is present but not read: {read} takes precedence)")
    width = max(len(key) for key in KEYS)
    for key in KEYS:
        click.echo(f"{key:<{width}} = {_toml(values[key]['value'])}    # {values[key]['source']}")
