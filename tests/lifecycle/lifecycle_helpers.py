"""Helpers for the lifecycle tests."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def run_pv(*args: str, cwd: Path | None = None) -> Ran:
    """Run `pv ARGS` in this process (CliRunner: no interpreter start-up per call), from `cwd`."""
    from pv.cli import cli

    previous = Path.cwd()
    os.chdir(cwd or REPO_ROOT)
    try:
        result = CliRunner().invoke(cli, list(args), catch_exceptions=False, env={"NO_COLOR": "1"})
    finally:
        os.chdir(previous)
    return Ran(result.exit_code, result.stdout, result.stderr)
