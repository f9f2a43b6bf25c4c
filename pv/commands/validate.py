"""`pv validate`: check contract files and report findings."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click

from pv.checks import CHECK_NAMES
from pv.commands.common import exit_code, usage_error


def _not_empty(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not value.strip():  # "" would be the current directory
        raise click.BadParameter("must name a directory, not be empty")
    return value


def check_options(command: Callable) -> Callable:
    """The options `pv validate` and `pv baseline` share: what to check and how."""
    options = [
        click.argument("paths", nargs=-1, type=click.Path(path_type=Path)),
        click.option("--select", multiple=True, metavar="RULE",
                     help="Report only these rules (code, code prefix such as PV1, or name). Repeatable."),
        click.option("--ignore", multiple=True, metavar="RULE", help="Do not report these rules. Repeatable."),
        click.option("--skip", multiple=True, type=click.Choice(CHECK_NAMES),
                     help="Do not run this check at all (faster than --ignore)."),
        click.option("--root", type=click.Path(file_okay=False, path_type=Path),
                     help="Repository root (default: nearest parent with pyproject.toml, pv.toml, "
                          ".pv.toml or .git)."),
        click.option("-j", "--jobs", type=int, default=1, show_default=True,
                     help="Worker processes; 0 means one per CPU."),
        click.option("--no-cache", is_flag=True, help="Do not read or write the result cache."),
        click.option("--cache-dir", type=click.Path(file_okay=False), callback=_not_empty,
                     help="Cache directory (default: ROOT/.pv_cache). Safe to delete."),
        click.option("--run", "run_evidence", is_flag=True,
                     help="Also run the tests that gates cite as evidence."),
        click.option("--junit", type=click.Path(dir_okay=False, exists=True, path_type=Path),
                     help="Take test outcomes from this JUnit XML report instead of running anything."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@dataclass
class Checked:
    """One run of the checks, before the repository's policy is applied."""

    root: Path
    config: object  # pv.core.config.Config
    results: list  # list[pv.core.engine.FileResult]
    paths: dict[str, Path]  # display name -> path, for reading code frames later
    policy: object  # pv.core.policy.Policy
    complete: bool  # every contract file of the repository was checked (no paths given)
    ctx: object  # pv.core.engine.CheckContext, to check again after --fix
    workers: int

    def again(self) -> None:
        """Check the same files again (after --fix changed some)."""
        from pv.core.engine import validate_files

        files = list(self.paths.values())
        self.results = validate_files(files, self.ctx, jobs=self.workers, names=list(self.paths))


def run_checks(paths: tuple[Path, ...], select: tuple[str, ...], ignore: tuple[str, ...],
               skip: tuple[str, ...], root: Path | None, jobs: int, no_cache: bool, cache_dir: str | None,
               run_evidence: bool, junit: Path | None) -> Checked:
    """Resolve the targets and the config, and run every check (exits 2 on a usage error)."""
    from pv.commands.common import resolve_targets
    from pv.core.cache import ResultCache
    from pv.core.engine import CheckContext, validate_files
    from pv.core.loader import display_name
    from pv.core.policy import Policy
    from pv.core.selection import split_patterns, unknown_patterns

    if jobs < 0:
        usage_error("--jobs must be 0 (all CPUs) or a positive number")
    targets = resolve_targets(paths, root)
    root, config, files = targets.root, targets.config, targets.files
    select_patterns = split_patterns(select) or list(config.select)
    ignore_patterns = split_patterns(ignore) + list(config.ignore)
    bad = unknown_patterns(select_patterns + ignore_patterns)
    if bad:
        usage_error(f"unknown rule {', '.join(bad)} in --select/--ignore (see `pv rules`)")

    if no_cache:
        cache = None
    elif cache_dir is not None:
        cache = ResultCache(Path(cache_dir))  # the user's choice, wherever it is
    else:  # the default, inside the checkout: used only when it really is inside the root
        cache = ResultCache(root / ".pv_cache", root=root)
    options: dict[str, object] = {"run": run_evidence}
    if junit is not None:
        from pv.checks.evidence.runner import JUnitError, parse_junit, read_junit

        try:  # refuse a report that cannot be used up front, as `pv discharge --junit` does
            parse_junit(read_junit(junit))
        except (OSError, JUnitError) as exc:
            usage_error(f"cannot use --junit {junit}: {getattr(exc, 'strerror', None) or exc}")
        options["junit"] = junit
    ctx = CheckContext(config=config, options=options, skip=frozenset(skip), cache=cache)
    workers = jobs or os.cpu_count() or 1
    results = validate_files(files, ctx, jobs=workers, names=targets.names)
    policy = Policy.for_run(config, tuple(select_patterns), tuple(ignore_patterns), skip)
    names = targets.names or [display_name(p, root) for p in files]
    return Checked(root, config, results, dict(zip(names, files)), policy, not paths, ctx, workers)


def load_baseline(checked: Checked, baseline: Path | None, no_baseline: bool, *, required: bool):
    """The baseline to apply (None: none), from --baseline or the config's `baseline` key."""
    from pv.core import baseline as baseline_mod

    if no_baseline:
        return None
    path = baseline if baseline is not None else checked.root / checked.config.baseline
    shown = str(baseline) if baseline is not None else checked.config.baseline
    if not path.is_file():
        if required or baseline is not None:
            usage_error(f"no baseline at {shown}: run `pv baseline` to write one")
        return None
    try:
        return baseline_mod.load(path, shown)
    except baseline_mod.BaselineError as exc:
        usage_error(str(exc))


