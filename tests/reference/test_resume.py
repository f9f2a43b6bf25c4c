"""GATE-TRAIN-012: --resume from the last good pair reproduces the uninterrupted run."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch")
from refhelpers import read_json, read_metrics


def _record_steps(monkeypatch) -> list[int]:
    """The steps that train_step computes from now on."""
    from pv.reference.train import Trainer

    steps: list[int] = []
    real = Trainer.train_step

    def recording(self, step):
        steps.append(step)
        return real(self, step)

    monkeypatch.setattr(Trainer, "train_step", recording)
    return steps


@pytest.mark.contract("GATE-TRAIN-012")
def test_resume_reproduces_uninterrupted_run(tiny_config, tmp_path, monkeypatch):
    from pv.reference.faults import InjectedCrash, parse_fault
    from pv.reference.train import run

    whole = tiny_config(epochs=3, run_dir=str(tmp_path / "whole"))
    assert run(whole).status.value == "COMPLETED"

    broken = tiny_config(epochs=3, run_dir=str(tmp_path / "broken"))
    with pytest.raises(InjectedCrash):  # mid-epoch 2: steps 20..24 are recorded, then the process "dies"
        run(broken, fault=parse_fault("crash:step=25"))
    assert [r["step"] for r in read_metrics(broken.run_dir)][-1] == 24
    computed = _record_steps(monkeypatch)
    assert run(broken, resume=True).status.value == "COMPLETED"
    # It continued from the last good pair (epoch 2, next step 20) rather than retraining from scratch.
    assert computed == list(range(20, 30))

    a, b = read_metrics(whole.run_dir), read_metrics(broken.run_dir)
    assert [r["step"] for r in b] == list(range(30)), "the resume rewound the records past the checkpoint"
    for x, y in zip(a, b, strict=True):
        for name in ("step", "train_loss", "grad_norm", "lr"):
            assert x[name] == y[name], (x["step"], name)
    assert read_json(f"{whole.run_dir}/status.json")["history"] == read_json(f"{broken.run_dir}/status.json")["history"]
    for epoch in (1, 2, 3):
        m1 = read_json(f"{whole.run_dir}/ckpt/epoch-{epoch:03d}.metadata.json")
        m2 = read_json(f"{broken.run_dir}/ckpt/epoch-{epoch:03d}.metadata.json")
        assert m1["optimizer_state_sha"] == m2["optimizer_state_sha"], "bit-identical optimizer state"
        assert m1["val_loss"] == m2["val_loss"] and m1["tokens_seen"] == m2["tokens_seen"]
    # The resumed directory is a complete, consistent run in pv check-run's eyes.
    from refhelpers import CONTRACT

    from pv.core.loader import load
    from pv.runcheck.check import check_run
    from pv.runcheck.spec import read_spec

    doc, _ = load(CONTRACT, CONTRACT.parents[1])
    spec, problems = read_spec(doc)
    assert problems == [] and check_run(spec, Path(broken.run_dir)) == []


@pytest.mark.contract("GATE-TRAIN-012")
def test_resume_before_the_first_epoch_uses_the_step_zero_checkpoint(tiny_config, monkeypatch):
    """A crash in epoch 1 leaves only step-00000000.pt, written after the epoch-0 evaluation: the resume
    starts there, reproduces the records and does not evaluate epoch 0 again."""
    from pv.reference.faults import InjectedCrash, parse_fault
    from pv.reference.train import run

    cfg = tiny_config(epochs=2)
    with pytest.raises(InjectedCrash):  # dies before the first epoch ends
        run(cfg, fault=parse_fault("crash:step=4"))
    first = read_json(f"{cfg.run_dir}/initial-eval.json")
    computed = _record_steps(monkeypatch)
    assert run(cfg, resume=True).status.value == "COMPLETED"
    assert computed == list(range(20))
    assert read_json(f"{cfg.run_dir}/initial-eval.json") == first
    assert read_json(f"{cfg.run_dir}/status.json")["history"][0] == first["val_loss"]
    assert [r["step"] for r in read_metrics(cfg.run_dir)] == list(range(20))


def test_existing_run_dir_is_not_overwritten(tiny_config):
    from pv.reference.train import RunDirError, run

    cfg = tiny_config(epochs=1)
    run(cfg)
    with pytest.raises(RunDirError, match="--resume"):
        run(cfg)


def test_resuming_a_run_that_stopped_early_keeps_its_decision(tiny_config):
    """Killed after the last checkpoint of an early-stopped run (before status.json): the resume takes the
    same decision instead of calling the run COMPLETED or training on."""
    from pv.reference.train import run

    cfg = tiny_config(epochs=6, steps_per_epoch=3, target_val_loss=100.0)  # stops after the 3 minimum epochs
    first = run(cfg)
    assert first.status.value == "EARLY_STOP" and first.epochs_completed == 3
    again = run(cfg, resume=True)
    assert (again.status, again.message, again.history) == (first.status, first.message, first.history)
    assert again.steps == 9 and len(read_metrics(cfg.run_dir)) == 9
