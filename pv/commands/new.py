"""`pv new`: a new contract that validates with 0 errors from its first commit."""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from pathlib import Path

import click

from pv.commands.common import EXIT_OK, usage_error


@click.command()
@click.argument("name")
@click.option("--family", type=click.Choice(["gated", "kernel"]), default="gated", show_default=True,
              help="gated: invariants and gates discharged by tests; kernel: equations, obligations, "
                   "falsification tests.")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
              help="Where to write NAME-v1.yaml (default: the first contract dir).")
@click.option("--prefix", help="Id namespace, e.g. BPE for INV-BPE-001 (default: from NAME).")
@click.option("--author", default="TODO: author", show_default=True, help="metadata.author.")
@click.option("--date", "day", metavar="YYYY-MM-DD", help="created/updated date (default: today, UTC).")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path),
              help="Repository root (default: nearest parent with pyproject.toml or .git).")
def new(name: str, family: str, directory: Path | None, prefix: str | None, author: str, day: str | None,
        root: Path | None) -> None:
    """Write a skeleton contract NAME-v1.yaml with the schema modeline for editors.

    It validates with 0 errors: its gates are PENDING until tests discharge
    them. Exit status: 0 written, 2 usage error (bad name, file exists).
    """
    from pv.core.atomic import write_text_atomic
    from pv.core.config import find_root, load_config
    from pv.edit import skeleton

    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,80}", name):
        usage_error(f"name {name!r} must be lowercase letters, digits, '.', '_' or '-' (e.g. tokenizer-bpe)")
    if prefix is not None and not re.fullmatch(r"[A-Z][A-Z0-9-]{0,40}", prefix):
        usage_error(f"--prefix {prefix!r} must be uppercase letters, digits and '-' (e.g. BPE)")
    try:
        when = dt.date.fromisoformat(day) if day else dt.datetime.now(dt.UTC).date()
    except ValueError:
        usage_error(f"--date {day!r} is not a YYYY-MM-DD date")
    resolved = (root or find_root(Path.cwd())).resolve()
    config = load_config(resolved)
    for problem in config.errors:
        usage_error(problem)
    target_dir = (directory or resolved / config.contract_dirs[0]).resolve()
    if resolved != target_dir and resolved not in target_dir.parents:
        usage_error(f"{target_dir} is outside the repository root {resolved}")
    stem = name if re.search(r"-v\d+$", name) else f"{name}-v1"
    path = target_dir / f"{stem}.yaml"
    if path.exists():
        usage_error(f"{path} exists; pick another name (or `pv bump` the existing contract)")
    schema_file = f"{family}-contract.schema.json"
    schema = Path(os.path.relpath(resolved / "schemas" / schema_file, target_dir)).as_posix()
    make = skeleton.gated if family == "gated" else skeleton.kernel
    text = make(stem, prefix or skeleton.prefix_of(stem), when.isoformat(), author, schema)
    try:
        write_text_atomic(path, text)
    except OSError as exc:
        usage_error(f"cannot write {path}: {exc.strerror or exc}")
    from pv.core.loader import display_name

    click.echo(f"{display_name(path, resolved)}: new {family} contract (validate it with `pv validate`)")
    sys.exit(EXIT_OK)
