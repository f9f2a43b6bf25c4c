"""`--mode` defaults: the hyperparameter table of the contract (v1.3.0).

A mode sets the regime, lr_max, warmup_steps and target_val_loss together,
so a from-scratch run never inherits a finetune's cap or learning rate by
accident. Explicit overrides win. tests/reference/test_pretrain_cli.py checks that
this table equals the contract's `hyperparameter_defaults`.
"""

from __future__ import annotations

from dataclasses import dataclass

from pv.reference.regime import FINETUNE, FROM_SCRATCH, TrainingRegime

MODES = ("finetune", "from-scratch")

MODE_DEFAULTS: dict[str, dict[str, object]] = {
    # Pretrained weights: a small step size and a short warmup keep what they know.
    "finetune": {"regime": FINETUNE, "lr_max": 3.0e-4, "warmup_steps": 20, "target_val_loss": 1.8},
    # Random init: a larger step size after a longer warmup.
    "from-scratch": {"regime": FROM_SCRATCH, "lr_max": 3.0e-3, "warmup_steps": 100, "target_val_loss": 2.2},
}


@dataclass(frozen=True)
class Hyperparameters:
    regime: TrainingRegime
    lr_max: float
    warmup_steps: int
    target_val_loss: float


def resolve(mode: str, vocab_size: int, *, lr: float | None = None, warmup_steps: int | None = None,
            target_val_loss: float | None = None) -> Hyperparameters:
    """The mode's defaults with any explicit override applied."""
    if mode not in MODE_DEFAULTS:
        raise ValueError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    row = MODE_DEFAULTS[mode]
    regime = (TrainingRegime.from_scratch(vocab_size) if row["regime"] == FROM_SCRATCH
              else TrainingRegime.finetune())
    return Hyperparameters(
        regime=regime,
        lr_max=float(row["lr_max"]) if lr is None else float(lr),
        warmup_steps=int(row["warmup_steps"]) if warmup_steps is None else int(warmup_steps),
        target_val_loss=float(row["target_val_loss"]) if target_val_loss is None else float(target_val_loss),
    )
