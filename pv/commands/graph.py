"""`pv graph`: the contracts and the references between them."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "mermaid", "dot", "json"]), default="text",
              show_default=True, help="Output format.")
@click.option("--strict", is_flag=True, help="Also exit 1 when a reference is dangling.")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path),
              help="Repository root (default: nearest parent with pyproject.toml or .git).")
def graph(paths: tuple[Path, ...], fmt: str, strict: bool, root: Path | None) -> None:
    """Contract dependency graph from metadata.depends_on, peer_contracts and parent_contracts.

    References to contracts that do not exist are marked dangling. Files that
    do not load are reported on stderr and left out. Exit status: 0; 1 when a
    file does not load (or, with --strict, a reference is dangling); 2 usage error.
    """
    from pv.commands.common import load_clean, resolve_targets
    from pv.lifecycle.graph import build, render

    docs, broken = load_clean(resolve_targets(paths, root))
    nodes, edges = build(docs)
    click.echo(render(fmt, nodes, edges), nl=False)
    # A file that does not load is an error like in every command; a dangling edge only fails --strict.
    sys.exit(1 if broken or (strict and any(e.dangling for e in edges)) else 0)
