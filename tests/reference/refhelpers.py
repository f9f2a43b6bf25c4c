"""Shared helpers for the reference-loop tests: tiny, fast, single-threaded runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CONTRACT = REPO / "contracts" / "training-loop-pretrain-v1.yaml"

# Small enough that a step takes a few milliseconds on one CPU thread.
TINY: dict[str, Any] = dict(context=32, d_model=32, n_layers=2, n_heads=2, batch_size=8, corpus_bytes=300_000,
                            val_batches=2, steps_per_epoch=10, epochs=2, threads=1, warmup_steps=5,
                            lr_max=3e-3, device="cpu")


def read_metrics(run_dir: str | Path) -> list[dict[str, Any]]:
    lines = (Path(run_dir) / "metrics.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def read_json(path: str | Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def tiny_cli_args(run_dir: Path, **overrides: Any) -> list[str]:
    """`pv pretrain` arguments for a tiny run."""
    values = {k: v for k, v in TINY.items() if k not in ("lr_max", "warmup_steps")}
    values.update(overrides)
    args = ["pretrain", "--run-dir", str(run_dir), "--quiet"]
    for key, value in values.items():
        args += [f"--{key.replace('_', '-')}", str(value)]
    return args
