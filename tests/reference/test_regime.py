"""GATE-TRAIN-005 (non-divergence, regime-aware epoch-0 cap) and GATE-TRAIN-007 (NaN aborts)."""

from __future__ import annotations

import json
import math

import pytest
from refhelpers import read_json, read_metrics

from pv.reference.regime import (
    TrainingRegime,
    check_growth,
    check_non_divergence,
    divergence_reason,
    epoch_zero_val_loss_limit,
    within_regime_cap,
)

GPT2_VOCAB = 50257
FINETUNE = TrainingRegime.finetune()
SCRATCH = TrainingRegime.from_scratch(GPT2_VOCAB)


@pytest.mark.contract("GATE-TRAIN-005")
def test_doubling_val_loss_aborts():
    # The contract's trace: 3.5 then 7.1 (> 2 × 3.5) aborts at epoch 1, in both regimes.
    for regime in (FINETUNE, SCRATCH):
        assert check_non_divergence(0, [3.5, 7.1], regime) is True
        assert check_non_divergence(1, [3.5, 7.1], regime) is False
        assert "more than 2x" in divergence_reason(1, [3.5, 7.1], regime)
        assert check_non_divergence(1, [3.5, 7.0], regime) is True  # exactly double is allowed
        assert check_non_divergence(2, [3.5, 3.0, 6.1], regime) is False


@pytest.mark.contract("GATE-TRAIN-005")
def test_finetune_epoch_zero_over_cap_aborts():
    assert epoch_zero_val_loss_limit(FINETUNE) == 10.0
    assert check_non_divergence(0, [11.0], FINETUNE) is False
    assert check_non_divergence(0, [10.0], FINETUNE) is True
    assert check_non_divergence(0, [9.99], FINETUNE) is True
    assert check_non_divergence(0, [math.nan], FINETUNE) is False
    assert check_non_divergence(0, [math.inf], FINETUNE) is False


@pytest.mark.contract("GATE-TRAIN-005")
def test_from_scratch_permits_near_random_baseline():
    # A cold start sits near ln(V) = 10.82; a near-random 18.0 is still under 2·ln(V).
    assert check_non_divergence(0, [18.0], SCRATCH) is True
    assert check_non_divergence(0, [math.log(GPT2_VOCAB)], SCRATCH) is True
    # The same loss under the finetune cap is the v1.1.0 bug this contract fixed.
    assert check_non_divergence(0, [18.0], FINETUNE) is False
    assert check_non_divergence(0, [math.log(GPT2_VOCAB)], FINETUNE) is False


@pytest.mark.contract("GATE-TRAIN-005")
def test_from_scratch_aborts_above_two_ln_vocab():
    assert check_non_divergence(0, [25.0], SCRATCH) is False
    assert "2·ln(vocab_size)" in divergence_reason(0, [25.0], SCRATCH)
    cap = 2 * math.log(GPT2_VOCAB)
    assert check_non_divergence(0, [math.nextafter(cap, math.inf)], SCRATCH) is False
    assert check_non_divergence(0, [cap], SCRATCH) is True


@pytest.mark.contract("GATE-TRAIN-005")
def test_from_scratch_cap_is_two_ln_vocab():
    assert epoch_zero_val_loss_limit(SCRATCH) == pytest.approx(21.6498, abs=1e-4)
    for vocab in (2, 149, 256, 1000, GPT2_VOCAB, 128_000):
        assert epoch_zero_val_loss_limit(TrainingRegime.from_scratch(vocab)) == 2 * math.log(vocab)
    # Above e^5 ≈ 148.4 the from-scratch cap is looser than the finetune cap.
    assert epoch_zero_val_loss_limit(TrainingRegime.from_scratch(148)) < 10.0
    assert epoch_zero_val_loss_limit(TrainingRegime.from_scratch(149)) > 10.0


@pytest.mark.contract("GATE-TRAIN-005")
def test_regime_serialises_tagged_by_kind():
    assert TrainingRegime() == FINETUNE  # the default
    assert FINETUNE.to_dict() == {"kind": "finetune"}
    assert SCRATCH.to_dict() == {"kind": "from_scratch", "vocab_size": GPT2_VOCAB}
    for regime in (FINETUNE, SCRATCH):
        assert TrainingRegime.from_dict(json.loads(json.dumps(regime.to_dict()))) == regime
    assert TrainingRegime.from_dict(None) == FINETUNE
    for bad in ({"kind": "from_scratch"}, {"kind": "warm"}, {"kind": "finetune", "vocab_size": 3},
                {"kind": "from_scratch", "vocab_size": 1}, {"kind": "finetune", "extra": 1}, [1]):
        with pytest.raises(ValueError):
            TrainingRegime.from_dict(bad)


@pytest.mark.contract("GATE-TRAIN-005")
def test_regime_cap_holds_at_every_epoch():
    small = TrainingRegime.from_scratch(256)  # cap 2·ln 256 = 11.09
    # Issue 12's trace: each epoch less than double the one before, yet 11.94 is above the cap.
    assert check_non_divergence(1, [5.55, 6.86, 11.94], small) is True
    assert check_non_divergence(2, [5.55, 6.86, 11.94], small) is False
    assert "holds at every epoch" in divergence_reason(2, [5.55, 6.86, 11.94], small)
    assert check_non_divergence(2, [5.55, 6.86, 10.0], small) is True
    assert check_non_divergence(3, [6.0, 9.0, 9.5, 10.5], FINETUNE) is False, "finetune: 10.0 at every epoch"
    assert check_non_divergence(3, [6.0, 9.0, 9.5, 10.0], FINETUNE) is True
    # The two halves, as the contract's formulas bind them: doubling alone, and the cap alone.
    assert check_growth(2, [5.55, 6.86, 11.94]) is True and check_growth(1, [3.5, 7.1]) is False
    assert within_regime_cap(2, [5.55, 6.86, 11.94], small) is False
    assert within_regime_cap(1, [5.55, 6.86, 11.94], small) is True


