"""`pv explain CODE`: why a rule matters and how to fix what it reports."""

from __future__ import annotations

import sys

import click


@click.command()
@click.argument("code")
def explain(code: str) -> None:
    """Explain why rule CODE matters and how to fix what it reports."""
    from pv.core import rules as registry

    try:
        rule = registry.get(code.upper() if code.upper().startswith("PV") else code)
    except KeyError:
        click.echo(f"pv: error: unknown rule {code!r} (see `pv rules`)", err=True)
        sys.exit(2)
    click.echo(f"{rule.code} {rule.name} (default severity: {rule.severity.label})\n")
    click.echo(f"{rule.summary}\n")
    click.echo(rule.explanation)