@click.command()
@check_options
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "github"]), default="text",
              show_default=True, help="Output format.")
@click.option("--strict", is_flag=True, help="Warnings fail the run too (exit 1).")
@click.option("-v", "--show-infos", is_flag=True,
              help="Print infos in text and github output too (they are always counted; json and sarif "
                   "always hold them).")
@click.option("--baseline", "baseline", type=click.Path(dir_okay=False, path_type=Path),
              help="Baseline file to apply (default: the config's `baseline`, .pv-baseline.json, when present).")
@click.option("--no-baseline", is_flag=True, help="Report every finding, baselined or not.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to this file (atomically) instead of stdout.")
@click.option("--fix", "apply_fixes", is_flag=True,
              help="Apply the exact fixes the hints state (PV101 renames, PV409 full paths, quoted versions, "
                   "changelog stubs), then report what is left.")
@click.option("--diff", "show_diff", is_flag=True,
              help="Print the fixes --fix would apply as a unified diff; change nothing (exit 1 if any).")
def validate(paths: tuple[Path, ...], fmt: str, strict: bool, select: tuple[str, ...],
             ignore: tuple[str, ...], skip: tuple[str, ...], root: Path | None, jobs: int,
             no_cache: bool, cache_dir: str | None, output: Path | None, run_evidence: bool,
             junit: Path | None, show_infos: bool, baseline: Path | None, no_baseline: bool,
             apply_fixes: bool, show_diff: bool) -> None:
    """Validate contract files (default: the contract dirs of the config, else contracts/).

    The repository's config (`pv config` shows it), `# pv: ignore[CODE]` comments and
    the baseline (`pv baseline`) decide what is reported. Exit status: 0 clean,
    1 errors (or warnings with --strict), 2 usage error, no contract found, or
    internal error.
    """
    from pv.core.policy import FileFindings, apply
    from pv.core.report import LazySources, Report
    from pv.reports import render, want_color

    # Fixing reads findings fresh: a cache written before a check learnt a fix would hide it.
    checked = run_checks(paths, select, ignore, skip, root, jobs, no_cache or apply_fixes or show_diff, cache_dir,
                         run_evidence, junit)
    recorded = load_baseline(checked, baseline, no_baseline, required=False)

    def outcome_now():  # the policy over the current results
        return apply((FileFindings(r.file, r.findings, r.suppressions) for r in checked.results), checked.policy,
                     recorded, complete=checked.complete)

    outcome = outcome_now()
    if apply_fixes or show_diff:
        if _fix(checked, outcome.findings, show_diff):  # only what is reported: not suppressed, not baselined
            checked.again()
            outcome = outcome_now()
    frames = {r.file: checked.paths[r.file] for r in checked.results if r.frames and r.file in checked.paths}
    report = Report(root=checked.root, files=[r.file for r in checked.results], findings=outcome.findings,
                    sources=LazySources(checked.root, frames, checked.config.limits.max_bytes),
                    show_infos=show_infos or fmt in ("json", "sarif"), suppressed=outcome.suppressed,
                    baselined=outcome.baselined)
    if output is not None:
        from pv.core.atomic import write_text_atomic

        try:
            write_text_atomic(output, render(fmt, report, color=False))
        except OSError as exc:  # read-only place, /proc, a parent that is a file
            usage_error(f"cannot write the report to {output}: {exc.strerror or exc}")
        from pv.reports.common import summary_line

        click.echo(f"{summary_line(report)}; report written to {output}", err=True)
    else:
        color = want_color(sys.stdout)
        # click strips ANSI codes from piped output unless told: FORCE_COLOR must survive a pipe.
        click.echo(render(fmt, report, color=color), nl=False, color=color)

    sys.exit(exit_code(outcome.findings, strict))


def _fix(checked: Checked, findings: list, show_diff: bool) -> bool:
    """Apply (or, with `show_diff`, print) the fixes of `findings`; True when files changed."""
    from pv.edit.fix import fix_files

    files = list(checked.paths.values())
    outcomes = fix_files(files, findings, checked.ctx, checked.root)
    for item in outcomes:
        for held in item.held:
            click.echo(f"pv: {item.shown}:{held.line}:{held.col}: {held.code} not fixed: "
                       f"{held.fix.title} would add a finding", err=True)
    fixes = [item for item in outcomes if item.applied]
    count = sum(len(item.applied) for item in fixes)
    if show_diff:
        from pv.edit.files import unified

        for item in fixes:
            click.echo(unified(item.before, item.after, item.shown), nl=False)
        click.echo(f"pv: {count} fix(es) in {len(fixes)} file(s) would be applied", err=True)
        sys.exit(1 if fixes else 0)
    from pv.edit.files import write_contract

    for item in fixes:
        try:
            write_contract(item.path, item.after)
        except OSError as exc:
            usage_error(f"cannot write {item.shown}: {exc.strerror or exc}")
    click.echo(f"pv: fixed {count} finding(s) in {len(fixes)} file(s)", err=True)
    return bool(fixes)
