"""`pv rules` and `pv explain`: what each rule means."""

from __future__ import annotations

import json
import sys

import click


@click.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules(fmt: str) -> None:
    """List every rule with its code, default severity and summary."""
    from pv.rules import all_rules

    known = all_rules()
    if fmt == "json":
        click.echo(json.dumps([{"code": r.code, "name": r.name, "severity": r.severity.label,
                                "summary": r.summary} for r in known], indent=2))
        return
    for rule in known:
        click.echo(f"{rule.code}  {rule.severity.label:<7}  {rule.name:<24}  {rule.summary}")


@click.command()
@click.argument("code")
def explain(code: str) -> None:
    """Explain why rule CODE matters and how to fix what it reports."""
    from pv import rules as registry

    try:
        rule = registry.get(code.upper() if code.upper().startswith("PV") else code)
    except KeyError:
        click.echo(f"pv: error: unknown rule {code!r} (see `pv rules`)", err=True)
        sys.exit(2)
    click.echo(f"{rule.code} {rule.name} (default severity: {rule.severity.label})\n")
    click.echo(f"{rule.summary}\n")
    click.echo(rule.explanation)
