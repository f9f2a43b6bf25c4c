"""`pv check-run CONTRACT RUN_DIR`: verify a finished training run against its contract."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command("check-run")
@click.argument("contract", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--plot", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the run's loss curve to this PNG (needs matplotlib).")
def check_run(contract: Path, run_dir: Path, fmt: str, plot: Path | None) -> None:
    """Check RUN_DIR (written by `pv pretrain`) against CONTRACT's per-step fields,
    per-epoch artifacts, regime caps and placeholder fingerprint.

    Exit 0 when the run satisfies the contract, 1 on findings, 2 on usage errors.
    """
    from pv.core.config import find_root, load_config
    from pv.core.findings import Severity
    from pv.core.loader import load
    from pv.runcheck.check import check_run as run_checks
    from pv.runcheck.spec import read_spec

    root = find_root(Path.cwd())
    config = load_config(root)
    doc, findings = load(contract, root, config.limits)
    if doc is not None:
        spec, spec_findings = read_spec(doc)
        findings = findings + spec_findings
        if spec is not None:
            findings = findings + run_checks(spec, run_dir, show=lambda p: _display(p, root))
    if plot is not None:
        from pv.runcheck.plot import PlotUnavailable, write_loss_curve
        try:
            write_loss_curve(run_dir, plot)
            click.echo(f"loss curve written to {plot}", err=True)
        except PlotUnavailable as exc:
            raise click.UsageError(str(exc)) from None
        except OSError as exc:  # /proc/x.png, a parent that is a file, a read-only place
            raise click.UsageError(f"cannot write the loss curve to {plot}: {exc.strerror or exc}") from None
    findings = sorted(findings)
    click.echo(_render(fmt, root, findings, [_display(contract, root), _display(run_dir, root)]), nl=False)
    errors = sum(1 for f in findings if f.severity == Severity.ERROR)
    raise SystemExit(1 if errors else 0)


def _display(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _render(fmt: str, root: Path, findings: list, files: list[str]) -> str:
    try:
        from pv.core.report import Report
        from pv.reports import render
        sources = {}
        for name in {f.file for f in findings}:
            path = root / name if not Path(name).is_absolute() else Path(name)
            try:
                if path.is_file() and path.stat().st_size < 2_000_000:
                    sources[name] = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                pass
        return render(fmt, Report(root=root, files=files, findings=findings, sources=sources), color=False)
    except (ImportError, ValueError):  # a report format not available in this build
        if fmt == "json":
            return json.dumps({"findings": [f.to_dict() for f in findings]}, indent=2) + "\n"
        lines = [f"{f.file}:{f.line}:{f.col}: {f.severity.label} {f.code} {f.message}" for f in findings]
        errors = sum(1 for f in findings if f.severity.label == "error")
        lines.append(f"{errors} errors, {len(findings) - errors} other findings")
        return "\n".join(lines) + "\n"
