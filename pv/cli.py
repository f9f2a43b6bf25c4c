"""The `pv` command line. Subcommands of feature packages load lazily."""

from __future__ import annotations

import contextlib
import importlib
import os
import sys

import click

# Every command is one module in pv/commands: name -> "module:attribute".
# Imported only when invoked (or listed by --help), so `pv validate` stays light.
LAZY_COMMANDS: dict[str, str] = {
    "validate": "pv.commands.validate:validate",
    "baseline": "pv.commands.baseline:baseline",
    "config": "pv.commands.config:config",
    "rules": "pv.commands.rules:rules",
    "explain": "pv.commands.explain:explain",
    "formulas": "pv.commands.formulas:formulas",
    "verify": "pv.commands.verify:verify",
    "discharge": "pv.commands.discharge:discharge",
    "trace": "pv.commands.trace:trace",
    "check-run": "pv.commands.check_run:check_run",
    "pretrain": "pv.commands.pretrain:pretrain",
    "bump": "pv.commands.bump:bump",
    "diff": "pv.commands.diff:diff",
    "new": "pv.commands.new:new",
    "graph": "pv.commands.graph:graph",
    "coverage": "pv.commands.coverage:coverage",
    "lsp": "pv.commands.lsp:lsp",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name in LAZY_COMMANDS if self._load(name) is not None)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self._load(name)

    @staticmethod
    def _load(name: str) -> click.Command | None:
        target = LAZY_COMMANDS.get(name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:  # feature package (or its extra) not installed
            if exc.name and (module_name.startswith(exc.name) or exc.name in ("torch",)):
                return None
            raise
        return getattr(module, attr)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="pv-contracts", prog_name="pv")
def cli() -> None:
    """pv: validate versioned contract YAML and the evidence behind its gates."""


def main() -> None:
    """Run the CLI; an exception that escapes a command is PV900 with exit 2, never a traceback.

    Exit 1 means "findings", so a crash must never look like one to CI.
    """
    try:
        cli(prog_name="pv")
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.stderr.write("pv: interrupted\n")
        sys.exit(130)
    except BaseException as exc:  # noqa: BLE001 -- the last line of defence
        internal_error(exc)


def internal_error(exc: BaseException) -> None:
    """Report an escaped exception as PV900 on stderr and exit 2."""
    from pv.reports.common import printable

    text = printable(f"{type(exc).__name__}: {exc}").replace("\n", " ")[:500]
    try:
        sys.stderr.write(f"pv: error: PV900 internal error: {text}\n"
                         "hint: this is a bug in pv; please report it with the command you ran\n")
        sys.stderr.flush()
    except Exception:  # noqa: BLE001 -- stderr itself is gone; the exit status still says it
        pass
    # Quiet the interpreter's own flush of a broken stdout at exit (it would print a traceback).
    with contextlib.suppress(Exception):
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
    sys.exit(2)
