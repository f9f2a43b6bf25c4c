"""The early-stopping rule of INV-TRAIN-004 and the success rule of INV-TRAIN-015 (pure Python)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from pv.reference.regime import improved_on_start  # the rule lives with the other bound formulas


@dataclass(frozen=True)
class ConvergencePolicy:
    target_val_loss: float
    patience_epochs: int = 2
    min_epochs_before_early_stop: int = 3

    def __post_init__(self) -> None:
        if self.patience_epochs < 1 or self.min_epochs_before_early_stop < 1:
            raise ValueError("patience_epochs and min_epochs_before_early_stop must be at least 1")


def early_stop_reason(history: Sequence[float], policy: ConvergencePolicy) -> str | None:
    """Why training should stop after the epochs in `history`, or None to go on.

    `history[0]` is epoch 0 (measured before the first update) and
    `history[N]` the loss after N epochs of updates, so `len(history) - 1`
    epochs have been trained. Never before `min_epochs_before_early_stop` of
    them. After that, stop once the latest validation loss reaches the
    target, or once `patience_epochs` epochs have passed without beating
    the best loss so far, epoch 0 included (a strict improvement is needed).
    Whether the stop counts as a success is `improved_on_start`'s call.
    """
    done = len(history) - 1
    if done < policy.min_epochs_before_early_stop:
        return None
    latest = history[-1]
    if math.isfinite(latest) and latest <= policy.target_val_loss:
        return f"validation loss {latest:.4f} reached the target {policy.target_val_loss:g}"
    best_epoch = min(range(done + 1), key=lambda i: (history[i], i))
    stale = done - best_epoch
    if stale >= policy.patience_epochs:
        return (f"no improvement on the best validation loss {history[best_epoch]:.4f} "
                f"(epoch {best_epoch}) for {stale} epochs (patience {policy.patience_epochs})")
    return None


def no_improvement_reason(history: Sequence[float]) -> str | None:
    """Why a run that ends now must not report success (None: it improved on epoch 0)."""
    if len(history) < 2:
        return "no epoch of training completed"
    best = min(history[1:])
    if improved_on_start(best, history[0]):
        return None
    return (f"the best validation loss after training, {best:.4f}, is not below the epoch-0 loss "
            f"{history[0]:.4f} measured before the first update: the run got no better")
