"""The reference loop on a GPU, as a user would run it: bare bf16 step vs the loop, MFU, reproducibility.

Prepared for a session that has a CUDA device (issue 12, item 6); it was
written on a CPU-only machine and has not been run on a GPU yet. At
GPT-2-small shape (V 50304, T 1024, d 768, 12 layers, 12 heads, batch 16)
it measures, in one process:

1. bare steps: pv's model, bf16 autocast, TF32, fused AdamW, clipping, no
   recording or checks (optionally compiled), as tokens/s and MFU;
2. the reference loop (Trainer.fit, --precision auto → bf16) over the same
   number of steps: its steps' median tokens/s, and the whole run's wall
   time including epoch 0, the validation and the checkpoints;
3. reproducibility under bf16: two same-seed runs compared record by record,
   and a crashed + resumed run against an uninterrupted one.

Target (issue 12): the loop's step within 1.15× of the bare bf16 step.

    python benchmarks/bench_gpu.py                  # ~3-4 min on an H100/H200
    python benchmarks/bench_gpu.py --compile        # adds torch.compile to both (~1-2 min more)
    python benchmarks/bench_gpu.py --json "$OUT/gpu.json"
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

from pv.reference import distributed, flops
from pv.reference.faults import InjectedCrash, parse_fault
from pv.reference.metrics import read_records
from pv.reference.model import lm_loss
from pv.reference.regime import TrainingRegime
from pv.reference.train import TrainConfig, Trainer, learning_rate, run

SHAPE = dict(vocab_size=50304, context=1024, d_model=768, n_layers=12, n_heads=12, batch_size=16)
RESULTS = ("step", "train_loss", "grad_norm", "lr")


def config(run_dir: Path, steps: int, *, compile_: bool, epochs: int = 1, **extra) -> TrainConfig:
    return TrainConfig(run_dir=str(run_dir), regime=TrainingRegime.from_scratch(SHAPE["vocab_size"]),
                       epochs=epochs, steps_per_epoch=steps, warmup_steps=10, lr_max=6e-4, val_batches=2,
                       corpus_bytes=8_000_000, device="cuda", precision="auto", compile=compile_,
                       min_epochs_before_early_stop=epochs + 1, **SHAPE, **extra)


def bare(cfg: TrainConfig, steps: int, warmup: int) -> dict:
    """Forward, backward, clip, fused AdamW under bf16 autocast; synchronised only around the timed span."""
    trainer = Trainer(cfg, distributed.DistContext(device=torch.device("cuda", 0)))
    model, optimizer, stream = trainer.net, trainer.optimizer, trainer.stream
    model.train()
    batches = [tuple(t.cuda(non_blocking=True) for t in stream.batch(s)) for s in range(steps + warmup)]

    def one(step: int) -> None:
        x, y = batches[step]
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, cfg)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = lm_loss(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainer.params, cfg.grad_clip)
        optimizer.step()

    for step in range(warmup):
        one(step)
    torch.cuda.synchronize()
    start = time.perf_counter()
    for step in range(warmup, warmup + steps):
        one(step)
    torch.cuda.synchronize()
    wall = time.perf_counter() - start
    tokens_per_sec = steps * trainer.tokens_per_step / wall
    return {"tokens_per_sec": tokens_per_sec, "ms_per_step": 1000 * wall / steps,
            "mfu_pct": flops.mfu_pct(trainer.flops_per_token, tokens_per_sec, trainer.peak_flops)}


def loop(cfg: TrainConfig, warmup: int) -> dict:
    start = time.perf_counter()
    result = run(cfg)
    wall = time.perf_counter() - start
    records = read_records(Path(cfg.run_dir) / "metrics.jsonl")[warmup:]
    rate = statistics.median(r["tokens_per_sec"] for r in records)
    return {"status": result.status.value, "tokens_per_sec_median_step": rate,
            "ms_per_step_median": 1000 * SHAPE["batch_size"] * SHAPE["context"] / rate,
            "mfu_pct_median_step": statistics.median(r.get("mfu_pct", float("nan")) for r in records),
            "run_mfu_pct": result.mfu_pct, "run_wall_s": wall, "steps": result.steps}


def same(a: list[dict], b: list[dict]) -> dict:
    pairs = list(zip(a, b, strict=True))
    exact = sum(all(x[k] == y[k] for k in RESULTS) for x, y in pairs)
    worst = max((abs(x["train_loss"] - y["train_loss"]) for x, y in pairs), default=0.0)
    return {"records": len(pairs), "bit_identical": exact, "max_abs_loss_diff": worst}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=40, help="timed steps (default 40)")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--compile", action="store_true", help="torch.compile both the bare step and the loop")
    parser.add_argument("--skip-repro", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("bench_gpu.py needs a CUDA device; none is available", file=sys.stderr)
        raise SystemExit(2)
    name = torch.cuda.get_device_name(0)
    out: dict = {"device": name, "torch": torch.__version__, "shape": SHAPE, "compile": args.compile,
                 "peak_flops_bf16": flops.peak_flops(name, "bf16", True)}
    print(f"{name}, torch {torch.__version__}, bf16 supported: {torch.cuda.is_bf16_supported()}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        total = args.steps + args.warmup
        out["bare"] = bare(config(root / "bare", total, compile_=args.compile), args.steps, args.warmup)
        print(f"bare bf16 step : {out['bare']['tokens_per_sec']:10,.0f} tok/s  "
              f"{out['bare']['ms_per_step']:7.2f} ms/step  MFU {out['bare']['mfu_pct']}")
        out["loop"] = loop(config(root / "loop", total, compile_=args.compile), args.warmup)
        print(f"reference loop : {out['loop']['tokens_per_sec_median_step']:10,.0f} tok/s  "
              f"{out['loop']['ms_per_step_median']:7.2f} ms/step (median step)  "
              f"MFU {out['loop']['mfu_pct_median_step']}; whole run {out['loop']['run_wall_s']:.1f} s, "
              f"run MFU {out['loop']['run_mfu_pct']}")
        ratio = out["loop"]["ms_per_step_median"] / out["bare"]["ms_per_step"]
        out["step_ratio_loop_over_bare"] = ratio
        print(f"loop / bare step time: {ratio:.3f} (target <= 1.15)")
        if not args.skip_repro:
            n = 20
            a, b = config(root / "a", n, compile_=False), config(root / "b", n, compile_=False)
            run(a)
            run(b)
            out["same_seed"] = same(read_records(Path(a.run_dir) / "metrics.jsonl"),
                                    read_records(Path(b.run_dir) / "metrics.jsonl"))
            whole = config(root / "whole", 10, compile_=False, epochs=2)
            broken = config(root / "broken", 10, compile_=False, epochs=2, ckpt_every=4)
            run(whole)
            try:
                run(broken, fault=parse_fault("crash:step=14"))
            except InjectedCrash:
                pass
            run(broken, resume=True)
            out["resume"] = same(read_records(Path(whole.run_dir) / "metrics.jsonl"),
                                 read_records(Path(broken.run_dir) / "metrics.jsonl"))
            print(f"bf16 same seed: {out['same_seed']}")
            print(f"bf16 crash + resume vs uninterrupted: {out['resume']}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
