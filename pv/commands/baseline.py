"""`pv baseline`: record today's findings so that `pv validate` fails only on new ones."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pv.commands.validate import check_options, load_baseline, run_checks


@click.command()
@check_options
@click.option("--baseline", "baseline", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write it (default: the config's `baseline`, .pv-baseline.json at the root).")
def baseline(paths: tuple[Path, ...], select: tuple[str, ...], ignore: tuple[str, ...], skip: tuple[str, ...],
             root: Path | None, jobs: int, no_cache: bool, cache_dir: str | None, run_evidence: bool,
             junit: Path | None, baseline: Path | None) -> None:
    """Write the baseline: every error and warning pv reports today, without line numbers.

    Commit the file. `pv validate` then leaves these findings out, fails only on new
    ones, and reports entries that no longer match (PV912) until `pv baseline` is run
    again, so the baseline only shrinks. With PATHS, only those files' entries are
    replaced; the rest of the baseline is kept. Config, `# pv: ignore` comments and
    --select/--ignore apply as in `pv validate`: what they hide is not recorded.
    """
    from pv.core import baseline as baseline_mod
    from pv.core.atomic import write_text_atomic
    from pv.core.policy import FileFindings, apply

    checked = run_checks(paths, select, ignore, skip, root, jobs, no_cache, cache_dir, run_evidence, junit)
    outcome = apply((FileFindings(r.file, r.findings, r.suppressions) for r in checked.results), checked.policy)
    if any(f.code == "PV900" for f in outcome.findings):
        click.echo("pv: error: pv failed on some files (PV900); not writing a baseline that would hide it "
                   "(run `pv validate` to see where)", err=True)
        sys.exit(2)
    previous = None if checked.complete else load_baseline(checked, baseline, False, required=False)
    entries = baseline_mod.record(outcome.findings, previous, {r.file for r in checked.results})
    target = baseline if baseline is not None else checked.root / checked.config.baseline
    shown = str(baseline) if baseline is not None else checked.config.baseline
    try:
        write_text_atomic(target, baseline_mod.render(entries))
    except OSError as exc:
        click.echo(f"pv: error: cannot write the baseline {shown}: {exc.strerror or exc}", err=True)
        sys.exit(2)
    findings = sum(entries.values())
    click.echo(f"wrote {shown}: {findings} finding{'s' if findings != 1 else ''} "
               f"({len(entries)} distinct) in {len({e[0] for e in entries})} files; commit it")
