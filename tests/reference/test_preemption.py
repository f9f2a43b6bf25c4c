"""GATE-TRAIN-017: SIGTERM checkpoints and ends PREEMPTED; one writer per run directory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("torch")
from refhelpers import read_json, read_metrics, tiny_cli_args

from pv.reference import artifacts

RESULTS = ("step", "train_loss", "grad_norm", "lr")


@pytest.mark.contract("GATE-TRAIN-017")
def test_sigterm_checkpoints_and_resume_is_bit_identical(tmp_path, tiny_config):
    """The process gets a real SIGTERM during step 13 (epoch 2): it finishes that step, writes
    step-00000014.pt, exits 7 with status PREEMPTED, and the resumed run equals an uninterrupted one."""
    from click.testing import CliRunner

    from pv.cli import cli
    from pv.reference.train import run

    whole = tiny_config(epochs=3, run_dir=str(tmp_path / "whole"))
    assert run(whole).status.value == "COMPLETED"
    run_dir = tmp_path / "preempted"
    before = signal.getsignal(signal.SIGTERM)
    result = CliRunner().invoke(cli, tiny_cli_args(run_dir, epochs=3, warmup_steps=5)
                                + ["--inject-fault", "term:step=13"])
    assert result.exit_code == 7, result.output
    assert signal.getsignal(signal.SIGTERM) == before, "the handler is the loop's only while it runs"
    status = read_json(run_dir / "status.json")
    assert status["status"] == "PREEMPTED" and status["steps"] == 14 and "--resume" in status["message"]
    assert artifacts.step_checkpoint_path(run_dir, 14).is_file()
    assert read_json(artifacts.step_metadata_path(run_dir, 14))["reason"] == "preempted"
    resumed = CliRunner().invoke(cli, ["pretrain", "--run-dir", str(run_dir), "--resume", "--quiet"])
    assert resumed.exit_code == 0, resumed.output
    a, b = read_metrics(whole.run_dir), read_metrics(run_dir)
    assert [[r[k] for k in RESULTS] for r in a] == [[r[k] for k in RESULTS] for r in b]
    for epoch in (1, 2, 3):
        m1 = read_json(artifacts.metadata_path(Path(whole.run_dir), epoch))
        m2 = read_json(artifacts.metadata_path(run_dir, epoch))
        for key in ("optimizer_state_sha", "val_loss", "train_loss", "grad_norm_max", "tokens_seen"):
            assert m1[key] == m2[key], (epoch, key)


@pytest.mark.contract("GATE-TRAIN-017")
def test_ckpt_every_and_keep_last(tiny_config):
    from pv.reference.train import run

    cfg = tiny_config(epochs=3, ckpt_every=4, keep_last=2)
    assert run(cfg).status.value == "COMPLETED"
    run_dir = Path(cfg.run_dir)
    history = read_json(run_dir / "status.json")["history"]
    best = min(range(1, 4), key=lambda i: history[i])
    names = sorted(p.name for p in (run_dir / "ckpt").glob("*.pt"))
    # Step checkpoints at 4, 8, 12, 16, 24, 28 (not at the epoch ends 10, 20, 30); the 2 newest files
    # (epoch 3 at step 30 and step 28) and the best epoch's checkpoint stay.
    expected = {"epoch-003.pt", "step-00000028.pt", f"epoch-{best:03d}.pt"}
    assert set(names) == expected, names
    assert all(artifacts.metadata_path(run_dir, e).is_file() for e in (1, 2, 3)), "epoch metadata always stays"
    assert not list((run_dir / "ckpt").glob("step-00000004*")), "a step checkpoint's metadata goes with it"


@pytest.mark.contract("GATE-TRAIN-017")
def test_second_writer_is_refused(tmp_path, tiny_config):
    from click.testing import CliRunner

    from pv.cli import cli
    from pv.reference.train import RunDirError, run

    cfg = tiny_config(epochs=1, steps_per_epoch=3)
    assert run(cfg).status.value == "COMPLETED"
    run_dir = Path(cfg.run_dir)
    # A live holder of the lock: another process that has the run directory open.
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time\nfrom pathlib import Path\n"
                               "from pv.reference.artifacts import RunLock\n"
                               f"RunLock(Path({str(run_dir)!r}))\nprint('locked', flush=True)\ntime.sleep(60)"],
                              stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": os.getcwd()})
    try:
        assert holder.stdout.readline().strip() == "locked"
        before = (run_dir / "metrics.jsonl").read_bytes()
        cfg.epochs = 2
        with pytest.raises(RunDirError, match=f"in use by pid {holder.pid}"):
            run(cfg, resume=True)
        result = CliRunner().invoke(cli, ["pretrain", "--run-dir", str(run_dir), "--resume", "--quiet"])
        assert result.exit_code == 2 and "in use by pid" in result.output, result.output
        assert (run_dir / "metrics.jsonl").read_bytes() == before
    finally:
        holder.kill()
        holder.wait()
    assert run(cfg, resume=True).status.value == "COMPLETED", "the lock dies with its holder (kill -9)"


@pytest.mark.contract("GATE-TRAIN-017")
def test_worker_is_signalled_when_its_launcher_dies(tmp_path):
    """A launcher starts a worker and is SIGKILLed; the worker's watchdog notices and SIGTERMs itself."""
    marker = tmp_path / "got-sigterm"
    worker = ("import signal, sys, time\nfrom pathlib import Path\n"
              "from pv.reference.distributed import watch_parent\n"
              f"signal.signal(signal.SIGTERM, lambda *a: (Path({str(marker)!r}).write_text('yes'), sys.exit(0)))\n"
              "watch_parent(0.05)\nprint('ready', flush=True)\ntime.sleep(30)\n")
    launcher = ("import subprocess, sys, time\n"
                f"child = subprocess.Popen([sys.executable, '-c', {worker!r}], stdout=subprocess.PIPE, text=True)\n"
                "print(child.pid, child.stdout.readline().strip(), flush=True)\ntime.sleep(30)\n")
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    parent = subprocess.Popen([sys.executable, "-c", launcher], stdout=subprocess.PIPE, text=True, env=env)
    pid, state = parent.stdout.readline().split()
    assert state == "ready"
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        assert marker.read_text() == "yes", "the orphaned worker got SIGTERM"
    finally:
        try:
            os.kill(int(pid), signal.SIGKILL)
        except ProcessLookupError:
            pass
