"""GATE-TRAIN-004: early stopping after the minimum epochs, with patience, exit 0 and EARLY_STOP."""

from __future__ import annotations

import pytest
from refhelpers import read_json

from pv.reference.convergence import ConvergencePolicy, early_stop_reason

POLICY = ConvergencePolicy(target_val_loss=2.2, patience_epochs=2, min_epochs_before_early_stop=3)


def _stop_epoch(trace: list[float], policy: ConvergencePolicy = POLICY) -> int | None:
    """The number of trained epochs after which the loop stops (None: it never does).

    trace[0] is epoch 0, measured before the first update; trace[N] the loss after N epochs."""
    for done in range(1, len(trace)):
        if early_stop_reason(trace[:done + 1], policy):
            return done
    return None


@pytest.mark.contract("GATE-TRAIN-004")
def test_early_stop_respects_patience_and_minimum():
    # Epoch 0 at 5.0, then a plateau at 3.0 from epoch 1: the best is epoch 1; no improvement for 2 epochs
    # after it is reached at epoch 3, which is also the minimum.
    assert _stop_epoch([5.0, 3.0, 3.0, 3.0, 3.0]) == 3
    # Improving until epoch 4, then flat: stops exactly 2 epochs after the best.
    assert _stop_epoch([5.0, 4.0, 3.5, 3.2, 3.0, 3.1, 3.05, 3.2]) == 6
    # An equal loss is not an improvement.
    assert _stop_epoch([5.0, 4.0, 3.0, 2.5, 2.5, 2.5]) == 5
    # Still improving each epoch: never stops.
    assert _stop_epoch([5.0, 4.0, 3.6, 3.3, 3.0, 2.8, 2.6]) is None
    # The target is reached at epoch 2, but the minimum holds the stop until 3 epochs are done.
    assert _stop_epoch([5.0, 3.0, 2.1, 2.0, 1.9]) == 3
    # A longer patience waits longer.
    assert _stop_epoch([5.0, 4.0, 3.0, 3.1, 3.1, 3.1, 3.1], ConvergencePolicy(2.2, 4, 3)) == 6
    # Epoch 0 counts as the best so far: a run that never beats it stops after its patience.
    assert _stop_epoch([3.0, 3.5, 3.4, 3.3]) == 3
    assert "target" in early_stop_reason([5.0, 3.0, 2.5, 2.1], POLICY)
    assert "patience 2" in early_stop_reason([5.0, 3.0, 3.0, 3.0], POLICY)
    assert early_stop_reason([5.0, 2.0, 2.0], POLICY) is None, "2 epochs trained: under the minimum of 3"
    with pytest.raises(ValueError):
        ConvergencePolicy(2.2, 0, 3)


@pytest.mark.contract("GATE-TRAIN-004")
def test_real_run_stops_early_with_exit_zero(tmp_path):
    pytest.importorskip("torch")
    from click.testing import CliRunner
    from refhelpers import tiny_cli_args

    from pv.cli import cli

    run_dir = tmp_path / "early"
    # Any loss meets a target of 100, so the run stops as soon as the minimum allows: after 3 of 6 epochs.
    result = CliRunner().invoke(cli, tiny_cli_args(run_dir, epochs=6, steps_per_epoch=5)
                                + ["--target-val-loss", "100", "--min-epochs", "3"])
    assert result.exit_code == 0, result.output
    status = read_json(run_dir / "status.json")
    assert status["status"] == "EARLY_STOP" and status["exit_code"] == 0
    assert status["epochs_completed"] == 3 and len(status["history"]) == 4  # epoch 0 and three trained
    assert not (run_dir / "ckpt" / "epoch-004.pt").exists()

    # Patience: epoch 1 reports 3.0 (injected), below epoch 0 (about 5.5) and never beaten by the real
    # losses after it (about 4 to 5 with 5 warm-up steps per epoch); the target is out of reach. With
    # --patience 3 the run stops after 4 epochs, not before, and it improved on epoch 0: EARLY_STOP.
    run_dir = tmp_path / "patience"
    result = CliRunner().invoke(cli, tiny_cli_args(run_dir, epochs=6, steps_per_epoch=5)
                                + ["--target-val-loss", "0.1", "--min-epochs", "2", "--patience", "3",
                                   "--inject-fault", "val_loss:epoch=1,value=3.0"])
    assert result.exit_code == 0, result.output
    status = read_json(run_dir / "status.json")
    assert status["status"] == "EARLY_STOP" and status["epochs_completed"] == 4, status
    assert min(status["history"][2:]) > 3.0 and "patience 3" in status["message"]


@pytest.mark.contract("GATE-TRAIN-015")
def test_success_requires_improving_on_epoch_zero():
    from pv.reference.convergence import improved_on_start, no_improvement_reason

    assert improved_on_start(2.1, 5.5) is True
    assert improved_on_start(5.5, 5.5) is False, "equal is not an improvement"
    assert improved_on_start(6.86, 5.55) is False
    assert improved_on_start(float("nan"), 5.5) is False
    assert no_improvement_reason([5.5, 4.0, 6.0]) is None, "the best, not the last, must beat epoch 0"
    assert "not below the epoch-0 loss 5.5500" in no_improvement_reason([5.55, 6.86, 6.2])
    assert no_improvement_reason([5.5]) == "no epoch of training completed"


@pytest.mark.contract("GATE-TRAIN-015")
def test_run_that_got_worse_ends_no_improvement(tmp_path, monkeypatch):
    """Issue 12's run, 6.86 → 11.94 → 17.81 in spirit: every epoch worse than the start but each under the
    caps (V = 256: cap 11.09, at most 2× per epoch). It used to end EARLY_STOP with exit 0."""
    pytest.importorskip("torch")
    from click.testing import CliRunner
    from refhelpers import CONTRACT, tiny_cli_args

    from pv.cli import cli
    from pv.reference import train

    real = train.Trainer.evaluate
    worse = {1: 6.0, 2: 6.5, 3: 7.0}  # epoch 0 is the real cold start, ≈ ln 256 = 5.55
    monkeypatch.setattr(train.Trainer, "evaluate", lambda self, epoch: worse.get(epoch) or real(self, epoch))
    run_dir = tmp_path / "worse"
    result = CliRunner().invoke(cli, tiny_cli_args(run_dir, epochs=6, steps_per_epoch=3)
                                + ["--min-epochs", "2", "--patience", "3"])
    assert result.exit_code == 6, result.output
    status = read_json(run_dir / "status.json")
    assert status["status"] == "NO_IMPROVEMENT" and status["exit_code"] == 6
    assert status["epochs_completed"] == 3 and status["history"][1:] == [6.0, 6.5, 7.0]
    assert "patience 3" in status["message"] and "got no better" in status["message"]
    checked = CliRunner().invoke(cli, ["check-run", str(CONTRACT), str(run_dir)])
    assert checked.exit_code == 1 and "PV512" in checked.output and "NO_IMPROVEMENT" in checked.output


def test_exit_statuses_match_the_contract():
    from refhelpers import CONTRACT

    from pv.core.loader import load
    from pv.reference.status import EXIT_CODES

    doc, findings = load(CONTRACT, CONTRACT.parents[1])
    assert doc is not None, findings
    assert doc.data["exit_statuses"] == {status.value: code for status, code in EXIT_CODES.items()}
