"""Loss-curve PNG of a run directory (matplotlib, from the `plot` extra)."""

from __future__ import annotations

import io
import json
from pathlib import Path


class PlotUnavailable(RuntimeError):
    pass


def write_loss_curve(run_dir: Path, out: Path) -> Path:
    """Per-step train loss (raw and smoothed) and per-epoch val loss, as a small PNG."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise PlotUnavailable("matplotlib is not installed (pip install 'pv-contracts[plot]')") from None
    from pv.core.atomic import write_bytes_atomic
    from pv.reference.metrics import read_records

    try:
        records = read_records(run_dir / "metrics.jsonl")
    except (OSError, ValueError) as exc:
        raise PlotUnavailable(f"cannot read {run_dir / 'metrics.jsonl'}: {exc}") from None
    steps = [r["step"] for r in records if "step" in r and "train_loss" in r]
    losses = [r["train_loss"] for r in records if "step" in r and "train_loss" in r]
    val_x, val_y = [], []
    try:  # epoch 0, measured before the first update
        initial = json.loads((run_dir / "initial-eval.json").read_text(encoding="utf-8"))
        val_x.append(0)
        val_y.append(initial["val_loss"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    for meta in sorted((run_dir / "ckpt").glob("epoch-*.metadata.json")):
        try:
            data = json.loads(meta.read_text(encoding="utf-8"))
            val_x.append(data["step"] - 1 if "step" in data else None)
            val_y.append(data["val_loss"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
    fig, ax = plt.subplots(figsize=(6.4, 3.4), dpi=100)
    ax.plot(steps, losses, color="#9ecae1", linewidth=0.7, label="train loss (per step)")
    if len(losses) >= 20:
        k = max(5, len(losses) // 50)
        smooth = [sum(losses[max(0, i - k + 1):i + 1]) / len(losses[max(0, i - k + 1):i + 1])
                  for i in range(len(losses))]
        ax.plot(steps, smooth, color="#08519c", linewidth=1.4, label=f"train loss ({k}-step mean)")
    points = [(x, y) for x, y in zip(val_x, val_y) if x is not None]
    if points:
        ax.plot(*zip(*points), "o-", color="#d94801", markersize=4,
                label="val loss (epoch 0 before training, then per epoch)")
    status = run_dir / "status.json"
    title = run_dir.name
    try:
        info = json.loads(status.read_text(encoding="utf-8"))
        title = f"{run_dir.name}: {info.get('status')}, regime {info.get('regime', {}).get('kind')}"
    except (OSError, ValueError, AttributeError):
        pass
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy (nats/byte)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    write_bytes_atomic(out, buffer.getvalue())
    return out
