"""`pv formulas`: how pv reads every formula of a contract, its value where closed, its verdict."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from pv.commands.common import EXIT_FINDINGS, EXIT_OK


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--root", type=click.Path(file_okay=False, path_type=Path),
              help="Repository root (default: nearest parent with pyproject.toml or .git).")
@click.option("--all", "show_all", is_flag=True, help="Also list strings pv reads as prose.")
def formulas(paths: tuple[Path, ...], fmt: str, root: Path | None, show_all: bool) -> None:
    """Show every formula pv finds (kernel equations, obligations, tests, `formulas:` sections):
    where it is, how pv read it, the value of each closed statement and its verdict.

    Exit status: 0 when no formula is false or refuted, 1 otherwise, 2 usage error.
    """
    from pv.checks.formulas.check import check
    from pv.checks.formulas.report import contract_report
    from pv.commands.common import resolve_targets
    from pv.core.loader import load

    targets = resolve_targets(paths, root)
    reports: list[dict[str, Any]] = []
    bad = False
    for path in targets.files:
        doc, load_findings = load(path, targets.root, targets.config.limits)
        if doc is None:
            reports.append({"file": load_findings[0].file if load_findings else str(path), "formulas": [],
                            "error": "; ".join(f.message for f in load_findings)})
            continue
        findings = list(check(doc, None))
        report = contract_report(doc, findings)
        bad = bad or any(f.code in ("PV350", "PV320", "PV310") for f in findings)
        if report["formulas"]:
            reports.append(report)
    if fmt == "json":
        click.echo(json.dumps({"files": reports}, indent=2, ensure_ascii=False))
    else:
        for report in reports:
            _text(report, show_all)
    sys.exit(EXIT_FINDINGS if bad else EXIT_OK)


def _text(report: dict[str, Any], show_all: bool) -> None:
    click.echo(report["file"])
    if "error" in report:
        click.echo(f"  cannot read: {report['error']}")
        return
    for entry in report["formulas"]:
        if entry["status"] in ("prose", "opted out") and not show_all:
            continue
        where = f"{entry['line']}:{entry['col']}"
        label = entry.get("name") or entry["kind"]
        verdict = f"  [{entry['verdict']}]" if "verdict" in entry else ""
        click.echo(f"  {where:<8} {label:<14} {entry['status']}{verdict}")
        click.echo(f"           text     {_one_line(entry['text'])}")
        if "read_as" in entry:
            click.echo(f"           read as  {_one_line(entry['read_as'])}")
        if "reason" in entry:
            at = entry["reason_at"]
            click.echo(f"           why not  {entry['reason']} (at {at['line']}:{at['col']})")
        if "why" in entry:
            click.echo(f"           verdict  {entry['verdict']}: {entry['why']}")
        if "bindings" in entry:
            click.echo("           with     " + ", ".join(f"{k} = {v}" for k, v in entry["bindings"].items()))
        for statement in entry.get("statements", []):
            click.echo(f"           {statement['verdict']:<8} {statement['statement']}   "
                       f"({statement['left']} vs {statement['right']})")
        for finding in entry.get("findings", []):
            click.echo(f"           {finding['code']}    {finding['message']}")
    s = report["summary"]
    click.echo(f"  {s['formulas']} read, {s['not_understood']} not understood, {s['prose']} prose, "
               f"{s['placeholders']} placeholders; closed statements: {s['closed_true']} true, "
               f"{s['closed_false']} false")


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= 160 else flat[:157] + "…"
