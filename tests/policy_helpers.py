"""Shared by the policy and baseline tests: a kernel contract with one known error, one info, and a CLI runner."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from pv.cli import cli

FIXTURES = Path(__file__).parent / "fixtures"
KERNEL = (FIXTURES / "valid" / "minimal-kernel-v1.yaml").read_text().replace(
    "total_obligations: 2", "total_obligations: 5")  # PV220 on the line of total_obligations


def line_of(needle: str, text: str = KERNEL) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


TOTAL = line_of("total_obligations:")  # PV220 (an error)
EQUATIONS = line_of("equations:")  # PV300 (an info)
LEAN = line_of("l4_lean_proved:")
SORRY = line_of("l4_sorry_count:")


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output
