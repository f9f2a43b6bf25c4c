"""Cost of the contract's machinery: the reference loop vs a bare PyTorch loop.

Both train the same model (same init, same batches, AdamW, warmup + cosine,
gradient clipping) at the default size, in one process. The reference loop
adds what the contract requires: the epoch-0 evaluation before the first
update and the step-0 checkpoint (once per run), per-step metrics (JSONL
record, finiteness checks, utilisation meter, SIGTERM flag), the per-epoch
validation loss with the non-divergence, early-stop and improvement rules,
the atomic checkpoint + metadata with every member's sha256, the run lock
and status.json.

A run of one epoch is the worst case: the once-per-run costs all land on
that epoch. `--epochs N` spreads them as a longer run does.

Shared machines are noisy, so the two are timed in pairs of one epoch each
(order alternating), and the overhead is the median of the per-pair
ratios. A breakdown times the added pieces on their own.

    .venv/bin/python benchmarks/bench_training.py             # 8 pairs, default size
    .venv/bin/python benchmarks/bench_training.py --pairs 12 --threads 1
    .venv/bin/python benchmarks/bench_training.py --threads 1 --epochs 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

from pv.reference import distributed
from pv.reference.metrics import MetricsWriter
from pv.reference.model import lm_loss
from pv.reference.regime import TrainingRegime
from pv.reference.train import TrainConfig, Trainer, learning_rate


def bare_epoch(cfg: TrainConfig) -> tuple[float, float]:
    """(wall, CPU) seconds for the run's steps of forward, backward, clip, AdamW step: nothing recorded or checked."""
    trainer = Trainer(cfg, distributed.DistContext())  # same init, data and optimizer groups
    model, optimizer, stream = trainer.model, trainer.optimizer, trainer.stream
    model.train()
    start, cpu = time.perf_counter(), time.process_time()
    for step in range(cfg.total_steps):
        x, y = stream.batch(step)
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, cfg)
        loss = lm_loss(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainer.params, cfg.grad_clip)
        optimizer.step()
    return time.perf_counter() - start, time.process_time() - cpu


def reference_epoch(cfg: TrainConfig) -> tuple[float, float]:
    """(wall, CPU) seconds for Trainer.fit: epoch 0, metrics, validation, rules, checkpoints, lock, status."""
    trainer = Trainer(cfg, distributed.DistContext())
    start, cpu = time.perf_counter(), time.process_time()
    result = trainer.fit()
    elapsed = time.perf_counter() - start, time.process_time() - cpu
    assert result.status.value in ("COMPLETED", "NO_IMPROVEMENT") and result.steps == cfg.total_steps, result
    return elapsed


def breakdown(cfg: TrainConfig, tmp: Path) -> dict[str, float]:
    """Milliseconds of each added piece, timed alone (median of 5)."""
    trainer = Trainer(cfg, distributed.DistContext())
    trainer.prepare_run_dir(False)
    for step in range(5):
        trainer.train_step(step)
    record = trainer.train_step(5)
    writer = MetricsWriter(tmp / "bench-metrics.jsonl")

    def timed(fn, n: int = 5) -> float:
        samples = []
        for _ in range(n):
            t = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t)
        return 1000 * statistics.median(samples)

    out = {
        "metrics record (per step)": timed(lambda: writer.write(record), 200),
        "utilisation meter (per step)": timed(lambda: (trainer.meter.start(), trainer.meter.stop()), 200),
        "validation loss (per epoch, and epoch 0 once per run)": timed(lambda: trainer.evaluate(1)),
        "checkpoint + metadata (per epoch, and step 0 once per run)":
            timed(lambda: trainer.save_epoch(1, 1.5, 1.5, 1.0, 1.0)),
    }
    writer.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=8)
    parser.add_argument("--steps-per-epoch", type=int, default=TrainConfig.steps_per_epoch)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument("--epochs", type=int, default=1, help="epochs per timed run (1: the worst case)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        counter = iter(range(10_000))

        def config() -> TrainConfig:
            return TrainConfig(run_dir=str(Path(tmp) / f"run{next(counter)}"), regime=TrainingRegime.from_scratch(256),
                               epochs=args.epochs, steps_per_epoch=args.steps_per_epoch, device="cpu",
                               threads=args.threads, min_epochs_before_early_stop=args.epochs + 1)

        cfg = config()
        bare_epoch(TrainConfig(**{**cfg.__dict__, "steps_per_epoch": 20}))  # warm-up
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; default model d_model={cfg.d_model} "
              f"n_layers={cfg.n_layers} context={cfg.context} batch={cfg.batch_size}; pairs of {args.epochs} "
              f"{cfg.steps_per_epoch}-step epoch(s)")
        ratios, cpu_ratios, bare_rates, ref_rates = [], [], [], []
        for i in range(args.pairs):
            if i % 2 == 0:
                (b, bc), (r, rc) = bare_epoch(config()), reference_epoch(config())
            else:
                (r, rc), (b, bc) = reference_epoch(config()), bare_epoch(config())
            ratios.append(r / b)
            cpu_ratios.append(rc / bc)
            bare_rates.append(cfg.total_steps / b)
            ref_rates.append(cfg.total_steps / r)
            print(f"  pair {i + 1:2d}: bare {bare_rates[-1]:6.1f} steps/s  reference {ref_rates[-1]:6.1f} steps/s  "
                  f"wall ratio {r / b:.4f}  CPU-time ratio {rc / bc:.4f}", file=sys.stderr)
        parts = breakdown(config(), Path(tmp))
    step_ms = 1000 / statistics.median(bare_rates)
    print(f"bare PyTorch loop : {statistics.median(bare_rates):7.1f} steps/s (median; {step_ms:.2f} ms/step)")
    print(f"reference loop    : {statistics.median(ref_rates):7.1f} steps/s (median)")
    print(f"overhead, wall    : {100 * (statistics.median(ratios) - 1):+.2f} % (median of {args.pairs} paired "
          f"ratios; target < 3 %)")
    print(f"overhead, CPU time: {100 * (statistics.median(cpu_ratios) - 1):+.2f} % (same pairs; robust to other "
          f"load on the machine)")
    print("breakdown (ms, each piece timed alone):")
    per_run = 0.0
    for name, ms in parts.items():
        print(f"  {name:58s} {ms:8.3f}")
        per_run += ms * (args.steps_per_epoch * args.epochs if "per step" in name else args.epochs + 1)
    print(f"  => {per_run:.1f} ms per run of {args.epochs} {args.steps_per_epoch}-step epoch(s) = "
          f"{100 * per_run / (step_ms * args.steps_per_epoch * args.epochs):.2f} % of the bare run")


if __name__ == "__main__":
    main()
