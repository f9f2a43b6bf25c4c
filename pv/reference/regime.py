"""Training regimes and the non-divergence rule of INV-TRAIN-005.

Pure Python on purpose: `pv verify` binds the contract's formulas to these
functions, and that must not import torch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

FINETUNE = "finetune"
FROM_SCRATCH = "from_scratch"

# The finetune cap is the literal of contract v1.0.0; pretrained weights start
# far below ln(V), so a loss above 10 nats at epoch 0 means something broke.
FINETUNE_EPOCH_ZERO_CAP = 10.0
# Between epochs the validation loss may at most double (N >= 1).
MAX_EPOCH_GROWTH = 2.0


@dataclass(frozen=True)
class TrainingRegime:
    """Where the weights start: a pretrained model (finetune) or random init.

    Serialised tagged by `kind`: `{"kind": "finetune"}` or
    `{"kind": "from_scratch", "vocab_size": 50257}`.
    """

    kind: str = FINETUNE
    vocab_size: int | None = None

    def __post_init__(self) -> None:
        if self.kind == FINETUNE:
            if self.vocab_size is not None:
                raise ValueError("the finetune regime takes no vocab_size")
        elif self.kind == FROM_SCRATCH:
            if isinstance(self.vocab_size, bool) or not isinstance(self.vocab_size, int):
                raise ValueError("the from_scratch regime needs an integer vocab_size")
            if self.vocab_size < 2:
                raise ValueError(f"vocab_size must be at least 2, got {self.vocab_size}")
        else:
            raise ValueError(f"unknown regime kind {self.kind!r}; expected {FINETUNE!r} or {FROM_SCRATCH!r}")

    @classmethod
    def finetune(cls) -> TrainingRegime:
        return cls(FINETUNE)

    @classmethod
    def from_scratch(cls, vocab_size: int) -> TrainingRegime:
        return cls(FROM_SCRATCH, vocab_size)

    def to_dict(self) -> dict[str, Any]:
        if self.kind == FINETUNE:
            return {"kind": FINETUNE}
        return {"kind": FROM_SCRATCH, "vocab_size": self.vocab_size}

    @classmethod
    def from_dict(cls, data: Any) -> TrainingRegime:
        """Inverse of `to_dict`; a missing or empty value means the default, finetune."""
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise ValueError(f"a regime is a mapping tagged by `kind`, got {type(data).__name__}")
        extra = set(data) - {"kind", "vocab_size"}
        if extra:
            raise ValueError(f"unknown regime field(s): {', '.join(sorted(extra))}")
        return cls(data.get("kind", FINETUNE), data.get("vocab_size"))

    def __str__(self) -> str:
        return self.kind if self.kind == FINETUNE else f"{self.kind}(vocab_size={self.vocab_size})"



def epoch_zero_val_loss_limit(regime: TrainingRegime) -> float:
    """The largest validation loss epoch 0 may report under `regime`.

    finetune: 10.0. from_scratch: 2·ln(vocab_size), twice the cross-entropy of
    a uniform guess, so an untrained model (≈ ln V) passes with room to spare.
    """
    if regime.kind == FINETUNE:
        return FINETUNE_EPOCH_ZERO_CAP
    assert regime.vocab_size is not None  # guaranteed by __post_init__
    return 2.0 * math.log(regime.vocab_size)


def divergence_reason(epoch: int, history: Sequence[float], regime: TrainingRegime) -> str | None:
    """Why epoch `epoch` of the validation-loss `history` diverged, or None if it did not.

    `history[0]` is epoch 0, the model before its first update (the cold
    start, or the --init-from weights); `history[N]` for N ≥ 1 is the loss
    after N epochs of updates. Entries after `epoch` are ignored.
    """
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
        raise ValueError(f"epoch must be a non-negative integer, got {epoch!r}")
    if epoch >= len(history):
        raise ValueError(f"history has {len(history)} epoch(s); epoch {epoch} is not in it")
    loss = float(history[epoch])
    if not math.isfinite(loss):
        return f"validation loss at epoch {epoch} is {loss}, not finite"
    if epoch == 0:
        cap = epoch_zero_val_loss_limit(regime)
        if loss > cap:
            return (f"epoch-0 validation loss {loss:.4f} exceeds the {regime.kind} cap {cap:.4f}"
                    + (" (2·ln(vocab_size))" if regime.kind == FROM_SCRATCH else ""))
        return None
    previous = float(history[epoch - 1])
    if math.isfinite(previous) and loss > MAX_EPOCH_GROWTH * previous:
        return (f"validation loss rose from {previous:.4f} at epoch {epoch - 1} to {loss:.4f} "
                f"at epoch {epoch}, more than {MAX_EPOCH_GROWTH:g}x")
    # The regime's cap holds at every epoch, not only at 0: a run may not drift above where it may start.
    cap = epoch_zero_val_loss_limit(regime)
    if loss > cap:
        return (f"validation loss {loss:.4f} at epoch {epoch} exceeds the {regime.kind} cap {cap:.4f}, "
                "which holds at every epoch")
    return None


def improved_on_start(best_val_loss: float, initial_val_loss: float) -> bool:
    """A run may report success only when its best loss after training is below epoch 0's loss.

    `best_val_loss` is the minimum over epochs 1..N, `initial_val_loss` the
    loss of epoch 0, before any update. Equal is not an improvement; NaN never is.
    """
    return best_val_loss < initial_val_loss


def check_growth(epoch: int, history: Sequence[float], regime: TrainingRegime | None = None) -> bool:  # noqa: ARG001
    """The doubling rule alone: epoch N ≥ 1's loss is at most twice epoch N-1's (the non_divergence formula).

    The rule is the same in both regimes; `regime` is accepted so the formula's binding names the
    regime it is checked under, as it always has.
    """
    if epoch < 1 or epoch >= len(history):
        raise ValueError(f"epoch {epoch!r} has no previous epoch in a history of {len(history)}")
    return float(history[epoch]) <= MAX_EPOCH_GROWTH * float(history[epoch - 1])


def within_regime_cap(epoch: int, history: Sequence[float], regime: TrainingRegime) -> bool:
    """The regime's cap alone, at any epoch (v1.6.0: it holds at every epoch, not only at 0)."""
    return float(history[epoch]) <= epoch_zero_val_loss_limit(regime)


def check_non_divergence(epoch: int, history: Sequence[float], regime: TrainingRegime) -> bool:
    """True when epoch `epoch` of `history` respects INV-TRAIN-005.

    Epoch 0 (before the first update): the loss is finite and at most
    `epoch_zero_val_loss_limit(regime)`. Epoch N ≥ 1: the loss is finite, at
    most twice the loss of epoch N-1, and at most that same cap.
    The training loop aborts with exit status DIVERGENCE when this is False.
    """
    return divergence_reason(epoch, history, regime) is None
