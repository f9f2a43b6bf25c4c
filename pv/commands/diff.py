"""`pv diff`: what changed in contract terms since a git ref (or between two files),
and whether each changed contract's version bump covers it."""

from __future__ import annotations

import sys
from pathlib import Path, PurePosixPath

import click

from pv.commands.common import EXIT_USAGE, exit_code, resolve_root, usage_error
from pv.core.findings import Finding


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--base", metavar="REF",
              help="Git ref to compare the working tree with (default: the merge base of HEAD with the "
                   "default branch).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "github"]), default="text",
              show_default=True, help="Output format.")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path),
              help="Repository root (default: nearest parent with pyproject.toml or .git).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to this file (atomically) instead of stdout.")
def diff(paths: tuple[Path, ...], base: str | None, fmt: str, root: Path | None, output: Path | None) -> None:
    """Semantic diff of contracts and the version bump it requires.

    `pv diff [--base REF] [PATH]...` compares every changed contract under the
    contract dirs (or under PATHs) between REF and the working tree;
    `pv diff OLD.yaml NEW.yaml` (two files, no --base) compares two files.
    Each change is listed with the bump pv's policy requires (README, "pv diff").

    Exit status: 0 every changed contract is bumped enough and has a changelog
    entry, 1 one is not (or does not load), 2 usage error (unknown ref,
    shallow clone, not a git repository).
    """
    resolved, config = resolve_root(root)
    if base is None and len(paths) == 2 and all(p.is_file() for p in paths):
        findings, files, sources = _two_files(paths[0], paths[1], resolved, config)
    else:
        findings, files, sources = _against_git(paths, base, resolved, config)
    _emit(fmt, resolved, files, findings, sources, output)
    sys.exit(exit_code(findings))


def _two_files(old: Path, new: Path, root: Path, config) -> tuple[list[Finding], list[str], dict[str, str]]:
    from pv.core.loader import load
    from pv.lifecycle.versioning import judge

    old_doc, old_findings = load(old, root, config.limits)
    new_doc, new_findings = load(new, root, config.limits)
    problems = [f for f in old_findings + new_findings if f.code.startswith("PV0")]
    if old_doc is None or new_doc is None or problems:
        return problems or old_findings + new_findings, [d for d in (str(old), str(new))], {}
    return judge(old_doc.data, new_doc, old_doc.file), [new_doc.file], {new_doc.file: new_doc.text}


def _under(path: str, prefixes: list[str]) -> bool:
    pure = PurePosixPath(path)
    return any(p in ("", ".") or pure == PurePosixPath(p) or PurePosixPath(p) in pure.parents for p in prefixes)


def _against_git(paths: tuple[Path, ...], base: str | None, root: Path,
                 config) -> tuple[list[Finding], list[str], dict[str, str]]:
    from pv.core.discovery import SUFFIXES
    from pv.core.loader import Source, load, parse_source
    from pv.lifecycle.git import (
        GitError,
        changed_files,
        default_base,
        ensure_repository,
        pair_major_renames,
        require,
        show,
    )
    from pv.lifecycle.versioning import judge

    try:
        ensure_repository(root)
        if base is None:
            commit, label = default_base(root)
        else:
            commit = require(root, base)
            label = base
        changes = pair_major_renames(changed_files(root, commit))
    except GitError as exc:
        usage_error(str(exc))
    prefixes = []
    for p in paths:
        try:
            prefixes.append((p.resolve()).relative_to(root).as_posix())
        except ValueError:
            usage_error(f"{p} is outside the repository root {root}")
    scope = prefixes or [d.strip("/") for d in config.contract_dirs]
    findings: list[Finding] = []
    files: list[str] = []
    sources: dict[str, str] = {}
    for change in changes:
        if PurePosixPath(change.path).suffix not in SUFFIXES or not _under(change.path, scope):
            continue
        if change.status == "D":
            from pv.core.findings import Severity

            findings.append(Finding(change.path, 0, 0, "PV710", Severity.INFO,
                                    f"contract removed since {label}"))
            files.append(change.path)
            continue
        new_doc, load_findings = load(root / change.path, root, config.limits)
        files.append(change.path)
        if new_doc is None or any(f.code.startswith("PV0") for f in load_findings):
            findings.extend(load_findings)
            continue
        sources[new_doc.file] = new_doc.text
        if change.old_path is None:
            findings.append(new_doc.finding((), "PV711", f"new contract (not at {label}); nothing to compare"))
            continue
        try:
            raw = show(root, commit, change.old_path, config.limits.max_bytes)
        except GitError as exc:
            usage_error(str(exc))
        text = None
        if raw is not None:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = None
        old_doc = None
        if text is not None:
            old_doc, _ = parse_source(Source(f"{label}:{change.old_path}", root / change.old_path, root, text, []),
                                      config.limits)
        if old_doc is None:
            findings.append(new_doc.finding((), "PV711", f"the version at {label} does not load; nothing to "
                                            "compare"))
            continue
        findings.extend(judge(old_doc.data, new_doc, label))
    if not files:
        click.echo(f"pv: no contract changed since {label}", err=True)
    return findings, files, sources


def _emit(fmt: str, root: Path, files: list[str], findings: list[Finding], sources: dict[str, str],
          output: Path | None) -> None:
    from pv.core.report import Report
    from pv.reports import render, want_color

    report = Report(root=root, files=files, findings=sorted(findings), sources=sources)
    if output is not None:
        from pv.core.atomic import write_text_atomic

        try:
            write_text_atomic(output, render(fmt, report, color=False))
        except OSError as exc:
            click.echo(f"pv: error: cannot write the report to {output}: {exc.strerror or exc}", err=True)
            sys.exit(EXIT_USAGE)
        from pv.reports.common import summary_line

        click.echo(f"{summary_line(report)}; report written to {output}", err=True)
        return
    color = want_color(sys.stdout)
    click.echo(render(fmt, report, color=color), nl=False, color=color)
