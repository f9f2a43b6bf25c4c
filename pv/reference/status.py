"""How a run ends: its status name and the process exit code for it."""

from __future__ import annotations

import enum


class RunStatus(enum.StrEnum):
    COMPLETED = "COMPLETED"
    EARLY_STOP = "EARLY_STOP"
    DIVERGENCE = "DIVERGENCE"
    NUMERICAL_INSTABILITY = "NUMERICAL_INSTABILITY"
    STREAM_EXHAUSTED = "STREAM_EXHAUSTED"
    NO_IMPROVEMENT = "NO_IMPROVEMENT"
    PREEMPTED = "PREEMPTED"

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self]


# 1 is left to Python (uncaught error) and 2 to click (usage error), so every
# abort the contract names has a status of its own.
EXIT_CODES: dict[RunStatus, int] = {
    RunStatus.COMPLETED: 0,
    RunStatus.EARLY_STOP: 0,
    RunStatus.DIVERGENCE: 3,
    RunStatus.NUMERICAL_INSTABILITY: 4,
    RunStatus.STREAM_EXHAUSTED: 5,
    # The run ended (early stop or all epochs) without its best validation loss beating epoch 0's.
    RunStatus.NO_IMPROVEMENT: 6,
    # SIGTERM (a scheduler's preemption): a checkpoint of the current step was written; --resume continues.
    RunStatus.PREEMPTED: 7,
}

SUCCESS = (RunStatus.COMPLETED, RunStatus.EARLY_STOP)


class TrainingAbort(Exception):
    """The run must stop with a non-zero status (DIVERGENCE, NUMERICAL_INSTABILITY, ...)."""

    def __init__(self, status: RunStatus, message: str, *, epoch: int | None = None,
                 step: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.epoch = epoch
        self.step = step


class StreamExhausted(TrainingAbort):
    """The token stream ran out and the exhaustion policy is `halt`."""

    def __init__(self, message: str, *, step: int | None = None) -> None:
        super().__init__(RunStatus.STREAM_EXHAUSTED, message, step=step)
