"""`pv graph`: the contracts and the references between them."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "mermaid", "dot", "json"]), default="text",
              show_default=True, help="Output format.")
@click.option("--strict", is_flag=True, help="Exit 1 when a reference is dangling.")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path),
              help="Repository root (default: nearest parent with pyproject.toml or .git).")
def graph(paths: tuple[Path, ...], fmt: str, strict: bool, root: Path | None) -> None:
    """Contract dependency graph from metadata.depends_on, peer_contracts and parent_contracts.

    References to contracts that do not exist are marked dangling. Files that
    do not load are reported on stderr and left out. Exit status: 0, or 1
    with --strict when a reference is dangling or a file does not load; 2 usage error.
    """
    from pv.commands.common import load_clean, resolve_targets
    from pv.lifecycle.graph import build, render

    docs, broken = load_clean(resolve_targets(paths, root))
    nodes, edges = build(docs)
    click.echo(render(fmt, nodes, edges), nl=False)
    sys.exit(1 if strict and (broken or any(e.dangling for e in edges)) else 0)
