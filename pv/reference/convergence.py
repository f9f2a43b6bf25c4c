"""The early-stopping rule of INV-TRAIN-004 (pure Python)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


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

    Never before `min_epochs_before_early_stop` epochs have completed. After
    that, stop once the latest validation loss reaches the target, or once
    `patience_epochs` epochs have passed without beating the best loss so far
    (a strict improvement is needed).
    """
    done = len(history)
    if done < policy.min_epochs_before_early_stop:
        return None
    latest = history[-1]
    if math.isfinite(latest) and latest <= policy.target_val_loss:
        return f"validation loss {latest:.4f} reached the target {policy.target_val_loss:g}"
    best_epoch = min(range(done), key=lambda i: (history[i], i))
    stale = done - 1 - best_epoch
    if stale >= policy.patience_epochs:
        return (f"no improvement on the best validation loss {history[best_epoch]:.4f} "
                f"(epoch {best_epoch}) for {stale} epochs (patience {policy.patience_epochs})")
    return None
