"""`pv verify`: check that bound implementations agree with their formulas.

Opt-in by design: it imports and calls the project code each binding names.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pv.commands.common import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from pv.core.findings import Finding, Severity


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "github"]), default="text",
              show_default=True, help="Output format.")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path),
              help="Repository root (default: nearest parent with pyproject.toml or .git).")
@click.option("--points", type=click.IntRange(1, 100_000), default=None,
              help="Points per binding (default: the binding's `points`, else 200).")
def verify(paths: tuple[Path, ...], fmt: str, root: Path | None, points: int | None) -> None:
    """Import each formula's bound implementation and compare it with the formula.

    Points of the domain (boundaries included) are generated for every
    binding; the first disagreement is reported with its inputs. This runs
    project code: use it on contracts you trust. Exit status: 0 all bindings
    agree, 1 a disagreement or error, 2 usage error or nothing to verify.
    """
    from pv.commands.common import resolve_targets
    from pv.core.loader import load

    targets = resolve_targets(paths, root)
    root, config, files = targets.root, targets.config, targets.files

    findings: list[Finding] = []
    sources: dict[str, str] = {}
    shown: list[str] = []
    bindings = 0
    for path in files:
        doc, load_findings = load(path, root, config.limits)
        findings += load_findings
        if doc is None:
            continue
        shown.append(doc.file)
        sources[doc.file] = doc.text
        found, count = verify_document(doc, root, points, config.verify_modules)
        findings += found
        bindings += count
    if bindings == 0 and not any(f.severity == Severity.ERROR for f in findings):
        click.echo("pv: nothing to verify: no formula in these contracts has a `bind`", err=True)
        sys.exit(EXIT_USAGE)

    from pv.core.report import Report
    from pv.reports import render, want_color

    report = Report(root=root, files=shown, findings=sorted(findings), sources=sources)
    click.echo(render(fmt, report, color=want_color(sys.stdout)), nl=False)
    sys.exit(EXIT_FINDINGS if report.errors else EXIT_OK)


def verify_document(doc, root: Path, points: int | None,
                    allowed: tuple[str, ...] = ()) -> tuple[list[Finding], int]:
    """Findings for every binding of one contract, and how many bindings it has.

    `allowed`: module globs (`verify_modules` of [tool.pv]) a binding may name; empty: any module of
    the repository's own tracked source.
    """
    from pv.checks.formulas.binding import verify_binding
    from pv.checks.formulas.model import load_section

    section = load_section(doc)
    bound = [f for f in section.formulas.values() if f.bind is not None]
    if not bound:
        return [], 0
    findings = [f for f in section.findings if f.severity == Severity.ERROR]
    for formula in bound:
        prefix = ".".join(map(str, formula.item_path)) + "."
        if not section.depends_ok(formula.name) or any(
                f.code == "PV340" and f.path.startswith(prefix) for f in section.findings):
            continue  # its static finding says why
        if points is not None:
            formula.bind = {**formula.bind, "points": points}
        verdict = verify_binding(section, formula, root, allowed)
        if verdict.finding is not None:
            findings.append(verdict.finding)
            continue
        extra = []
        if verdict.too_close:
            extra.append(f"{verdict.too_close} too close to call")
        if verdict.not_evaluable:
            extra.append(f"{verdict.not_evaluable} outside the formula's real domain")
        note = f" ({'; '.join(extra)})" if extra else ""
        findings.append(doc.finding(formula.item_path + ("bind",), "PV343",
                                    f"`{formula.name}` agrees with `{formula.bind['function']}` on "
                                    f"{verdict.agreed} point(s) of the domain, boundaries included{note}",
                                    key=True))
    return findings, len(bound)
