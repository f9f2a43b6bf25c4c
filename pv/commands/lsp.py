"""`pv lsp`: the language server (stdio), from the optional `lsp` extra."""

from __future__ import annotations

import click

from pv.commands.common import usage_error


@click.command()
@click.option("--stdio", is_flag=True, help="Talk LSP over stdin/stdout (the default and only transport).")
def lsp(stdio: bool) -> None:
    """Run pv's language server: diagnostics, hover, definition, completion and quick fixes in the editor."""
    try:
        import lsprotocol  # noqa: F401
        import pygls  # noqa: F401
    except ImportError:
        usage_error("`pv lsp` needs the lsp extra: pip install 'pv-contracts[lsp]' (pygls and lsprotocol)")
    from pv.lsp.server import main

    main()