@pytest.mark.contract("GATE-TRAIN-005")
def test_run_above_the_cap_later_aborts_though_it_grew_less_than_2x(tmp_path, monkeypatch):
    """Issue 12's trace on a real run: epoch 0 is the real cold start (≈ ln 256 = 5.55), then 6.86 and
    11.94, each less than double the one before; 11.94 breaks 2·ln 256 = 11.09."""
    from click.testing import CliRunner
    from refhelpers import tiny_cli_args

    from pv.cli import cli
    from pv.reference import train

    real = train.Trainer.evaluate
    trace = {1: 6.86, 2: 11.94}
    monkeypatch.setattr(train.Trainer, "evaluate", lambda self, epoch: trace.get(epoch) or real(self, epoch))
    run_dir = tmp_path / "drift"
    result = CliRunner().invoke(cli, tiny_cli_args(run_dir, epochs=3, steps_per_epoch=5))
    assert result.exit_code == 3, result.output
    status = read_json(run_dir / "status.json")
    assert status["status"] == "DIVERGENCE" and status["epochs_completed"] == 1
    assert status["history"][1:] == [6.86, 11.94] and abs(status["history"][0] - math.log(256)) < 0.1
    assert "exceeds the from_scratch cap 11.0904, which holds at every epoch" in status["message"]
    assert not (run_dir / "ckpt" / "epoch-002.pt").exists()


@pytest.mark.contract("GATE-TRAIN-005")
def test_divergence_aborts_the_run_with_its_exit_status(tiny_config, tmp_path):
    from click.testing import CliRunner
    from refhelpers import tiny_cli_args

    from pv.cli import cli

    run_dir = tmp_path / "diverged"
    result = CliRunner().invoke(cli, tiny_cli_args(run_dir, epochs=3) + ["--inject-fault", "val_loss:epoch=2,value=50"])
    assert result.exit_code == 3, result.output
    status = read_json(run_dir / "status.json")
    assert status["status"] == "DIVERGENCE" and status["epochs_completed"] == 1
    assert (run_dir / "ckpt" / "epoch-001.pt").exists()
    assert not (run_dir / "ckpt" / "epoch-002.pt").exists(), "a diverged epoch leaves no checkpoint"


@pytest.mark.contract("GATE-TRAIN-007")
def test_nan_loss_aborts_within_one_step(tiny_config, tmp_path):
    from click.testing import CliRunner
    from refhelpers import tiny_cli_args

    from pv.cli import cli

    run_dir = tmp_path / "nan"
    result = CliRunner().invoke(cli, tiny_cli_args(run_dir) + ["--inject-fault", "nan_loss:step=13"])
    assert result.exit_code == 4, result.output
    status = read_json(run_dir / "status.json")
    assert status["status"] == "NUMERICAL_INSTABILITY" and status["steps"] == 13
    assert "step 13" in status["message"]
    records = read_metrics(run_dir)
    assert [r["step"] for r in records] == list(range(13)), "no record for the NaN step, none after it"
    assert all(math.isfinite(r["train_loss"]) for r in records)


@pytest.mark.contract("GATE-TRAIN-007")
def test_nan_aborts_before_the_update_is_applied(tiny_config):
    """The abort happens inside the step that produced the NaN: the weights stay finite."""
    import torch

    from pv.reference import distributed
    from pv.reference.faults import parse_fault
    from pv.reference.status import TrainingAbort
    from pv.reference.train import Trainer

    trainer = Trainer(tiny_config(), distributed.DistContext(), fault=parse_fault("nan_loss:step=2"))
    trainer.train_step(0)
    trainer.train_step(1)
    with pytest.raises(TrainingAbort) as caught:
        trainer.train_step(2)
    assert caught.value.status.value == "NUMERICAL_INSTABILITY" and caught.value.step == 2
    assert all(torch.isfinite(p).all() for p in trainer.model.parameters())


@pytest.mark.contract("GATE-TRAIN-007")
@pytest.mark.parametrize("where", ["inf_grad_norm", "inf_loss"])
def test_inf_loss_or_grad_norm_aborts_before_the_update(tiny_config, monkeypatch, where):
    """An Inf counts like a NaN, and a non-finite gradient norm with a finite loss aborts too."""
    import torch

    from pv.reference import distributed, train
    from pv.reference.status import TrainingAbort

    trainer = train.Trainer(tiny_config(), distributed.DistContext())
    trainer.train_step(0)
    before = [p.detach().clone() for p in trainer.model.parameters()]
    if where == "inf_grad_norm":
        # One parameter's gradient becomes Inf; the loss itself stays finite.
        trainer.model.parameters().__next__().register_hook(lambda grad: grad * math.inf)
    else:
        real_loss = train.lm_loss
        monkeypatch.setattr(train, "lm_loss", lambda logits, targets: real_loss(logits, targets) * math.inf)
    with pytest.raises(TrainingAbort) as caught:
        trainer.train_step(1)
    assert caught.value.status.value == "NUMERICAL_INSTABILITY" and caught.value.step == 1
    message = caught.value.message
    if where == "inf_grad_norm":
        assert "grad_norm=inf" in message and "train_loss=inf" not in message, message
    else:
        assert "train_loss=inf" in message, message
    after = list(trainer.model.parameters())
    assert all(torch.equal(a, b) for a, b in zip(before, after, strict=True)), "no update was applied"
