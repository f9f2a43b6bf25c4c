"""GATE-TRAIN-004: early stopping after the minimum epochs, with patience, exit 0 and EARLY_STOP."""

from __future__ import annotations

import pytest
from refhelpers import read_json

from pv.reference.convergence import ConvergencePolicy, early_stop_reason

POLICY = ConvergencePolicy(target_val_loss=2.2, patience_epochs=2, min_epochs_before_early_stop=3)


def _stop_epoch(trace: list[float], policy: ConvergencePolicy = POLICY) -> int | None:
    """The number of epochs after which the loop stops (None: it never does)."""
    for done in range(1, len(trace) + 1):
        if early_stop_reason(trace[:done], policy):
            return done
    return None


@pytest.mark.contract("GATE-TRAIN-004")
def test_early_stop_respects_patience_and_minimum():
    # A plateau from epoch 0: no improvement for 2 epochs after epoch 0, but not before 3 epochs.
    assert _stop_epoch([3.0, 3.0, 3.0, 3.0, 3.0]) == 3
    # Improving until epoch 3, then flat: stops exactly 2 epochs after the best.
    assert _stop_epoch([4.0, 3.5, 3.2, 3.0, 3.1, 3.05, 3.2]) == 6
    # An equal loss is not an improvement.
    assert _stop_epoch([4.0, 3.0, 2.5, 2.5, 2.5]) == 5
    # Still improving each epoch: never stops.
    assert _stop_epoch([4.0, 3.6, 3.3, 3.0, 2.8, 2.6]) is None
    # The target is reached at epoch 1, but the minimum holds the stop until 3 epochs are done.
    assert _stop_epoch([3.0, 2.1, 2.0, 1.9]) == 3
    # A longer patience waits longer.
    assert _stop_epoch([4.0, 3.0, 3.1, 3.1, 3.1, 3.1], ConvergencePolicy(2.2, 4, 3)) == 6
    assert "target" in early_stop_reason([3.0, 2.5, 2.1], POLICY)
    assert "patience 2" in early_stop_reason([3.0, 3.0, 3.0], POLICY)
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
    assert status["epochs_completed"] == 3 and len(status["history"]) == 3
    assert not (run_dir / "ckpt" / "epoch-003.pt").exists()

    # Patience: epoch 0 reports 3.0 (injected), which the real losses after it (about 5) never beat,
    # and the target is out of reach. With --patience 3 the run stops after 4 epochs, not before.
    run_dir = tmp_path / "patience"
    result = CliRunner().invoke(cli, tiny_cli_args(run_dir, epochs=6, steps_per_epoch=5)
                                + ["--target-val-loss", "0.1", "--min-epochs", "2", "--patience", "3",
                                   "--inject-fault", "val_loss:epoch=0,value=3.0"])
    assert result.exit_code == 0, result.output
    status = read_json(run_dir / "status.json")
    assert status["status"] == "EARLY_STOP" and status["epochs_completed"] == 4, status
    assert min(status["history"][1:]) > 3.0 and "patience 3" in status["message"]
