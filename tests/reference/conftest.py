"""Fixtures for the reference-loop tests (helpers live in refhelpers.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def tiny_config(tmp_path: Path):
    """Factory: a TrainConfig for a tiny from-scratch run in a fresh directory."""
    pytest.importorskip("torch")
    from refhelpers import TINY

    from pv.reference.regime import TrainingRegime
    from pv.reference.train import TrainConfig

    counter = iter(range(1000))

    def make(**overrides: Any) -> TrainConfig:
        values = {**TINY, **overrides}
        values.setdefault("run_dir", str(tmp_path / f"run{next(counter)}"))
        vocab = values.setdefault("vocab_size", 256)
        values.setdefault("regime", TrainingRegime.from_scratch(vocab))
        return TrainConfig(**values)

    return make
