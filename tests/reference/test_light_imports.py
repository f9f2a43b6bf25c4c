"""The light modules stay light: pv validate, pv verify and pv check-run must not pull in torch."""

from __future__ import annotations

import subprocess
import sys


def test_light_modules_do_not_import_torch():
    code = ("import sys\n"
            "import pv.reference.regime, pv.reference.convergence, pv.reference.hparams, pv.reference.status\n"
            "import pv.reference.faults, pv.reference.artifacts, pv.reference.flops, pv.runcheck.check\n"
            "import pv.runcheck.spec\n"
            "import pv.commands.check_run, pv.commands.pretrain\n"
            "assert 'torch' not in sys.modules, 'torch was imported'\n"
            "print('light')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == "light", proc.stderr


def test_status_line_only_on_a_tty(monkeypatch):
    import io

    from pv.reference.metrics import StatusLine

    record = {"train_loss": 2.5, "lr": 1e-3, "tokens_per_sec": 1000.0}

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("CI", raising=False)
    tty = Tty()
    line = StatusLine(tty)
    line.step(0, 3, 7, record)
    assert line.enabled and "epoch 1/3 step 7 loss 2.5000" in tty.getvalue() and tty.getvalue().startswith("\r")
    monkeypatch.setenv("CI", "true")
    quiet = Tty()
    StatusLine(quiet).step(0, 3, 7, record)
    assert quiet.getvalue() == ""
    piped = io.StringIO()
    monkeypatch.delenv("CI")
    StatusLine(piped).step(0, 3, 7, record)
    assert piped.getvalue() == ""
