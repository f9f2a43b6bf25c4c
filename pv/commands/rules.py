"""`pv rules` and `pv explain`: what each rule means."""

from __future__ import annotations

import json

import click


@click.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules(fmt: str) -> None:
    """List every rule with its code, default severity and summary."""
    from pv.core.rules import all_rules

    known = all_rules()
    if fmt == "json":
        click.echo(json.dumps([{"code": r.code, "name": r.name, "severity": r.severity.label,
                                "summary": r.summary} for r in known], indent=2))
        return
    for rule in known:
        click.echo(f"{rule.code}  {rule.severity.label:<7}  {rule.name:<24}  {rule.summary}")
