"""`pv bump`: raise a contract's version, date and changelog without touching anything else."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from pv.commands.common import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, format_finding, usage_error


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a YYYY-MM-DD date") from None


@click.command()
@click.argument("args", nargs=-1, metavar="[major|minor|patch] [FILE]...")
@click.option("--to", "to", metavar="X.Y.Z", help="Set this exact version instead of bumping a part.")
@click.option("-m", "--message", help="The changelog entry's text (what changed and why).")
@click.option("--date", "date", callback=_date, metavar="YYYY-MM-DD",
              help="Date for `updated` and the changelog entry (default: today, UTC).")
@click.option("--diff", "show_diff", is_flag=True, help="Print the change as a unified diff; write nothing.")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path),
              help="Repository root (default: nearest parent with pyproject.toml or .git).")
def bump(args: tuple[str, ...], to: str | None, message: str | None, date: dt.date | None,
         show_diff: bool, root: Path | None) -> None:
    """Bump a contract's version: top-level and metadata versions, `updated`, and a changelog entry.

    The entry follows the file's own changelog style (string or mapping
    entries, newest first or last); comments, quotes and key order are kept
    and no other line changes. A major bump of NAME-vN.yaml moves the
    contract to NAME-v(N+1).yaml, as the file-name rule (PV212) asks. FILE defaults to the only contract in the
    contract dirs. Exit status: 0 done, 1 the file does not load or the
    result would not validate, 2 usage error.
    """
    from pv.commands.common import resolve_targets
    from pv.edit.bump import PARTS, bump_text
    from pv.edit.files import read_for_edit, unified, write_contract
    from pv.edit.roundtrip import EditError

    part = args[0] if args and args[0] in PARTS else None
    paths = tuple(Path(a) for a in (args[1:] if part else args))
    if (part is None) == (to is None):
        usage_error("give exactly one of major|minor|patch or --to X.Y.Z")
    targets = resolve_targets(paths, root)
    if not paths and len(targets.files) > 1:
        usage_error(f"{len(targets.files)} contracts found; name the one to bump")
    day = date or dt.datetime.now(dt.UTC).date()
    status = EXIT_OK
    for path in targets.files:
        text, findings = read_for_edit(path, targets.root, targets.config.limits)
        if text is None:
            for f in findings:
                click.echo(format_finding(f), err=True)
            status = max(status, EXIT_FINDINGS)
            continue
        from pv.core.loader import display_name

        shown = display_name(path, targets.root)
        try:
            result = bump_text(text, part=part, to=to, message=message, date=day)
        except EditError as exc:
            click.echo(f"pv: error: {shown}: {exc}", err=True)
            status = EXIT_USAGE
            continue
        target = _major_file(path, result.new)
        if target is not None and target.exists():
            click.echo(f"pv: error: {shown}: a major bump goes in a new file, but {target.name} exists", err=True)
            status = EXIT_USAGE
            continue
        introduced = _new_version_findings(target or path, targets.root, text, result.text)
        if introduced:
            for f in introduced:
                click.echo(format_finding(f), err=True)
            click.echo(f"pv: {shown}: not bumped: the result would not validate", err=True)
            status = max(status, EXIT_FINDINGS)
            continue
        new_name = display_name(target, targets.root) if target is not None else shown
        if show_diff:
            click.echo(unified(text, result.text, shown).replace(f"+++ b/{shown}", f"+++ b/{new_name}", 1), nl=False)
        else:
            try:
                write_contract(target or path, result.text)
                if target is not None:
                    path.unlink()
            except OSError as exc:
                click.echo(f"pv: error: cannot write {new_name}: {exc.strerror or exc}", err=True)
                status = EXIT_USAGE
                continue
            what = "" if result.entry_added else " (its changelog entry was already there)"
            moved = f" (renamed to {new_name}: the file name carries the major version)" if target else ""
            click.echo(f"{shown}: {result.old} -> {result.new}{what}{moved}")
    sys.exit(status)


def _major_file(path: Path, new_version: str) -> Path | None:
    """The -vN file a new major version belongs in, when the name says another major (PV212's rule)."""
    import re

    match = re.search(r"-v(\d+)$", path.stem)
    major = int(new_version.split(".")[0])
    if match is None or int(match.group(1)) == major or major == 0:
        return None
    return path.with_name(f"{path.stem[:match.start()]}-v{major}{path.suffix}")


def _new_version_findings(path: Path, root: Path, old: str, new: str) -> list:
    """Version/changelog/date findings (PV21x) the bump would add."""
    from pv.checks.consistency.check import check
    from pv.core.loader import Source, parse_source

    def findings(text: str) -> set[tuple[str, str]]:
        doc, found = parse_source(Source(path.name, path, root, text, []))
        if doc is None:
            return {(f.code, f.message) for f in found}
        return {(f.code, f.message) for f in check(doc) if f.code.startswith("PV21")}

    before = findings(old)
    doc, _ = parse_source(Source(path.name, path, root, new, []))
    if doc is None:
        return _
    return [f for f in check(doc) if f.code.startswith("PV21") and (f.code, f.message) not in before]
