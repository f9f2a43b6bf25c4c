"""`pv coverage`: which invariants and obligations are backed by something that can fail."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
@click.option("--fail-under", type=click.FloatRange(0, 100), metavar="N",
              help="Exit 1 when the total (fully backed) coverage is below N percent.")
@click.option("-v", "--verbose", is_flag=True, help="List every invariant/obligation and what covers it.")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path),
              help="Repository root (default: nearest parent with pyproject.toml or .git).")
def coverage(paths: tuple[Path, ...], fmt: str, fail_under: float | None, verbose: bool, root: Path | None) -> None:
    """Invariant -> gate -> evidence (gated contracts) and obligation -> falsification test -> harness
    (kernel contracts), per contract and in total, as percentages.

    "linked" counts items with a gate (test); "backed" those whose gate cites
    evidence that exists (whose test has a harness). Exit status: 0, 1 below
    --fail-under (or a file that does not load), 2 usage error.
    """
    from pv.commands.common import load_clean, resolve_targets
    from pv.lifecycle.coverage import measure, percent

    targets = resolve_targets(paths, root)
    docs, broken = load_clean(targets)
    results = [cov for cov in (measure(doc, targets.root) for doc in docs) if cov is not None]
    total = sum(c.total for c in results)
    linked = sum(c.linked for c in results)
    backed = sum(c.backed for c in results)
    if fmt == "json":
        click.echo(json.dumps({
            "contracts": [{"file": c.file, "family": c.family, "items": c.total, "linked": c.linked,
                           "backed": c.backed, "percent": round(percent(c.backed, c.total), 1),
                           "rows": [{"item": r.item, "link": r.link, "backed": r.backed} for r in c.rows]}
                          for c in results],
            "total": {"items": total, "linked": linked, "backed": backed,
                      "percent": round(percent(backed, total), 1)}}, indent=2, ensure_ascii=False))
    else:
        from pv.reports.common import printable

        width = max((len(c.file) for c in results), default=10)
        for c in results:
            what = "invariants" if c.family == "gated" else "obligations"
            click.echo(f"{printable(c.file):<{width}}  {c.family:<6}  {c.total:>3} {what:<11} "
                       f"linked {percent(c.linked, c.total):5.1f}%  backed {percent(c.backed, c.total):5.1f}%")
            if verbose:
                for r in c.rows:
                    state = "backed" if r.link and r.backed else ("linked" if r.link else "uncovered")
                    click.echo(f"    {printable(str(r.item))[:70]:<70} -> {printable(r.link or '-')} ({state})")
        click.echo(f"total: {total} items in {len(results)} contracts, linked {percent(linked, total):.1f}%, "
                   f"backed {percent(backed, total):.1f}%")
    below = fail_under is not None and percent(backed, total) < fail_under
    if below:
        click.echo(f"pv: coverage {percent(backed, total):.1f}% is below --fail-under {fail_under:g}", err=True)
    sys.exit(1 if below or broken else 0)
