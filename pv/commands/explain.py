"""`pv explain CODE`: why a rule matters, how to fix what it reports, and where it lives."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

PACKAGE = Path(__file__).resolve().parents[1]  # the pv package


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
    click.echo(explanation(rule))


def explanation(rule) -> str:
    """What `pv explain` prints for a rule (the editor's hover on a rule code shows the same)."""
    text = f"{rule.code} {rule.name} (default severity: {rule.severity.label})\n\n{rule.summary}\n\n{rule.explanation}"
    where = rule_locations(rule.code, rule.module)
    if where:
        text += "\n\n" + "\n".join(f"{label}: {', '.join(paths)}" for label, paths in where)
    return text


def rule_locations(code: str, module: str) -> list[tuple[str, list[str]]]:
    """Where a rule is defined and, in a source checkout, which fixtures expect it."""
    where: list[tuple[str, list[str]]] = []
    if module.startswith("pv."):
        family = PACKAGE.joinpath(*module.split(".")[1:-1])
        where.append(("defined in", [f"{module.replace('.', '/')}.py"]))
        checks = sorted(p.name for p in family.glob("*.py") if p.name not in ("__init__.py", "rules.py"))
        if checks and module.startswith("pv.checks."):
            where.append(("checked in", [f"{family.relative_to(PACKAGE.parent).as_posix()}/{c}" for c in checks]))
    fixtures = PACKAGE.parent / "tests" / "fixtures"
    if fixtures.is_dir():  # a source checkout: fixtures say `# expect: CODE LINE:COL`
        expect = re.compile(rf"#\s*expect:\s*{re.escape(code)}\b")
        found = sorted(p.relative_to(PACKAGE.parent).as_posix() for p in fixtures.rglob("*.y*ml")
                       if expect.search(p.read_text(encoding="utf-8", errors="replace")))
        if found:
            where.append(("fixtures", found))
    return where
